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
        # Keyed tables: each record brings its own frequencies (`tf_<col>`, which Splink
        # and the compiled model prefer to the table), looked up by the value's keyed hash.
        self._tf = model.term_frequencies if model.tf_hasher is not None else None
        self._hasher = model.tf_hasher
        self._prefix = self._compiled.terms.tf_column_prefix

    def _with_frequencies(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        if self._tf is None or self._hasher is None:
            return row
        return {**row, **self._hasher.lookups(self._tf, row, self._prefix)}

    def score(
        self, record: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[ScoredPair]:
        """One ScoredPair per candidate, in order; pair keys in canonical order."""
        if not candidates:
            return []
        found = []
        scores = self._compiled.score(
            self._with_frequencies(record), [self._with_frequencies(c) for c in candidates]
        )
        for candidate, scored in zip(candidates, scores, strict=True):
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
