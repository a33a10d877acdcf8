"""CompiledModel gives the numbers Splink's own predict gives, pair by pair.

Tolerance: match weights are compared to 1e-9 (probabilities to 1e-12). The scorer adds
the same float64 terms in the same order as Splink's SQL, so here they come out bitwise
equal; the margin only allows for a libm that rounds log2/pow differently from DuckDB's.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from splink import DuckDBAPI, Linker

from identity.fast_scoring import CompiledModel, MissingColumnError
from tests.identity.splink_demo_model import (
    DemoModel,
    demo_frame,
    records_by_id,
    term_frequencies,
    to_frame,
    train_demo_model,
)


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return demo_frame(tmp_path_factory.mktemp("demo-world"))


@pytest.fixture(scope="module")
def demo(frame: pd.DataFrame) -> DemoModel:
    return train_demo_model(frame)


@pytest.fixture(scope="module")
def compiled(demo: DemoModel) -> CompiledModel:
    return CompiledModel.from_settings(demo.settings, demo.term_frequencies)


def assert_same_as_splink(
    model: CompiledModel,
    predictions: pd.DataFrame,
    records: dict[str, dict[str, Any]],
    limit: int | None = None,
) -> dict[str, set[int]]:
    """Score Splink's pairs (left record vs its right records); return the gammas seen."""
    seen: dict[str, set[int]] = {}
    groups = list(predictions.groupby("unique_id_l", sort=True))[:limit]
    for left_id, group in groups:
        rows = group.to_dict("records")
        scores = model.score(records[str(left_id)], [records[r["unique_id_r"]] for r in rows])
        for row, score in zip(rows, scores, strict=True):
            pair = (left_id, row["unique_id_r"])
            assert (score.left_id, score.right_id) == pair
            assert abs(score.match_weight - row["match_weight"]) <= 1e-9, pair
            assert abs(score.match_probability - row["match_probability"]) <= 1e-12, pair
            for comparison in score.comparisons:
                name = comparison.comparison
                assert comparison.gamma == row[f"gamma_{name}"], (pair, name)
                assert abs(comparison.match_weight - row[f"mw_{name}"]) <= 1e-12, (pair, name)
                adjustment = row.get(f"mw_tf_adj_{name}", 0.0)
                assert abs(comparison.tf_adjustment - adjustment) <= 1e-12, (pair, name)
                seen.setdefault(name, set()).add(comparison.gamma)
    return seen


def test_every_predicted_pair_scores_as_in_splink(demo: DemoModel, compiled: CompiledModel) -> None:
    names = [c.output_column_name for c in compiled.terms.comparisons]
    assert compiled.python_comparisons == tuple(names)
    seen = assert_same_as_splink(compiled, demo.predictions, demo.records)
    assert sum(len(gammas) for gammas in seen.values()) >= 30
    assert all(-1 in seen[name] for name in names if name != "country")  # nulls occur
    adjusted = [c for c in demo.predictions.columns if c.startswith("mw_tf_adj_")]
    assert (demo.predictions[adjusted] != 0).any().all()  # every tf term is exercised


def test_duckdb_engine_scores_as_in_splink(demo: DemoModel) -> None:
    model = CompiledModel.from_settings(demo.settings, demo.term_frequencies, engine="duckdb")
    assert model.python_comparisons == ()
    assert_same_as_splink(model, demo.predictions, demo.records, limit=60)


def test_lenient_dates_go_through_duckdb(
    demo: DemoModel, compiled: CompiledModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    lenient = [r for r in demo.records.values() if _is_lenient(r["date_of_birth"])]
    assert lenient
    calls: list[int] = []
    original = compiled._duckdb.gammas

    def spy(which: Any, lefts: Any, rights: Any) -> list[tuple[int, ...]]:
        calls.append(len(rights))
        return original(which, lefts, rights)

    monkeypatch.setattr(compiled._duckdb, "gammas", spy)
    dated = [r for r in demo.records.values() if r["date_of_birth"]][:40]
    compiled.score(lenient[0], dated)
    assert calls
    keys = set(demo.predictions["unique_id_l"]) | set(demo.predictions["unique_id_r"])
    ids = {r["unique_id"] for r in lenient} & keys
    pairs = demo.predictions[
        demo.predictions["unique_id_l"].isin(ids) | demo.predictions["unique_id_r"].isin(ids)
    ]
    assert_same_as_splink(compiled, pairs, demo.records)


def test_concurrent_calls_score_as_sequential_ones(
    demo: DemoModel, compiled: CompiledModel
) -> None:
    records = list(demo.records.values())
    lenient = [r for r in records if _is_lenient(r["date_of_birth"])]
    work = [(records[i], records[i + 1 : i + 60]) for i in range(0, 600, 20)]
    work += [(record, records[:60]) for record in lenient]  # these also use DuckDB
    expected = [compiled.score(new, candidates) for new, candidates in work]
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda item: compiled.score(*item), work))
    assert found == expected


