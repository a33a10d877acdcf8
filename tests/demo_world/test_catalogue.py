"""The committed catalogue, the keyword category rules and the enriched items.csv."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from demo_world.catalogue.extract_catalogue import title_case
from demo_world.categories import CATEGORIES, FALLBACK_CATEGORY, categorize
from demo_world.items import ITEM_COLUMNS, build_catalogue, read_base_catalogue

CATALOGUE_DIR = Path(__file__).resolve().parents[2] / "demo_world" / "catalogue"


def test_committed_catalogue_is_complete() -> None:
    rows = read_base_catalogue()
    assert len(rows) == 2000
    ids = [item_id for item_id, _, _, _ in rows]
    assert len(set(ids)) == len(ids)
    assert all(item_id.startswith("I-") for item_id in ids)
    assert all(title and price > 0 and popularity > 0 for _, title, price, popularity in rows)
    popularity = [p for _, _, _, p in rows]
    assert popularity == sorted(popularity, reverse=True)
    assert rows[0][:2] == ("I-85123A", "White Hanging Heart T-Light Holder")
    for name in ("README.md", "extract_catalogue.py", "online_retail_items.csv"):
        assert (CATALOGUE_DIR / name).is_file()
    readme = (CATALOGUE_DIR / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme
    assert "Chen, D. (2019)" in readme


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "White Hanging Heart T-Light Holder"),
        ("PACK OF 72 RETROSPOT CAKE CASES", "Pack of 72 Retrospot Cake Cases"),
        (" SET OF 6  SOLDIER SKITTLES", "Set of 6 Soldier Skittles"),
        ("BAG 250g SWIRLY MARBLES", "Bag 250g Swirly Marbles"),
        ("*USB Office Glitter Lamp", "USB Office Glitter Lamp"),
        ("DOG BOWL , CHASING BALL DESIGN", "Dog Bowl, Chasing Ball Design"),
    ],
)
def test_title_case(raw: str, title: str) -> None:
    assert title_case(raw) == title


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Paper Chain Kit 50's Christmas", "christmas"),
        ("White Hanging Heart T-Light Holder", "candles"),
        ("Jumbo Bag Red Retrospot", "bags"),
        ("Regency Cakestand 3 Tier", "kitchen"),
        ("Lunch Bag Red Spotty", "bags"),
        ("Vintage Snap Cards", "toys"),
        ("Swallows Greeting Card", "stationery"),
        ("Assorted Colour Bird Ornament", "garden"),
        ("Home Building Block Word", "decor"),
        ("Sombrero", "toys"),
        ("Inflatable Political Globe", FALLBACK_CATEGORY),
    ],
)
def test_category_rules(title: str, category: str) -> None:
    assert categorize(title) == category


def test_items_are_enriched_and_seeded() -> None:
    items = build_catalogue(np.random.default_rng(1))
    again = build_catalogue(np.random.default_rng(1))
    assert [i.row() for i in items] == [i.row() for i in again]
    categories = Counter(item.category for item in items)
    assert 12 <= len(categories) <= 20
    assert set(categories) <= set(CATEGORIES)
    assert categories[FALLBACK_CATEGORY] < len(items) * 0.1
    brands: dict[str, set[str]] = {}
    for item in items:
        brands.setdefault(item.category, set()).add(item.brand)
        assert item.title in item.description
        assert item.brand in item.description
        assert len(item.row()) == len(ITEM_COLUMNS)
    assert all(len(names) >= 2 for names in brands.values())
    all_brands = [b for names in brands.values() for b in names]
    assert len(all_brands) == len(set(all_brands))  # a brand belongs to one category
    in_stock = sum(item.in_stock for item in items) / len(items)
    assert 0.8 < in_stock < 1.0


def test_items_csv_matches_the_spec(tmp_path: Path) -> None:
    from demo_world import DemoWorldConfig, generate

    generate(DemoWorldConfig(people=10, days=5, holdout_days=1, output_dir=tmp_path))
    with (tmp_path / "items.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == ITEM_COLUMNS
        rows = list(reader)
    assert len(rows) == 2000
    assert {row["currency"] for row in rows} == {"GBP"}
    assert {row["in_stock"] for row in rows} == {"true", "false"}
    assert all(float(row["price"]) > 0 for row in rows)
