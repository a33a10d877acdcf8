"""The scoring port used by resolution: score one record against candidate records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from identity.evidence import ScoredPair


class PairScorer(Protocol):
    """Scores a record (a model input row) against candidate rows with the trained model."""

    def score(
        self, record: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[ScoredPair]:
        """One ScoredPair per candidate, in the candidates' order."""
        ...


def score_pairs(
    scorer: PairScorer,
    rows: Mapping[str, Mapping[str, Any]],
    pairs: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], ScoredPair]:
    """Score arbitrary pairs, grouped by left record to keep calls few."""
    by_left: dict[str, list[str]] = {}
    for left, right in pairs:
        by_left.setdefault(left, []).append(right)
    found: dict[tuple[str, str], ScoredPair] = {}
    for left, rights in by_left.items():
        for right, scored in zip(
            rights, scorer.score(rows[left], [rows[r] for r in rights]), strict=True
        ):
            found[(left, right)] = scored
    return found
