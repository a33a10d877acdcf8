"""Query-file cases for the recommendation snapshot: interactions, owners, catalogue."""

from __future__ import annotations

from graph.port import GraphStore
from tests.contract.query_cases import (
    apply,
    case,
    interaction,
    link,
    pair,
    seed_customers,
    seed_items,
    seed_records,
)


@case("gnn/interactions")
async def _interactions(store: GraphStore) -> None:
    await seed_items(store, "A", "B")
    rows = [
        interaction("cookie:c", "A", type="product_view", weight=1.0, first_at=50),
        interaction("cookie:c", "A", first_at=70),
        interaction("cookie:c", "B", type="product_view", weight=1.0, first_at=20),
        interaction("login:u", "B", first_at=90),
    ]
    await store.write_batch("interactions/add_interactions", rows)
    got = await store.read("gnn/interactions")
    assert [r["id_key"] for r in got] == ["cookie:c", "login:u"]
    cookie = {
        item: (weight, first)
        for item, weight, first in zip(
            got[0]["items"], got[0]["weights"], got[0]["first_ats"], strict=True
        )
    }
    assert cookie == {"A": (6.0, 50), "B": (1.0, 20)}, "types summed per item, earliest time"
    assert (got[1]["items"], got[1]["weights"], got[1]["first_ats"]) == (["B"], [5.0], [90])


@case("gnn/identifier_customers")
async def _identifier_customers(store: GraphStore) -> None:
    await seed_items(store, "A")
    await seed_records(store, "1")
    await link(store, "1", "login:u")
    await seed_customers(store, "C")
    await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:1", "customer_id": "C"}]
    )
    interactions = [interaction(key, "A") for key in ("login:u", "cookie:c", "cookie:alone")]
    await apply(store, 0, 1, interactions=interactions, pairs=[pair("cookie:c", "login:u")])
    rows = await store.read("gnn/identifier_customers")
    got = {r["id_key"]: (r["direct_ids"], r["via_ids"]) for r in rows}
    assert got == {
        "login:u": (["C"], []),  # its record's customer
        "cookie:c": ([], ["C"]),  # seen with login:u in an identify event
        "cookie:alone": ([], []),  # anonymous: trains as a user of its own
    }


@case("gnn/items")
async def _items(store: GraphStore) -> None:
    await seed_items(store, "B", "A")
    got = await store.read("gnn/items")
    assert [r["id"] for r in got] == ["A", "B"]
    assert set(got[0]) == {
        "id", "title", "category", "brand", "price", "description", "in_stock"
    }  # fmt: skip
    assert got[0]["title"] == "TA"
