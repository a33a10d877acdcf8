"""RFM scores (recency, frequency, monetary; 1-5 each) and the named RFM segments.

Over every customer with at least one purchase aggregate:

- recency = days since the latest purchase `last_at`; frequency = purchase events (sum of
  the aggregates' counts); monetary = sum of count x item price, or the aggregate's weight
  when the item has no price.
- Each becomes a quintile score 1-5 against cut points at the 20th, 40th, 60th and 80th
  percentiles (nearest rank) of the population: higher frequency and monetary score
  higher, fewer days since the last purchase score higher. Ties share a score, so a
  population where most customers bought once puts them all in the same F band.
- The named segment comes from R and FM = round-half-up((F + M) / 2), on the usual
  R x F grid:

| R \\ FM | 1 | 2 | 3 | 4 | 5 |
|---|---|---|---|---|---|
| 5 | new | potential loyalists | potential loyalists | champions | champions |
| 4 | promising | potential loyalists | potential loyalists | loyal | loyal |
| 3 | about to sleep | about to sleep | need attention | loyal | loyal |
| 1-2 | hibernating | hibernating | at risk | at risk | can't lose them |

Customers without purchases have no RFM score and no RFM segment. The cut points are
fitted on the population (`RfmModel.fit`), so one customer can be scored later against
them (incremental evaluation) without reading everybody again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from segments.facts import CustomerFacts

DAY_MS = 86_400_000
RFM_SEGMENTS: dict[str, str] = {
    "champions": "bought recently, buy often and spend the most (R 5, FM 4-5)",
    "loyal": "buy often and spend a lot, recently enough (R 3-4, FM 4-5)",
    "potential_loyalists": "recent customers with average frequency (R 4-5, FM 2-3)",
    "new": "bought very recently, for the first time or little (R 5, FM 1)",
    "promising": "recent, but bought little (R 4, FM 1)",
    "need_attention": "average recency, frequency and spend (R 3, FM 3)",
    "about_to_sleep": "below average recency and frequency (R 3, FM 1-2)",
    "at_risk": "bought often, but long ago (R 1-2, FM 3-4)",
    "cant_lose_them": "were the best customers, long ago (R 1-2, FM 5)",
    "hibernating": "last purchase long ago, few and small (R 1-2, FM 1-2)",
}


def named_segment(r: int, f: int, m: int) -> str:
    """The named RFM segment of a score triple (see the module's grid)."""
    fm = (f + m + 1) // 2
    if r >= 4:
        if fm >= 4:
            return "champions" if r == 5 else "loyal"
        if fm >= 2:
            return "potential_loyalists"
        return "new" if r == 5 else "promising"
    if r == 3:
        if fm >= 4:
            return "loyal"
        return "need_attention" if fm == 3 else "about_to_sleep"
    if fm == 5:
        return "cant_lose_them"
    return "at_risk" if fm >= 3 else "hibernating"


def quintile_cuts(values: Sequence[float]) -> tuple[float, ...]:
    """The 20th/40th/60th/80th percentiles (nearest rank) of `values` (empty: none)."""
    ordered = sorted(values)
    if not ordered:
        return ()
    return tuple(ordered[math.ceil(p * len(ordered) / 5) - 1] for p in (1, 2, 3, 4))


def band(value: float, cuts: Sequence[float], higher_is_better: bool = True) -> int:
    """Score 1-5 of `value` against quintile cut points."""
    above = sum(1 for cut in cuts if value > cut)
    return 1 + above if higher_is_better else 5 - above


@dataclass(frozen=True)
class RfmScore:
    """A customer's RFM values, scores and named segment."""

    customer_id: str
    recency_days: float
    frequency: int
    monetary: float
    r: int
    f: int
    m: int
    segment: str

    @property
    def code(self) -> int:
        """The scores as one number, R·100 + F·10 + M (555 is the best)."""
        return self.r * 100 + self.f * 10 + self.m


def rfm_values(facts: CustomerFacts, now_ms: int) -> tuple[float, int, float] | None:
    """(recency days, frequency, monetary) of a customer; None without purchases."""
    purchases = facts.purchases()
    if not purchases:
        return None
    last = max(p.last_at for p in purchases)
    frequency = sum(p.count for p in purchases)
    monetary = sum(p.count * p.price if p.price is not None else p.weight for p in purchases)
    return max(0.0, (now_ms - last) / DAY_MS), frequency, float(monetary)


@dataclass(frozen=True)
class RfmModel:
    """Quintile cut points fitted on a population of customers."""

    recency: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]
    fitted_at: int

    @classmethod
    def fit(cls, population: Iterable[CustomerFacts], now_ms: int) -> RfmModel:
        """Cut points over every customer with purchases."""
        values = [v for facts in population if (v := rfm_values(facts, now_ms)) is not None]
        return cls(
            recency=quintile_cuts([v[0] for v in values]),
            frequency=quintile_cuts([float(v[1]) for v in values]),
            monetary=quintile_cuts([v[2] for v in values]),
            fitted_at=now_ms,
        )

    def score(self, facts: CustomerFacts, now_ms: int) -> RfmScore | None:
        """The customer's RFM score against these cut points; None without purchases."""
        values = rfm_values(facts, now_ms)
        if values is None:
            return None
        days, frequency, monetary = values
        r = band(days, self.recency, higher_is_better=False)
        f = band(frequency, self.frequency)
        m = band(monetary, self.monetary)
        return RfmScore(
            facts.customer_id, days, frequency, monetary, r, f, m, named_segment(r, f, m)
        )


def rfm_scores(population: Sequence[CustomerFacts], now_ms: int) -> dict[str, RfmScore]:
    """Every customer's RFM score against the population's own cut points."""
    model = RfmModel.fit(population, now_ms)
    scored = (model.score(facts, now_ms) for facts in population)
    return {s.customer_id: s for s in scored if s is not None}
