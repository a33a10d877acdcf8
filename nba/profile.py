"""What a decision is made on: the subject's profile (built from what the API already loaded)
and the request's context.

A profile is built from the interaction aggregates of the subject's identifiers (the rows
`interactionSummary` is computed from), its segment memberships and its golden country and
city: no extra graph read. Item categories come from a lookup the caller supplies (the
service keeps the catalogue's categories in memory).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from segments.facts import CustomerFacts, InteractionFact

RFM_PREFIX = "rfm:"


class Aggregate(Protocol):
    """An interaction aggregate as the API's loaders return it."""

    @property
    def item_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def weight(self) -> float: ...
    @property
    def first_at(self) -> int: ...
    @property
    def last_at(self) -> int: ...


@dataclass(frozen=True)
class DecisionContext:
    """The request: where (channel, device, page and its category) and the hour (UTC).

    None means not given: a rule on that field is false, and every channel is allowed.
    """

    channel: str | None = None
    device: str | None = None
    page: str | None = None
    category: str | None = None
    hour: int | None = None


@dataclass(frozen=True)
class NbaProfile:
    """A customer's or an anonymous visitor's data, summarised once per decision."""

    subject: str  # the customer id, else the identifier key
    customer_id: str | None = None
    segments: frozenset[str] = frozenset()
    rfm: str | None = None  # the named RFM segment
    country: str | None = None
    city: str | None = None
    purchases: int = 0
    views: int = 0
    last_seen_at: int | None = None
    last_purchase_at: int | None = None
    last_cart_at: int | None = None
    category_weight: Mapping[str, float] = field(default_factory=dict)  # folded name -> weight
    total_weight: float = 0.0
    rows: tuple[Aggregate, ...] = ()
    categories: tuple[str | None, ...] = ()  # of `rows`, in order, folded (case, spaces)

    @property
    def known(self) -> bool:
        """Whether the subject is a resolved customer."""
        return self.customer_id is not None

    @cached_property
    def facts(self) -> CustomerFacts:
        """The segment language's view (built when a rule first needs it)."""
        interactions = tuple(
            InteractionFact(r.item_id, r.type, r.count, r.first_at, r.last_at, r.weight, c)
            for r, c in zip(self.rows, self.categories, strict=True)
        )
        profile = {k: v for k, v in (("country", self.country), ("city", self.city)) if v}
        return CustomerFacts(self.customer_id or self.subject, profile, interactions, self.rfm)

    def category_share(self, category: str | None) -> float:
        """The share of the subject's interaction weight in a category (0 when none)."""
        if category is None or self.total_weight <= 0:
            return 0.0
        return self.category_weight.get(_fold(category) or "", 0.0) / self.total_weight


def _fold(value: str | None) -> str | None:
    return None if value is None else value.strip().casefold()


def build_profile(
    subject: str,
    interactions: Iterable[Aggregate],
    *,
    customer_id: str | None = None,
    segment_ids: Iterable[str] = (),
    country: str | None = None,
    city: str | None = None,
    category_of: Callable[[str], str | None] = lambda item: None,
) -> NbaProfile:
    """Summarise the subject's aggregates and memberships into a profile (one pass)."""
    rows = tuple(interactions)
    categories = tuple(_fold(category_of(row.item_id)) for row in rows)
    weights: dict[str, float] = defaultdict(float)
    purchases = views = 0
    total = 0.0
    seen = bought = carted = -1
    for row, category in zip(rows, categories, strict=True):
        total += row.weight
        if category is not None:
            weights[category] += row.weight
        last = row.last_at
        seen = max(seen, last)
        kind = row.type
        if kind == "purchase":
            purchases += row.count
            bought = max(bought, last)
        elif kind == "add_to_cart":
            carted = max(carted, last)
        elif kind == "product_view":
            views += row.count
    segments = frozenset(segment_ids)
    rfm = next((s[len(RFM_PREFIX) :] for s in sorted(segments) if s.startswith(RFM_PREFIX)), None)
    return NbaProfile(
        subject=subject,
        customer_id=customer_id,
        segments=segments,
        rfm=rfm,
        country=country or None,
        city=city or None,
        purchases=purchases,
        views=views,
        last_seen_at=seen if seen >= 0 else None,
        last_purchase_at=bought if bought >= 0 else None,
        last_cart_at=carted if carted >= 0 else None,
        category_weight=dict(weights),
        total_weight=total,
        rows=rows,
        categories=categories,
    )
