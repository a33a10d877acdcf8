"""Query-file cases for the GraphQL API's batched reads: customers, records, identifiers."""

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


async def assign(store: GraphStore, **records: str) -> None:
    """Record crm:<name> belongs to the given customer."""
    rows = [{"record_key": f"crm:{r}", "customer_id": c} for r, c in records.items()]
    await store.write_batch("customers/assign_records", rows)


@case("customers/get_customers")
async def _get_customers(store: GraphStore) -> None:
    rows = [
        {"id": "C1", "created_at": 1, "updated_at": 2, "attrs": {"first_name": "Ann"}},
        {"id": "C2", "created_at": 1, "updated_at": 2, "attrs": {}},
    ]
    await store.write_batch("customers/upsert_customers", rows)
    await store.write_batch(
        "customers/retire_customers", [{"id": "C2", "merged_into": "C1", "at": 3}]
    )
    got = await store.read("customers/get_customers", {"ids": ["C2", "nope", "C1"]})
    found = {r["id"]: r["customer"] for r in got}
    assert set(found) == {"C1", "C2"}, "unknown ids give no row"
    assert found["C1"]["first_name"] == "Ann"
    assert (found["C2"]["status"], found["C2"]["merged_into"]) == ("retired", "C1")


@case("records/by_customers")
async def _records_by_customers(store: GraphStore) -> None:
    await seed_records(store, "b", "a", "c")
    await seed_customers(store, "C1", "C2", "C3")
    await assign(store, a="C1", b="C1", c="C2")
    got = await store.read("records/by_customers", {"ids": ["C1", "C2", "C3", "nope"]})
    assert [(r["customer_id"], r["record_key"]) for r in got] == [
        ("C1", "crm:a"),
        ("C1", "crm:b"),
        ("C2", "crm:c"),
    ]
    assert got[0]["record"]["first_name"] == "a"
    assert got[0]["record"]["source"] == "crm"


@case("identifiers/by_records")
async def _identifiers_by_records(store: GraphStore) -> None:
    await seed_records(store, "1", "2", "3")
    await link(store, "1", "login:u")
    await link(store, "1", "email:h")
    await link(store, "2", "email:h")
    got = await store.read("identifiers/by_records", {"keys": ["crm:1", "crm:2", "crm:3"]})
    assert [(r["record_key"], r["key"], r["type"], r["value"]) for r in got] == [
        ("crm:1", "email:h", "email", "h"),
        ("crm:1", "login:u", "login", "u"),
        ("crm:2", "email:h", "email", "h"),
    ]


@case("identifiers/seen_with_customers")
async def _seen_with_customers(store: GraphStore) -> None:
    await seed_items(store, "A")
    await seed_records(store, "1", "2", "3")
    await seed_customers(store, "C1", "C2")
    await link(store, "1", "login:u1")
    await link(store, "2", "login:u2")
    await link(store, "3", "device:held")
    await assign(store, **{"1": "C1", "2": "C2", "3": "C1"})
    pairs = [
        pair("cookie:c1", "login:u1"),  # only C1's: pooled into C1
        pair("cookie:both", "login:u1"),  # seen with both customers: ambiguous, left out
        pair("cookie:both", "login:u2"),
        pair("device:held", "login:u1"),  # held by a record: C1's already, not listed here
    ]
    await apply(store, 0, 1, interactions=[interaction("cookie:c1", "A")], pairs=pairs)
    got = await store.read("identifiers/seen_with_customers", {"ids": ["C1", "C2"]})
    assert [(r["customer_id"], r["key"], r["type"], r["value"]) for r in got] == [
        ("C1", "cookie:c1", "cookie", "c1")
    ]


@case("interactions/changed_since")
async def _changed_since(store: GraphStore) -> None:
    await seed_items(store, "A", "B")
    rows = [
        interaction("cookie:c", "A", first_at=10, last_at=50),
        interaction("cookie:c", "B", first_at=60, last_at=90),
        interaction("login:u", "A", first_at=20, last_at=95),
        interaction("login:other", "B", first_at=20, last_at=99),
    ]
    await store.write_batch("interactions/add_interactions", rows)
    params = {"keys": ["cookie:c", "login:u"], "since": 60}
    got = await store.read("interactions/changed_since", params)
    assert [(r["id_key"], r["item_id"], r["last_at"]) for r in got] == [
        ("cookie:c", "B", 90),
        ("login:u", "A", 95),
    ]
    assert await store.read("interactions/changed_since", {**params, "since": 95}) == []