def test_model_saved_as_json_scores_the_same(
    demo: DemoModel, compiled: CompiledModel, tmp_path: Path
) -> None:
    path = tmp_path / "model.json"
    demo.linker.misc.save_model_to_json(str(path))
    reloaded = CompiledModel.from_settings(json.loads(path.read_text()), demo.term_frequencies)
    records = list(demo.records.values())
    for new in records[:25]:
        assert reloaded.score(new, records[:80]) == compiled.score(new, records[:80])
    assert_same_as_splink(reloaded, demo.predictions, demo.records, limit=40)


def test_missing_column_names_the_comparison(demo: DemoModel, compiled: CompiledModel) -> None:
    record = dict(next(iter(demo.records.values())))
    del record["email"]
    with pytest.raises(MissingColumnError, match=r"'email'.*comparison\(s\) 'email'"):
        compiled.score(record, [record])
    without_tf = CompiledModel.from_settings(demo.settings)
    with pytest.raises(MissingColumnError, match=r"tf_city.*'city'"):
        without_tf.score(demo.records[str(demo.predictions["unique_id_l"][0])], [record])


def test_tf_adjustment_follows_splink(frame: pd.DataFrame) -> None:
    """Fuzzy levels with tf (u of the exact level), tf_minimum_u_value, weights != 1, a
    level's own u (disable_tf_exact_match_detection) and SQL left to DuckDB (lower())."""

    def level(sql: str, m: float, u: float, **extra: Any) -> dict[str, Any]:
        return {"sql_condition": sql, "m_probability": m, "u_probability": u, **extra}

    def null(column: str) -> dict[str, Any]:
        sql = f'"{column}_l" IS NULL OR "{column}_r" IS NULL'
        return {"sql_condition": sql, "is_null_level": True}

    settings = {
        "link_type": "dedupe_only",
        "probability_two_random_records_match": 0.004,
        "retain_intermediate_calculation_columns": True,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": 'l."last_name" = r."last_name"'},
            {"blocking_rule": 'l."postcode" = r."postcode"'},
        ],
        "comparisons": [
            {
                "output_column_name": "first_name",
                "comparison_levels": [
                    null("first_name"),
                    level(
                        '"first_name_l" = "first_name_r"',
                        0.7,
                        0.01,
                        tf_adjustment_column="first_name",
                    ),
                    level(
                        'jaro_winkler_similarity("first_name_l", "first_name_r") >= 0.8',
                        0.2,
                        0.04,
                        tf_adjustment_column="first_name",
                        tf_adjustment_weight=0.5,
                        tf_minimum_u_value=0.004,
                    ),
                    level("ELSE", 0.1, 0.95),
                ],
            },
            {
                "output_column_name": "last_name",
                "comparison_levels": [
                    null("last_name"),
                    level(
                        '"last_name_l" = "last_name_r"',
                        0.9,
                        0.02,
                        tf_adjustment_column="last_name",
                        tf_minimum_u_value=0.01,
                    ),
                    level("ELSE", 0.1, 0.98),
                ],
            },
            {
                "output_column_name": "city",
                "comparison_levels": [
                    null("city"),
                    level(
                        'lower("city_l") = lower("city_r")',
                        0.8,
                        0.03,
                        tf_adjustment_column="city",
                        tf_adjustment_weight=0.7,
                        disable_tf_exact_match_detection=True,
                    ),
                    level("ELSE", 0.2, 0.97),
                ],
            },
        ],
    }
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=logging.ERROR)
    predictions = to_frame(linker.inference.predict())
    tf = term_frequencies(linker, ("first_name", "last_name", "city"))
    model = CompiledModel.from_settings(linker.misc.save_model_to_json(), tf)
    assert model.python_comparisons == ("first_name", "last_name")
    seen = assert_same_as_splink(model, predictions, records_by_id(frame))
    assert {1, 2} <= seen["first_name"]
    assert 1 in seen["last_name"]
    assert 1 in seen["city"]
    clipped = predictions["tf_last_name_l"] < 0.01
    assert (clipped & (predictions["gamma_last_name"] == 1)).any()


def _is_lenient(value: str | None) -> bool:
    return value is not None and len(value) < 10
