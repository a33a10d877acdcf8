"""Facts read compacted (older aggregates summed, unnamed categories dropped) evaluate every
rule and RFM exactly as the aggregates one by one do, on the real store."""

from __future__ import annotations

from graph.port import GraphStore
from segments.evaluate import categories_named, evaluate, longest_window
from segments.reads import load_facts
from segments.rfm import rfm_values
from segments.rules import parse_definition
from tests.contract.query_cases import ITEM, apply, interaction, pair
from tests.segments import behaviour_world
from tests.segments.conftest import DAY, NOW

RULES = [
    {"event": "product_view", "category": "garden", "within": "2d"},
    {"event": "purchase", "within": "30d", "min_count": 4},
    {"event": "purchase", "category": "GARDEN", "min_weight": 4.0},
    {"any": [{"event": "product_view", "min_count": 9}, {"event": "purchase", "within": "400d"}]},
    {"not": {"event": "purchase", "category": "kitchen", "within": "3d"}},
]


async def more_history(store: GraphStore, ids: list[str]) -> None:
    """Each customer also viewed and bought other garden, kitchen and unpriced toy items,
    at ages from a day to a year: several aggregates per type and category; a cookie seen
    with every third customer's login did too (facts pooled into that customer)."""
    items = [
        {**ITEM, "id": i, "title": i, "category": c, "price": p, "in_stock": True}
        for i, c, p in (("G2", "garden", 6.0), ("K2", "Kitchen", 3.0), ("X", "toys", None))
    ]
    await store.write_batch("items/upsert_items", items)
    rows = [
        interaction(
            f"login:{cid}", item, type=kind, count=1 + n % 3, weight=2.5 * (1 + n % 2),
            first_at=NOW - ago * DAY - DAY, last_at=NOW - ago * DAY,
        )
        for n, cid in enumerate(ids)
        for item, kind, ago in (
            ("G2", "product_view", 1 + n % 4), ("G2", "purchase", 20 + n * 7),
            ("K2", "purchase", 2 + n % 5), ("X", "purchase", 300 - n), ("X", "add_to_cart", n),
        )
    ]  # fmt: skip
    cookies = [f"cookie:{cid}" for cid in ids[::3]]
    pooled = (("G2", "purchase", 1), ("G", "purchase", 40), ("X", "product_view", 5))
    rows += [
        interaction(
            cookie, item, type=kind, count=2, first_at=NOW - (ago + n) * DAY - DAY,
            last_at=NOW - (ago + n) * DAY,
        )
        for n, cookie in enumerate(cookies)
        for item, kind, ago in pooled
    ]  # fmt: skip
    pairs = [pair(cookie, f"login:{cookie[7:]}") for cookie in cookies]
    await apply(store, 1, 2, interactions=rows, pairs=pairs)


async def test_compacted_facts_evaluate_like_every_aggregate(store: GraphStore) -> None:
    ids = await behaviour_world.write(store)
    await more_history(store, ids)
    every = {f.customer_id: f for f in await load_facts(store, ids, since=0)}
    sizes: list[int] = []
    pooled = [x for x in every[ids[0]].interactions if x.item_id.startswith("cookie:")]
    assert len(pooled) == 3, "the cookie seen with its login is pooled in"
    for number, rule in enumerate(RULES):
        condition = parse_definition({"id": f"r{number}", "name": "r", "rule": rule}).rule
        since = NOW - longest_window(condition)
        compact = await load_facts(store, ids, since, categories_named(condition))
        sizes.append(sum(len(f.interactions) for f in compact))
        for facts in compact:
            expected = evaluate(condition, every[facts.customer_id], NOW)
            assert evaluate(condition, facts, NOW) is expected, (rule, facts.customer_id)
    full = sum(len(f.interactions) for f in every.values())
    assert max(sizes) == full, "400 days back: everything one by one"
    assert min(sizes) < full, "fewer facts to read"
    for later in (NOW, NOW + 90 * DAY):  # RFM needs no detail at all
        summed = await load_facts(store, ids, since=later + 1, categories=())
        for facts in summed:
            got, want = rfm_values(facts, later), rfm_values(every[facts.customer_id], later)
            assert (got is None) is (want is None)
            if got is not None and want is not None:
                assert got[:2] == want[:2]
                assert abs(got[2] - want[2]) < 1e-9
