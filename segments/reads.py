"""Reading customers' facts from the graph, a batch at a time.

A customer's interactions are those of the identifiers its records hold plus those of
identifiers seen only with them (a cookie that signed in with its login): the same pool
the recommender and the API's `interactionSummary` use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any

from graph.port import GraphStore
from segments.facts import CustomerFacts, InteractionFact

PROFILE_FIELDS = ("country", "city")


def _fact(row: dict[str, Any], item: dict[str, Any] | None = None) -> InteractionFact:
    source = item if item is not None else row
    price = source.get("price")
    return InteractionFact(
        item_id=str(row["item_id"]),
        type=str(row["type"]),
        count=int(row["count"]),
        first_at=int(row["first_at"]),
        last_at=int(row["last_at"]),
        weight=float(row["weight"]),
        category=None if source.get("category") is None else str(source["category"]),
        price=None if price is None else float(price),
    )


async def _seen_with(store: GraphStore, ids: list[str]) -> dict[str, list[InteractionFact]]:
    """Interactions of the identifiers pooled into each customer through SEEN_WITH."""
    seen = await store.read("identifiers/seen_with_customers", {"ids": ids})
    owner = {str(r["key"]): str(r["customer_id"]) for r in seen}
    if not owner:
        return {}
    rows = await store.read("interactions/by_identifiers", {"keys": sorted(owner)})
    item_ids = sorted({str(r["item_id"]) for r in rows})
    items = {str(i["id"]): i for i in await store.read("items/get_items", {"ids": item_ids})}
    found: dict[str, list[InteractionFact]] = defaultdict(list)
    for row in rows:
        found[owner[str(row["id_key"])]].append(_fact(row, items.get(str(row["item_id"]), {})))
    return found


async def load_facts(store: GraphStore, ids: Sequence[str]) -> list[CustomerFacts]:
    """Facts of the given customers that exist, in the order given (RFM not yet set)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    customers = {
        str(r["id"]): r["customer"]
        for r in await store.read("customers/get_customers", {"ids": wanted})
    }
    direct: dict[str, list[InteractionFact]] = defaultdict(list)
    for row in await store.read("segments/customer_interactions", {"ids": wanted}):
        direct[str(row["customer_id"])].append(_fact(row))
    pooled = await _seen_with(store, wanted)
    return [
        CustomerFacts(
            customer_id=cid,
            profile={k: customers[cid].get(k) for k in PROFILE_FIELDS},
            interactions=tuple(direct.get(cid, [])) + tuple(pooled.get(cid, [])),
        )
        for cid in wanted
        if cid in customers
    ]


async def active_customer_pages(store: GraphStore, page: int = 1000) -> AsyncIterator[list[str]]:
    """Every active customer's id, a page at a time, in id order."""
    after = ""
    while True:
        rows = await store.read("segments/active_customer_ids", {"after": after, "limit": page})
        ids = [str(r["id"]) for r in rows]
        if ids:
            yield ids
        if len(ids) < page:
            return
        after = ids[-1]
