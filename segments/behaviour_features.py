"""Per-customer behaviour features for clustering, from the same facts segment rules use.

For every customer with at least one interaction aggregate:

- `days_since_active`: days since the latest interaction of any type;
- `<type>_events` for `product_view`, `add_to_cart` and `purchase`: events of that type;
- `spend`: the RFM monetary value (count x item price, the aggregate's weight without one);
- `share_<category>`: share of the customer's events on items of that category, for the
  `max_categories` categories with the most events in the population.

`raw` keeps them in their own units (what cluster descriptions quote); `model_input` is
what k-means sees before standardisation: counts, days and spend through log1p (their long
tails would otherwise decide every cluster), shares as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from segments.facts import CustomerFacts
from segments.rfm import DAY_MS

EVENT_TYPES = ("product_view", "add_to_cart", "purchase")
SHARE_PREFIX = "share_"
LABELS = {
    "days_since_active": "days since last active",
    "product_view_events": "product views",
    "add_to_cart_events": "add-to-carts",
    "purchase_events": "purchases",
    "spend": "spend",
}


@dataclass(frozen=True)
class BehaviourFeatures:
    """A feature matrix over customers: raw units and the (unstandardised) k-means input."""

    customer_ids: list[str]
    names: list[str]
    raw: np.ndarray  # (customers, features) float64
    model_input: np.ndarray  # (customers, features) float64

    def label(self, name: str) -> str:
        """A human-readable name of a feature (`garden share` for `share_garden`)."""
        if name.startswith(SHARE_PREFIX):
            return f"{name[len(SHARE_PREFIX) :]} share"
        return LABELS.get(name, name)

    def is_share(self, name: str) -> bool:
        """Whether the feature is a share (0..1, quoted as a percentage)."""
        return name.startswith(SHARE_PREFIX)


def _categories(population: Sequence[CustomerFacts], most: int) -> list[str]:
    totals: Counter[str] = Counter()
    for facts in population:
        for x in facts.interactions:
            if x.category:
                totals[x.category.strip().casefold()] += x.count
    return [name for name, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))][:most]


def _row(facts: CustomerFacts, categories: list[str], now_ms: int) -> list[float]:
    counts = Counter[str]()
    by_category = Counter[str]()
    spend = 0.0
    for x in facts.interactions:
        counts[x.type] += x.count
        if x.category:
            by_category[x.category.strip().casefold()] += x.count
        if x.type == "purchase":
            spend += x.count * x.price if x.price is not None else x.weight
    last = max(x.last_at for x in facts.interactions)
    total = sum(counts.values()) or 1
    return [
        max(0.0, (now_ms - last) / DAY_MS),
        *(float(counts[t]) for t in EVENT_TYPES),
        spend,
        *(by_category[c] / total for c in categories),
    ]


def behaviour_features(
    population: Sequence[CustomerFacts], now_ms: int, max_categories: int = 12
) -> BehaviourFeatures:
    """Features of every customer of `population` with interactions (the others are left
    out), in customer id order: the clustering does not depend on the order read."""
    if max_categories < 0:
        raise ValueError(f"max_categories: must be >= 0, got {max_categories}")
    active = sorted((f for f in population if f.interactions), key=lambda f: f.customer_id)
    categories = _categories(active, max_categories)
    names = [
        "days_since_active",
        *(f"{t}_events" for t in EVENT_TYPES),
        "spend",
        *(f"{SHARE_PREFIX}{c}" for c in categories),
    ]
    raw = np.array([_row(f, categories, now_ms) for f in active], dtype=np.float64)
    raw = raw.reshape(len(active), len(names))
    logged = 2 + len(EVENT_TYPES)  # days, counts, spend
    model_input = raw.copy()
    model_input[:, :logged] = np.log1p(np.maximum(raw[:, :logged], 0.0))
    return BehaviourFeatures([f.customer_id for f in active], names, raw, model_input)
