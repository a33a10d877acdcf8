"""The item catalogue (items.csv): real Online Retail II products plus category, brand, text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np

from demo_world.categories import CATEGORIES, categorize

CATALOGUE_FILE = "online_retail_items.csv"
CURRENCY = "GBP"
ITEM_COLUMNS: tuple[str, ...] = (
    "item_id",
    "title",
    "category",
    "brand",
    "price",
    "currency",
    "description",
    "in_stock",
)
# synthetic brands: "<first> <second>", several per category, drawn with the seed
_BRAND_FIRST: tuple[str, ...] = (
    "Hearth", "Willow", "Bramble", "Juniper", "Maple", "Thistle", "Foxglove", "Kestrel",
    "Harbour", "Meadow", "Linden", "Rowan", "Hazel", "Wren", "Ember", "Pebble", "Clover",
    "Saffron", "Marlow", "Ashby", "Orchard", "Copper", "Bluebell", "Fennel", "Larch", "Puffin",
    "Heron", "Otter", "Finch", "Skylark", "Damson", "Quince", "Sorrel", "Tansy", "Yarrow", "Elder",
)  # fmt: skip
_BRAND_SECOND: tuple[str, ...] = (
    "& Co", "Home", "Living", "Lane", "Studio", "Works", "House", "Crafts", "Trading Co",
    "& Sons", "Design", "Goods", "Mill", "Makers",
)  # fmt: skip
_BLURBS: dict[str, str] = {
    "christmas": "festive decoration to make the season sparkle",
    "seasonal": "seasonal treat for Easter and spring celebrations",
    "candles": "warm light for cosy evenings at home",
    "party": "party essential for birthdays, gifts and celebrations",
    "toys": "playful toy or game for children and the young at heart",
    "crafts": "crafting companion for makers and sewing projects",
    "stationery": "stationery piece for notes, cards and letters",
    "jewellery": "accessory to wear, carry or give",
    "bath": "bathroom and pamper-time favourite",
    "kitchen": "kitchen and dining piece for baking, tea and mealtimes",
    "bags": "handy bag for shopping, lunch and storage",
    "garden": "garden and outdoor piece for patios, plants and picnics",
    "textiles": "soft furnishing that adds comfort",
    "storage": "storage solution that keeps things tidy",
    "decor": "decorative touch for walls, doors and shelves",
    "gifts": "quirky gift and novelty",
}
_TAGLINES: tuple[str, ...] = (
    "A customer favourite.",
    "Makes a lovely gift.",
    "Designed in the UK.",
    "Part of our vintage-inspired range.",
    "Beautifully packaged.",
    "Mix and match with the rest of the collection.",
)


@dataclass(frozen=True)
class Item:
    """One product of the catalogue."""

    item_id: str
    title: str
    category: str
    brand: str
    price: float
    description: str
    in_stock: bool
    popularity: int

    def row(self) -> list[str]:
        """Return the items.csv row in ``ITEM_COLUMNS`` order."""
        stock = "true" if self.in_stock else "false"
        return [
            self.item_id,
            self.title,
            self.category,
            self.brand,
            f"{self.price:.2f}",
            CURRENCY,
            self.description,
            stock,
        ]


def read_base_catalogue() -> list[tuple[str, str, float, int]]:
    """Read the committed ``(item_id, title, price, popularity)`` rows shipped with the package."""
    text = (
        resources.files("demo_world.catalogue").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    )
    return [
        (row["item_id"], row["title"], float(row["price"]), int(row["popularity"]))
        for row in csv.DictReader(io.StringIO(text))
    ]


def _brands(rng: np.random.Generator) -> dict[str, list[str]]:
    names = [f"{a} {b}" for a in _BRAND_FIRST for b in _BRAND_SECOND]
    order = rng.permutation(len(names)).tolist()
    brands: dict[str, list[str]] = {}
    cursor = 0
    for category in CATEGORIES:
        count = int(rng.integers(3, 7))
        brands[category] = [names[i] for i in order[cursor : cursor + count]]
        cursor += count
    return brands


def build_catalogue(rng: np.random.Generator) -> list[Item]:
    """Return the enriched catalogue; brand, description and stock are seeded by ``rng``."""
    brands = _brands(rng)
    items: list[Item] = []
    for item_id, title, price, popularity in read_base_catalogue():
        category = categorize(title)
        options = brands[category]
        weights = 1.0 / np.arange(1, len(options) + 1)  # a few big brands, a long tail
        brand = options[int(rng.choice(len(options), p=weights / weights.sum()))]
        tagline = _TAGLINES[int(rng.integers(len(_TAGLINES)))]
        blurb = _BLURBS[category]
        article = "an" if blurb[0] in "aeiou" else "a"
        description = f"{title} by {brand}: {article} {blurb}. {tagline}"
        items.append(
            Item(
                item_id,
                title,
                category,
                brand,
                price,
                description,
                bool(rng.random() < 0.93),
                popularity,
            )
        )
    return items
