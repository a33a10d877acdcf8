"""What segment rules are evaluated on: one customer's profile and interaction aggregates.

The graph keeps no raw events, only one aggregate per identifier x item x type
(`count`, `first_at`, `last_at`, `weight`). Windowed counts are therefore approximate: an
aggregate counts, with all of its events, when its `last_at` lies inside the window. That
never misses a customer whose events really are in the window, but may over-count one
whose earlier events of the same item and type are older (three purchases of one item over
a year, the last yesterday, count as three "in the last 30 days").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class InteractionFact:
    """One interaction aggregate of one of the customer's identifiers, with its item."""

    item_id: str
    type: str
    count: int
    first_at: int
    last_at: int
    weight: float
    category: str | None = None
    price: float | None = None


@dataclass(frozen=True)
class CustomerFacts:
    """A customer's golden attributes and the interactions of all its identifiers."""

    customer_id: str
    profile: Mapping[str, object] = field(default_factory=dict)
    interactions: tuple[InteractionFact, ...] = ()
    rfm: str | None = None  # named RFM segment (`segments.rfm`), None without purchases

    def purchases(self) -> tuple[InteractionFact, ...]:
        """The purchase aggregates."""
        return tuple(x for x in self.interactions if x.type == "purchase")
