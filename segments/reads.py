"""Reading customers' facts from the graph, a batch at a time.

A customer's interactions are those of the identifiers its records hold plus those of
identifiers seen only with them (a cookie that signed in with its login): the same pool
the recommender and the API's `interactionSummary` use. Their aggregates are read
compacted (`segments/customer_interactions`, `segments/pooled_interactions`): those whose
`last_at` is before `since` come summed per type and category, as one fact with the
group's latest `last_at` and, as its price, spend / count; with `categories`, items of other
categories count as uncategorised. Every rule whose windows reach back no further than
`since` and whose categories are among `categories`, and RFM, evaluate to the same result
on them as on every aggregate; reading is several times cheaper (the rows, parsed in
Python, are the cost).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

from graph.port import GraphStore
from segments.facts import CustomerFacts, InteractionFact

PROFILE_FIELDS = ("country", "city")


def _compact_fact(row: dict[str, Any]) -> InteractionFact:
    count, spend = int(row["count"]), float(row["spend"] or 0.0)
    return InteractionFact(
        item_id=str(row["part"] or ""),
        type=str(row["type"]),
        count=count,
        first_at=int(row["first_at"]),
        last_at=int(row["last_at"]),
        weight=float(row["weight"]),
        category=None if row.get("category") is None else str(row["category"]),
        price=spend / count if count else None,  # count x price = the group's spend
    )


async def _seen_with(
    store: GraphStore, ids: list[str], params: dict[str, Any]
) -> dict[str, list[InteractionFact]]:
    """Facts of the identifiers pooled into each customer through SEEN_WITH (compacted)."""
    seen = await store.read("identifiers/seen_with_customers", {"ids": ids})
    owner = {str(r["key"]): str(r["customer_id"]) for r in seen}
    if not owner:
        return {}
    found: dict[str, list[InteractionFact]] = defaultdict(list)
    for row in await store.read("segments/pooled_interactions", {**params, "keys": sorted(owner)}):
        found[owner[str(row["key"])]].append(_compact_fact(row))
    return found


async def load_facts(
    store: GraphStore,
    ids: Sequence[str],
    since: int,
    categories: Collection[str] | None = None,
    active_only: bool = False,
) -> list[CustomerFacts]:
    """Facts of the given customers that exist (with `active_only`, that are not retired),
    in the order given (RFM not yet set); aggregates older than `since` (epoch ms) summed,
    categories other than `categories` (lower-case; None: all) dropped."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    customers = {
        str(r["id"]): r
        for r in await store.read("segments/customer_profiles", {"ids": wanted})
        if not active_only or r["status"] == "active"
    }
    wanted = [cid for cid in wanted if cid in customers]
    if not wanted:
        return []
    direct: dict[str, list[InteractionFact]] = defaultdict(list)
    kept = None if categories is None else sorted(categories)
    params: dict[str, Any] = {"since": since, "categories": kept}
    for row in await store.read("segments/customer_interactions", {**params, "ids": wanted}):
        direct[str(row["customer_id"])].append(_compact_fact(row))
    pooled = await _seen_with(store, wanted, params)
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
