"""The PairScorer used by resolution: Splink's trained model compiled for small candidate sets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from identity.evidence import ComparisonEvidence, ScoredPair
from identity.fast_scoring import CompiledModel
from identity.training import TrainedModel


class CompiledScorer:
    """Scores one record against candidates with the same numbers Splink's predict gives."""

    def __init__(self, model: TrainedModel) -> None:
        self._compiled = CompiledModel.from_settings(model.settings, model.term_frequencies)

    def score(
        self, record: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[ScoredPair]:
        """One ScoredPair per candidate, in order; pair keys in canonical order."""
        if not candidates:
            return []
        found = []
        for candidate, scored in zip(
            candidates, self._compiled.score(record, candidates), strict=True
        ):
            left, right = sorted((str(record["unique_id"]), str(candidate["unique_id"])))
            evidence = tuple(
                ComparisonEvidence(
                    comparison=c.comparison,
                    level=c.level,
                    gamma=c.gamma,
                    match_weight=round(c.match_weight, 4),
                    tf_adjustment=round(c.tf_adjustment, 4),
                )
                for c in scored.comparisons
            )
            found.append(
                ScoredPair(left, right, scored.match_weight, scored.match_probability, evidence)
            )
        return found


def compiled_scorer(model: TrainedModel) -> CompiledScorer:
    """The scorer factory the identity service uses."""
    return CompiledScorer(model)
