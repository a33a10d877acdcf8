"""The steward page's queue logic, free of GraphQL: which pairs a filter keeps, how they are
sorted (closest to a decision threshold first, or most valuable customers first), and the
probability bands the page counts and filters by."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any

BANDS = 4  # equal probability bands between the review and the auto-merge threshold


class QueueOrder(Enum):
    """How the queue is sorted."""

    THRESHOLD = "threshold"  # closest to the review or auto-merge threshold first
    VALUE = "value"  # the most valuable customers (purchases) first
    PROBABILITY = "probability"  # the most probable match first
    NEWEST = "newest"  # the most recently queued first


@dataclass(frozen=True)
class PairRow:
    """One candidate pair as `matches/review_pairs` returns it."""

    left_key: str
    right_key: str
    left_source: str | None
    right_source: str | None
    left_customer: str | None
    right_customer: str | None
    probability: float | None
    match_weight: float | None
    created_at: int | None
    decided_by: str | None
    decided_at: int | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PairRow:
        """From a row of `matches/review_pairs`."""
        return cls(
            left_key=str(row["left_key"]),
            right_key=str(row["right_key"]),
            left_source=row.get("left_source"),
            right_source=row.get("right_source"),
            left_customer=row.get("left_customer"),
            right_customer=row.get("right_customer"),
            probability=row.get("probability"),
            match_weight=row.get("match_weight"),
            created_at=row.get("created_at"),
            decided_by=row.get("decided_by"),
            decided_at=row.get("decided_at"),
        )

    def customers(self) -> list[str]:
        """The distinct customers the two records belong to."""
        return sorted({c for c in (self.left_customer, self.right_customer) if c})

    def value(self, values: Mapping[str, float]) -> float:
        """The summed value of the pair's customers (each counted once)."""
        return sum(values.get(c, 0.0) for c in self.customers())


@dataclass(frozen=True)
class Thresholds:
    """The identity thresholds: review from `review`, automatic merge from `auto_merge`."""

    review: float
    auto_merge: float

    def distance(self, probability: float | None) -> float | None:
        """How far a probability is from the nearer threshold (None without one)."""
        if probability is None:
            return None
        return min(abs(probability - self.review), abs(probability - self.auto_merge))

    def bands(self, count: int = BANDS) -> list[tuple[float, float]]:
        """`count` equal bands from the review to the auto-merge threshold, then the bands
        below and above them (for decided pairs, which can lie anywhere)."""
        step = (self.auto_merge - self.review) / count
        inner = [(self.review + i * step, self.review + (i + 1) * step) for i in range(count)]
        return [(0.0, self.review), *inner, (self.auto_merge, 1.0)]


@dataclass(frozen=True)
class QueueFilter:
    """What the steward narrowed the queue to; None means any."""

    source: str | None = None
    queued_from: date | None = None
    queued_to: date | None = None  # inclusive
    min_probability: float | None = None
    max_probability: float | None = None

    def keeps(self, row: PairRow, *, band: bool = True) -> bool:
        """Whether the pair passes the filter (`band=False` ignores the probability range)."""
        if self.source and self.source not in (row.left_source, row.right_source):
            return False
        at = row.created_at
        if self.queued_from and (at is None or at < _day_ms(self.queued_from)):
            return False
        if self.queued_to and (at is None or at >= _day_ms(self.queued_to + timedelta(days=1))):
            return False
        if not band:
            return True
        p = row.probability
        if self.min_probability is not None and (p is None or p < self.min_probability):
            return False
        high = self.max_probability  # exclusive, so that adjacent bands do not overlap
        return high is None or (p is not None and (p < high or high >= 1.0))


def _day_ms(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=UTC).timestamp() * 1000)


def band_counts(
    rows: Iterable[PairRow], bands: Sequence[tuple[float, float]]
) -> list[tuple[float, float, int]]:
    """How many pairs fall in each band (lower bound included; the top band includes 1.0)."""
    counts = [0] * len(bands)
    for row in rows:
        p = row.probability
        if p is None:
            continue
        for i, (low, high) in enumerate(bands):
            if low <= p < high or (p == high == 1.0):
                counts[i] += 1
                break
    return [(low, high, n) for (low, high), n in zip(bands, counts, strict=True)]


def sort_rows(
    rows: Iterable[PairRow],
    order: QueueOrder,
    thresholds: Thresholds,
    values: Mapping[str, float] | None = None,
) -> list[PairRow]:
    """The pairs in the requested order; ties keep key order (stable and repeatable)."""
    ordered = sorted(rows, key=lambda r: (r.left_key, r.right_key))
    if order is QueueOrder.VALUE:
        found = values or {}
        return sorted(ordered, key=lambda r: (-r.value(found), _distance(thresholds, r)))
    if order is QueueOrder.PROBABILITY:
        return sorted(ordered, key=lambda r: -(r.probability or 0.0))
    if order is QueueOrder.NEWEST:
        return sorted(ordered, key=lambda r: -(r.created_at or 0))
    return sorted(ordered, key=lambda r: _distance(thresholds, r))


def _distance(thresholds: Thresholds, row: PairRow) -> float:
    found = thresholds.distance(row.probability)
    return float("inf") if found is None else found
