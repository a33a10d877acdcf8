"""Latent behaviour of each person: category preferences, activity level, consent attitude."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from demo_world.categories import CATEGORIES
from demo_world.items import Item
from demo_world.people import Household, Person
from demo_world.seeding import UniformStream

CONSENT_PURPOSES: tuple[str, ...] = ("analytics", "personalisation", "marketing")
_CONSENT_RATES = np.array([0.85, 0.60, 0.40])
_QUERY_STOPWORDS = frozenset((
    "set", "of", "pack", "and", "with", "in", "the", "for", "on", "a", "an", "to", "assorted",
    "design", "small", "large", "mini", "medium", "jumbo", "colour", "colours", "piece", "pc",
    "asstd", "des",
))  # fmt: skip
_CATEGORY_QUERIES: dict[str, tuple[str, ...]] = {
    "christmas": ("christmas decorations", "xmas", "christmas"),
    "seasonal": ("easter", "easter decorations"),
    "candles": ("candles", "tea lights", "candle holder"),
    "party": ("party", "gift wrap", "birthday"),
    "toys": ("toys", "kids games", "toy"),
    "crafts": ("craft kit", "sewing"),
    "stationery": ("notebook", "cards", "stationery"),
    "jewellery": ("jewellery", "umbrella", "purse"),
    "bath": ("bathroom", "soap"),
    "kitchen": ("kitchen", "mugs", "baking", "cake stand"),
    "bags": ("bags", "lunch bag", "shopper"),
    "garden": ("garden", "outdoor"),
    "textiles": ("cushion", "hot water bottle"),
    "storage": ("storage", "tins", "boxes"),
    "decor": ("home decor", "signs", "photo frame"),
    "gifts": ("gifts", "gift ideas"),
}


@dataclass
class Behaviour:
    """A person's latent tastes; drives what they browse and buy."""

    category_cdf: list[float]
    sessions_per_day: float
    app_share: float
    consent: tuple[bool, bool, bool]


class ItemSampler:
    """Samples items: category from a person's preferences, then item by popularity."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.by_category: list[list[int]] = []
        self.cdfs: list[list[float]] = []
        for category in CATEGORIES:
            members = [i for i, item in enumerate(items) if item.category == category]
            total = float(sum(items[i].popularity for i in members)) or 1.0
            self.by_category.append(members)
            self.cdfs.append(list(accumulate(items[i].popularity / total for i in members)))
        mass = np.array(
            [sum(items[i].popularity for i in m) for m in self.by_category], dtype=float
        )
        self.category_share = mass / mass.sum()
        self.query_words = [_content_words(item.title) for item in items]

    def category(self, behaviour: Behaviour, draws: UniformStream) -> int:
        """Draw a category index from the person's preferences."""
        return min(bisect_right(behaviour.category_cdf, draws.random()), len(CATEGORIES) - 1)

    def item(self, category: int, draws: UniformStream) -> int:
        """Draw an item index of the category, proportional to popularity."""
        members = self.by_category[category]
        if not members:
            return draws.below(len(self.items))
        return members[min(bisect_right(self.cdfs[category], draws.random()), len(members) - 1)]

    def query(self, category: int, draws: UniformStream) -> str:
        """Return a search query a shopper interested in the category might type."""
        draw = draws.random()
        if draw < 0.3:
            options = _CATEGORY_QUERIES[CATEGORIES[category]]
            return options[draws.below(len(options))]
        words = self.query_words[self.item(category, draws)]
        if draw < 0.4 or not words:  # a brand plus the category, e.g. "otter kitchen"
            brand = self.items[self.item(category, draws)].brand.split()[0].lower()
            return f"{brand} {CATEGORIES[category]}"
        width = 1 + draws.below(min(3, len(words)))
        begin = draws.below(len(words) - width + 1)
        return " ".join(words[begin : begin + width])


def _content_words(title: str) -> list[str]:
    words = re.findall(r"[a-z]+", title.lower())
    return [w for w in words if len(w) >= 3 and w not in _QUERY_STOPWORDS]


def build_behaviours(
    persons: list[Person],
    households: list[Household],
    sampler: ItemSampler,
    rng: np.random.Generator,
) -> list[Behaviour]:
    """Draw each person's Dirichlet category preferences (shared in part with their household)."""
    base = sampler.category_share
    alpha = 4.0 * base + 0.1  # popular categories are favoured more often, every one by someone
    result: list[Behaviour | None] = [None] * len(persons)
    for household in households:
        shared = rng.dirichlet(alpha)
        for member in household.members:
            own = rng.dirichlet(alpha)
            mix = 0.5 * shared + 0.5 * own if len(household.members) > 1 else own
            preference = 0.1 * base + 0.9 * mix
            cdf = np.cumsum(preference / preference.sum()).tolist()
            # sessions per day: log-normal, a few very active shoppers and a long quiet tail
            rate = float(rng.lognormal(mean=-3.9, sigma=1.0))
            consent = rng.random(3) < _CONSENT_RATES
            result[member] = Behaviour(
                category_cdf=cdf,
                sessions_per_day=rate,
                app_share=float(rng.beta(3.0, 2.0)),
                consent=(bool(consent[0]), bool(consent[1]), bool(consent[2])),
            )
    return [b for b in result if b is not None]
