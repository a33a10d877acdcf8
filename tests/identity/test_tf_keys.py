"""Keyed term-frequency tables: no name in the saved model, the same scores."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import replace
from pathlib import Path

from identity.fast_scorer_adapter import CompiledScorer
from identity.model_registry import TF_FILE, ModelRegistry
from identity.records import MODEL_COLUMNS
from identity.tf_keys import HASHED, TermFrequencyKeys
from tests.identity.conftest import KEY


def _rows(world: Path) -> list[dict[str, object]]:
    with (world / "records.csv").open(encoding="utf-8", newline="") as f:
        rows = []
        for i, row in enumerate(csv.DictReader(f)):
            found: dict[str, object] = {c: None for c in MODEL_COLUMNS}
            found.update(
                unique_id=f"r{i}",
                first_name=row["first_name"].lower() or None,
                last_name=row["last_name"].lower() or None,
                date_of_birth=row["date_of_birth"] or None,
                city=row["city"].lower() or None,
            )
            rows.append(found)
        return rows


def test_the_trained_model_keeps_no_name_and_scores_the_same(
    trained_model_dir: Path, small_world: Path
) -> None:
    version = ModelRegistry(trained_model_dir).current()
    assert version is not None
    assert version.meta["tf_keys"] == HASHED
    saved = (version.path / TF_FILE).read_text(encoding="utf-8").lower()
    rows = _rows(small_world)
    surnames = {
        str(r["last_name"]) for r in rows if r["last_name"] and len(str(r["last_name"])) > 4
    }
    assert surnames
    assert [s for s in surnames if f'"{s}"' in saved] == []

    # The same model with plain tables (rebuilt from the records) scores exactly the same.
    keyed = version.model()
    plain_tables = {}
    for column in keyed.term_frequencies:
        counts = Counter(r[column] for r in rows if r[column] is not None)
        total = sum(counts.values())
        plain_tables[column] = {str(v): n / total for v, n in counts.items()}
    keys = TermFrequencyKeys(KEY.get_secret_value().encode())
    plain = replace(keyed, term_frequencies=plain_tables, tf_keys="plain")
    hashed = replace(
        keyed, term_frequencies=keys.hash_tables(plain_tables), tf_keys=HASHED, tf_hasher=keys
    )
    record, candidates = rows[0], rows[1:200]
    by_plain = CompiledScorer(plain).score(record, candidates)
    by_keyed = CompiledScorer(hashed).score(record, candidates)
    assert [p.match_weight for p in by_plain] == [p.match_weight for p in by_keyed]
    assert any(e.tf_adjustment for p in by_keyed for e in p.evidence)
