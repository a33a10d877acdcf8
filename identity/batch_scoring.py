"""Scoring every blocked pair of the graph's records with Splink (batch resolution)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from splink import DuckDBAPI, Linker

from identity.evidence import ComparisonEvidence, ScoredPair, level_labels
from identity.training import TrainedModel, input_table


def predict_pairs(
    model: TrainedModel, rows: Sequence[Mapping[str, Any]], threshold: float
) -> list[ScoredPair]:
    """Pairs at or above `threshold` match probability, with per-comparison evidence."""
    if len(rows) < 2:
        return []
    # Splink warns on every call about levels EM never saw; meta.json lists them once.
    logging.getLogger("splink").setLevel(logging.ERROR)
    settings = dict(model.settings)
    settings["retain_intermediate_calculation_columns"] = True
    db_api = DuckDBAPI()
    linker = Linker(
        db_api.register(input_table(rows, model.columns)), settings, log_level=logging.WARNING
    )
    frame = linker.inference.predict(threshold_match_probability=threshold)
    labels = level_labels(settings)
    found: list[ScoredPair] = []
    for row in frame.as_record_list():
        evidence = []
        for name, levels in labels.items():
            gamma = int(row.get(f"gamma_{name}", -1))
            evidence.append(
                ComparisonEvidence(
                    comparison=name,
                    level=levels.get(gamma, str(gamma)),
                    gamma=gamma,
                    match_weight=round(float(row.get(f"mw_{name}") or 0.0), 4),
                    tf_adjustment=round(float(row.get(f"mw_tf_adj_{name}") or 0.0), 4),
                )
            )
        left, right = sorted((str(row["unique_id_l"]), str(row["unique_id_r"])))
        found.append(
            ScoredPair(
                left,
                right,
                float(row["match_weight"]),
                float(row["match_probability"]),
                tuple(evidence),
            )
        )
    return found
