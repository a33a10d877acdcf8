"""Training the Splink model on the graph's own records: u by random sampling, m by EM."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from splink import DuckDBAPI, Linker

from identity import model_spec
from identity.records import MODEL_COLUMNS
from identity.tf_keys import TermFrequencyKeys

Progress = Callable[[str], None]
# A match rate prior for the deterministic rules' recall: they miss matches with typos.
DETERMINISTIC_RECALL = 0.8
# Steward approvals re-estimate m only when there are enough of them to beat EM.
MIN_LABELS = 10


@dataclass(frozen=True)
class TrainedModel:
    """A trained model: Splink's settings JSON (with m and u) and term frequencies."""

    settings: dict[str, Any]
    term_frequencies: dict[str, dict[str, float]]
    columns: list[str]
    records: int
    labels_used: int = 0
    tf_keys: str = "plain"  # or "hmac-sha256": term-frequency values stored as keyed hashes
    # How a scorer hashes a value to find its frequency (set when the model is loaded).
    tf_hasher: TermFrequencyKeys | None = None


def input_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pa.Table:
    """The model's input as an Arrow table of strings (empty columns keep their type)."""
    names = ["unique_id", *columns]
    return pa.table(
        {name: pa.array([row.get(name) for row in rows], type=pa.string()) for name in names}
    )


def _quiet() -> None:
    # Splink warns on every call about levels EM never saw; meta.json lists them once.
    logging.getLogger("splink").setLevel(logging.ERROR)


def train_model(
    rows: Sequence[Mapping[str, Any]],
    seed: int = 42,
    progress: Progress | None = None,
    labels: Sequence[tuple[str, str]] = (),
) -> TrainedModel:
    """Estimate the model's parameters from the records (Fellegi-Sunter: u by sampling, m by
    EM); with at least MIN_LABELS steward-approved pairs, m is then re-estimated from them."""
    note = progress or (lambda message: None)
    _quiet()
    if len(rows) < 10:
        raise ValueError(f"records: need at least 10 records to train, have {len(rows)}")
    columns = model_spec.filled_columns(rows, MODEL_COLUMNS)
    if not {"first_name", "last_name"} <= set(columns):
        raise ValueError("records: first_name and last_name must be filled to train a model")
    db_api = DuckDBAPI()
    linker = Linker(
        db_api.register(input_table(rows, columns)),
        model_spec.settings(columns),
        log_level=logging.WARNING,
    )
    note("estimating the prior match rate")
    linker.training.estimate_probability_two_random_records_match(
        model_spec.deterministic_rules(columns), recall=DETERMINISTIC_RECALL
    )
    note("estimating u by random sampling")
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in model_spec.em_blocking_rules(columns):
        sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
        note(f"estimating m by expectation maximisation (blocked on {sql})")
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    ids = {row["unique_id"] for row in rows}
    usable = [(a, b) for a, b in labels if a in ids and b in ids]
    if len(usable) >= MIN_LABELS:
        note(f"estimating m from {len(usable)} steward-approved pairs")
        table = pa.table(
            {"unique_id_l": [a for a, _ in usable], "unique_id_r": [b for _, b in usable]}
        )
        linker.table_management.register_table(table, "__cg_labels", overwrite=True)
        linker.training.estimate_m_from_pairwise_labels("__cg_labels")  # type: ignore[no-untyped-call]
    else:
        usable = []
    note("computing term frequencies")
    frequencies = term_frequencies(linker, columns)
    return TrainedModel(
        linker.misc.save_model_to_json(), frequencies, list(columns), len(rows), len(usable)
    )


def tf_columns(settings: Mapping[str, Any]) -> list[str]:
    """Columns whose comparisons use term-frequency adjustments."""
    found: list[str] = []
    for comparison in settings.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            column = level.get("tf_adjustment_column")
            if column and column not in found:
                found.append(column)
    return found


def term_frequencies(linker: Linker, columns: Sequence[str]) -> dict[str, dict[str, float]]:
    """Relative frequency of each value of every term-frequency-adjusted column."""
    result: dict[str, dict[str, float]] = {}
    for column in tf_columns(linker.misc.save_model_to_json()):
        if column not in columns:
            continue
        table = linker.table_management.compute_tf_table(column).as_record_list()
        result[column] = {
            str(row[column]): float(row[f"tf_{column}"]) for row in table if row[column] is not None
        }
    return result
