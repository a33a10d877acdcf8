"""Customers in three clear behaviour groups, as facts and in the real store."""

from __future__ import annotations

from graph.port import GraphStore
from segments.facts import CustomerFacts, InteractionFact
from tests.contract.query_cases import ITEM, apply, interaction, link, seed_records
from tests.contract.query_cases_api import assign
from tests.segments.conftest import DAY, NOW

PRICES = {"K": 10.0, "G": 4.0}
CATEGORIES = {"K": "kitchen", "G": "garden"}
GROUPS = {"browser": "W", "buyer": "Y", "lapsed": "L"}  # group -> id prefix


def behaviour(group: str, n: int) -> list[tuple[str, str, int, int]]:
    """(item, type, count, days ago) aggregates of member `n` of a group."""
    if group == "browser":  # garden views lately, nothing bought
        return [("G", "product_view", 6 + n, 1 + n % 2)]
    if group == "buyer":  # kitchen purchases lately, a few views
        return [("K", "purchase", 3 + n, 2 + n % 3), ("K", "product_view", 2 + n % 2, 2)]
    return [("G", "purchase", 1, 300 + 10 * n)]  # one garden purchase long ago


def members(per_group: int = 6) -> dict[str, str]:
    """Customer id -> group: W00.. browsers, Y00.. buyers, L00.. lapsed."""
    return {f"{p}{n:02d}": g for g, p in GROUPS.items() for n in range(per_group)}


def facts(per_group: int = 6) -> list[CustomerFacts]:
    """The groups as segment facts."""
    found = []
    for cid, group in members(per_group).items():
        n = int(cid[1:])
        found.append(
            CustomerFacts(
                cid,
                {},
                tuple(
                    InteractionFact(
                        item, kind, count, NOW - ago * DAY - DAY, NOW - ago * DAY,
                        count * PRICES[item], CATEGORIES[item], PRICES[item],
                    )
                    for item, kind, count, ago in behaviour(group, n)
                ),
            )
        )  # fmt: skip
    return found


async def write(store: GraphStore, per_group: int = 6, idle: tuple[str, ...] = ()) -> list[str]:
    """The groups (and `idle` customers without interactions) as customers in the store."""
    items = [
        {**ITEM, "id": i, "title": i, "category": CATEGORIES[i], "price": p, "in_stock": True}
        for i, p in PRICES.items()
    ]
    await store.write_batch("items/upsert_items", items)
    ids = [*members(per_group), *idle]
    rows = [{"id": c, "created_at": 1, "updated_at": 1, "attrs": {}} for c in ids]
    await store.write_batch("customers/upsert_customers", rows)
    await seed_records(store, *ids)
    for cid in ids:
        await link(store, cid, f"login:{cid}")
    await assign(store, **{cid: cid for cid in ids})
    events = [
        interaction(
            f"login:{cid}", item, type=kind, count=count, weight=count * PRICES[item],
            first_at=NOW - ago * DAY - DAY, last_at=NOW - ago * DAY,
        )
        for cid, group in members(per_group).items()
        for item, kind, count, ago in behaviour(group, int(cid[1:]))
    ]  # fmt: skip
    await apply(store, 0, 1, interactions=events)
    return ids
