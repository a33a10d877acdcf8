"""What ML engineers do with recommendation models: train + evaluate, register, promote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gnn.artifact import artifact_meta, model_arrays, state_dict_bytes
from gnn.comparison import Comparison, compare
from gnn.config import GnnConfig
from gnn.interactions import Interactions
from gnn.item_features import ItemFeatureEncoder
from gnn.model_version import ModelVersion
from gnn.registry import GnnRegistry
from gnn.report import report_files


@dataclass(frozen=True)
class TrainOutcome:
    """A registered version, whether it became current, and the evaluation behind it."""

    version: ModelVersion
    promoted: bool
    summary: dict[str, Any]
    comparison: Comparison


class GnnService:
    """Training runs write versions to the registry; serving follows its `current` pointer."""

    def __init__(self, model_dir: Path) -> None:
        self.registry = GnnRegistry(model_dir)

    def evaluate(
        self,
        data: Interactions,
        config: GnnConfig,
        progress: Callable[[str], None] | None = None,
    ) -> tuple[Comparison, dict[str, Any]]:
        """GraphSAGE against the baselines on a temporal split; nothing is saved."""
        comparison = compare(data, config, progress=progress)
        return comparison, comparison.summary(data)

    def train(
        self,
        data: Interactions,
        config: GnnConfig,
        encoder: ItemFeatureEncoder | None = None,
        promote: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> TrainOutcome:
        """Evaluate, then register the model with embeddings computed over all of `data` (the
        trained weights applied to the whole graph: recent interactions count without a
        retrain) and its report; make it current when `promote`."""
        comparison, summary = self.evaluate(data, config, progress)
        model = comparison.run.model
        meta = artifact_meta(data, model)
        meta.update(
            config=config.model_dump(),
            metrics={
                f"{name}/{metric}": value
                for name, values in comparison.metrics.items()
                for metric, value in values.items()
            },
            best_baseline=summary["best_baseline"],
            graphsage_over_best_baseline=summary["graphsage_over_best_baseline"],
            train_seconds=summary["train_seconds"],
        )
        if encoder is not None:
            meta["item_features_encoder"] = encoder.to_json()
        files = {"state_dict.pt": state_dict_bytes(model), **report_files(comparison, summary)}
        version = self.registry.save(model_arrays(model, data), files, meta)
        if promote:
            self.registry.promote(version.version)
        return TrainOutcome(version, promote, summary, comparison)
