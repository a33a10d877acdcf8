"""Explaining a match: the level and match weight of every comparison of a scored pair."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ComparisonEvidence:
    """How one attribute compared: the level reached and its match weight (log2 m/u, plus
    the term-frequency adjustment)."""

    comparison: str
    level: str
    gamma: int
    match_weight: float
    tf_adjustment: float = 0.0


@dataclass(frozen=True)
class ScoredPair:
    """A pair of records with the model's match weight, probability and evidence."""

    left: str
    right: str
    match_weight: float
    match_probability: float
    evidence: tuple[ComparisonEvidence, ...] = ()

    def conflicts_on(self, comparisons: tuple[str, ...], exempt: tuple[str, ...] = ()) -> bool:
        """True when every one of `comparisons` is at its lowest level ("all other") or
        missing, at least one really disagrees, and no `exempt` comparison agrees (a
        national id is never shared by a household)."""
        if any(g.gamma > 0 for g in self.evidence if g.comparison in exempt):
            return False
        gammas = [g.gamma for g in self.evidence if g.comparison in comparisons]
        return 0 in gammas and all(gamma <= 0 for gamma in gammas)

    def evidence_json(self) -> dict[str, Any]:
        """The evidence as stored on a CANDIDATE_MATCH relationship."""
        return {
            "match_weight": round(self.match_weight, 4),
            "match_probability": self.match_probability,
            "comparisons": [asdict(item) for item in self.evidence],
        }


def level_labels(settings: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """Comparison output column -> comparison vector value -> level label."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in settings.get("comparisons", []):
        levels = comparison.get("comparison_levels", [])
        non_null = [level for level in levels if not level.get("is_null_level")]
        mapping: dict[int, str] = {}
        for level in levels:
            if level.get("is_null_level"):
                mapping[-1] = level.get("label_for_charts", "null")
        for position, level in enumerate(non_null):
            mapping[len(non_null) - 1 - position] = level.get("label_for_charts", "")
        labels[comparison["output_column_name"]] = mapping
    return labels


def guard(
    pairs: Sequence[ScoredPair],
    conflict_comparisons: tuple[str, ...],
    exempt: tuple[str, ...] = ("national_id",),
) -> list[ScoredPair]:
    """The household guard: conflicting pairs keep their weight and evidence but get match
    probability 0, so the model links nothing and queues nothing for them."""
    return [
        replace(p, match_probability=0.0) if p.conflicts_on(conflict_comparisons, exempt) else p
        for p in pairs
    ]
