"""One case per query file: seeds what the query needs and checks what it does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from graph.errors import QueryError
from graph.port import GraphStore
from graph.queries import Cypher

Case = Callable[[GraphStore], Awaitable[None]]
CASES: dict[str, Case] = {}

RECORD = {"source": "crm", "updated_at": 10, "ingested_at": 11}
ITEM = {"category": "home", "brand": "Acme", "price": 2.5, "currency": "GBP", "description": ""}


def case(name: str) -> Callable[[Case], Case]:
    """Register the check of one query file."""

    def register(fn: Case) -> Case:
        CASES[name] = fn
        return fn

    return register


async def seed_records(store: GraphStore, *ids: str) -> None:
    """Records crm:<id> with a first name."""
    rows = [
        {**RECORD, "key": f"crm:{i}", "source_id": i, "attrs": {"first_name": i}, "identifiers": []}
        for i in ids
    ]
    await store.write_batch("records/upsert_records", rows)


async def seed_items(store: GraphStore, *ids: str) -> None:
    """Items with default attributes."""
    rows = [{**ITEM, "id": i, "title": f"T{i}", "in_stock": True} for i in ids]
    await store.write_batch("items/upsert_items", rows)


async def seed_customers(store: GraphStore, *ids: str) -> None:
    """Customers with no golden attributes."""
    rows = [{"id": i, "created_at": 1, "updated_at": 1, "attrs": {}} for i in ids]
    await store.write_batch("customers/upsert_customers", rows)


async def link(store: GraphStore, record: str, key: str) -> None:
    """Attach identifier `key` (`type:value`) to record crm:<record>."""
    kind, _, value = key.partition(":")
    row = {"record_key": f"crm:{record}", "key": key, "type": kind, "value": value}
    await store.write_batch("records/link_identifiers", [row])


def interaction(key: str, item: str, **overrides: Any) -> dict[str, Any]:
    """An interaction row for `key` on `item`."""
    kind, _, value = key.partition(":")
    row = {"id_key": key, "id_type": kind, "id_value": value, "item_id": item, "type": "purchase"}
    return {**row, "count": 1, "first_at": 100, "last_at": 100, "weight": 5.0, **overrides}


@case("records/upsert_records")
async def _upsert_records(store: GraphStore) -> None:
    email = {"key": "email:h1", "type": "email", "value": "h1"}
    login = {"key": "login:u1", "type": "login", "value": "u1"}
    base = {**RECORD, "key": "crm:1", "source_id": "1", "ingested_at": 11}
    v1 = {**base, "updated_at": 10, "attrs": {"first_name": "Ann", "city": "Leeds"}}
    first = await store.write("records/upsert_records", {"rows": [{**v1, "identifiers": [email]}]})
    assert first.rows == [{"key": "crm:1"}]
    v2 = {**base, "updated_at": 20, "ingested_at": 99, "attrs": {"first_name": "Ann", "city": None}}
    second = await store.write("records/upsert_records", {"rows": [{**v2, "identifiers": [login]}]})
    assert second.rows == [{"key": "crm:1"}]
    [got] = await store.read("records/get_records", {"keys": ["crm:1"]})
    record = got["record"]
    assert "city" not in record, "a value missing from the newer version is cleared"
    assert record["updated_at"] == 20
    assert record["ingested_at"] == 11, "ingested_at is set once, on create"
    assert got["identifier_keys"] == ["login:u1"], "identifiers are replaced, not accumulated"
    stale = {**base, "updated_at": 15, "attrs": {"city": "Old town"}, "identifiers": [email]}
    same = {**v2, "identifiers": [email]}
    third = await store.write("records/upsert_records", {"rows": [stale, same]})
    assert third.rows == [], "older or equal versions change nothing"
    [got] = await store.read("records/get_records", {"keys": ["crm:1"]})
    assert ("city" not in got["record"], got["identifier_keys"]) == (True, ["login:u1"])


@case("records/link_identifiers")
async def _link_identifiers(store: GraphStore) -> None:
    await seed_records(store, "1", "2")
    await link(store, "1", "email:h")
    await link(store, "2", "email:h")
    await link(store, "2", "email:h")
    counts = {r["type"]: r["count"] for r in await store.read("stats/relationship_counts")}
    assert counts == {"HAS_ID": 2}
    nodes = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    assert nodes["Identifier"] == 1


@case("records/get_records")
async def _get_records(store: GraphStore) -> None:
    await seed_records(store, "1", "2", "3")
    await link(store, "1", "login:a")
    await seed_customers(store, "C")
    await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:1", "customer_id": "C"}]
    )
    rows = await store.read("records/get_records", {"keys": ["crm:2", "crm:1", "crm:x"]})
    assert [r["record"]["key"] for r in rows] == ["crm:1", "crm:2"]
    assert rows[0]["identifier_keys"] == ["login:a"]
    assert rows[0]["customer_id"] == "C"
    assert rows[1]["identifier_keys"] == []
    assert rows[1]["customer_id"] is None


@case("identifiers/records_by_identifier")
async def _records_by_identifier(store: GraphStore) -> None:
    await seed_records(store, "1", "2")
    await link(store, "1", "phone:p")
    await link(store, "2", "phone:p")
    rows = await store.read("identifiers/records_by_identifier", {"key": "phone:p"})
    assert rows == [
        {"record_key": "crm:1", "source": "crm", "customer_id": None},
        {"record_key": "crm:2", "source": "crm", "customer_id": None},
    ]


@case("items/upsert_items")
async def _upsert_items(store: GraphStore) -> None:
    await seed_items(store, "A")
    update = {**ITEM, "id": "A", "title": "New", "price": 3.0, "in_stock": False}
    summary = await store.write_batch("items/upsert_items", [update])
    assert summary.nodes_created == 0
    [item] = await store.read("items/get_items", {"ids": ["A"]})
    assert (item["title"], item["price"], item["in_stock"]) == ("New", 3.0, False)


@case("items/get_items")
async def _get_items(store: GraphStore) -> None:
    await seed_items(store, "B", "A", "C")
    rows = await store.read("items/get_items", {"ids": ["C", "A", "missing"]})
    assert [r["id"] for r in rows] == ["A", "C"]
    assert rows[0] == {
        "id": "A",
        "title": "TA",
        "category": "home",
        "brand": "Acme",
        "price": 2.5,
        "currency": "GBP",
        "in_stock": True,
    }


@case("interactions/add_interactions")
async def _add_interactions(store: GraphStore) -> None:
    await seed_items(store, "A")
    first = interaction("cookie:c", "A", first_at=100, last_at=100)
    earlier = interaction("cookie:c", "A", first_at=40, last_at=60, count=2, weight=2.0)
    later = interaction("cookie:c", "A", first_at=300, last_at=300)
    for row in (first, earlier, later):
        await store.write_batch("interactions/add_interactions", [row])
    [got] = await store.read("interactions/by_identifiers", {"keys": ["cookie:c"]})
    assert (got["count"], got["weight"], got["first_at"], got["last_at"]) == (4, 12.0, 40, 300)
    await store.write_batch("interactions/add_interactions", [interaction("cookie:c", "new")])
    [bare] = await store.read("items/get_items", {"ids": ["new"]})
    assert bare["id"] == "new", "an item unknown to the catalogue is created bare, not dropped"


@case("interactions/by_identifiers")
async def _by_identifiers(store: GraphStore) -> None:
    await seed_items(store, "A", "B")
    rows = [
        interaction("cookie:c", "B", type="product_view", weight=1.0),
        interaction("cookie:c", "A"),
        interaction("login:u", "A"),
    ]
    await store.write_batch("interactions/add_interactions", rows)
    got = await store.read("interactions/by_identifiers", {"keys": ["cookie:c"]})
    assert [(r["item_id"], r["type"]) for r in got] == [("A", "purchase"), ("B", "product_view")]


@case("customers/upsert_customers")
async def _upsert_customers(store: GraphStore) -> None:
    rows = [{"id": "C", "created_at": 1, "updated_at": 1, "attrs": {"first_name": "Ann"}}]
    await store.write_batch("customers/upsert_customers", rows)
    rows = [{"id": "C", "created_at": 5, "updated_at": 5, "attrs": {"city": "York"}}]
    await store.write_batch("customers/upsert_customers", rows)
    [got] = await store.read("customers/get_customer", {"id": "C"})
    customer = got["customer"]
    assert (customer["created_at"], customer["updated_at"], customer["city"]) == (1, 5, "York")


@case("customers/assign_records")
async def _assign_records(store: GraphStore) -> None:
    await seed_records(store, "1")
    await seed_customers(store, "A", "B")
    move = [{"record_key": "crm:1", "customer_id": "A"}]
    await store.write_batch("customers/assign_records", move)
    summary = await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:1", "customer_id": "B"}]
    )
    assert (summary.relationships_deleted, summary.relationships_created) == (1, 1)
    [rec] = await store.read("records/get_records", {"keys": ["crm:1"]})
    assert rec["customer_id"] == "B"
    counts = {r["type"]: r["count"] for r in await store.read("stats/relationship_counts")}
    assert counts == {"BELONGS_TO": 1}


@case("customers/get_customer")
async def _get_customer(store: GraphStore) -> None:
    await seed_records(store, "1", "2")
    await link(store, "1", "email:e")
    await link(store, "2", "email:e")
    await seed_customers(store, "C")
    rows = [{"record_key": f"crm:{i}", "customer_id": "C"} for i in ("1", "2")]
    await store.write_batch("customers/assign_records", rows)
    [got] = await store.read("customers/get_customer", {"id": "C"})
    assert sorted(got["record_keys"]) == ["crm:1", "crm:2"]
    assert got["identifier_keys"] == ["email:e"]
    assert await store.read("customers/get_customer", {"id": "nobody"}) == []


@case("customers/find_by_identifier")
async def _find_by_identifier(store: GraphStore) -> None:
    await seed_records(store, "1")
    await link(store, "1", "login:u")
    await seed_customers(store, "C")
    await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:1", "customer_id": "C"}]
    )
    await apply(store, 0, 1, pairs=[pair("cookie:c", "login:u")])
    assert await store.read("customers/find_by_identifier", {"key": "login:u"}) == [
        {"direct_ids": ["C"], "via_ids": []}
    ]
    assert await store.read("customers/find_by_identifier", {"key": "cookie:c"}) == [
        {"direct_ids": [], "via_ids": ["C"]}
    ]
    assert await store.read("customers/find_by_identifier", {"key": "cookie:none"}) == [
        {"direct_ids": [], "via_ids": []}
    ]


@case("ingest/get_cursor")
async def _get_cursor(store: GraphStore) -> None:
    assert await store.read("ingest/get_cursor", {"id": "log-a"}) == []
    await store.write(
        "ingest/apply_events",
        {"cursor_id": "log-a", "expected": 0, "seq": 41, "interactions": [], "pairs": []},
    )
    assert await store.read("ingest/get_cursor", {"id": "log-a"}) == [{"seq": 41}]
    assert await store.read("ingest/get_cursor", {"id": "log-b"}) == []


def pair(a: str, b: str, **overrides: Any) -> dict[str, Any]:
    """A co-occurrence row for identifiers `a` and `b` (`type:value`)."""
    (at, _, av), (bt, _, bv) = a.partition(":"), b.partition(":")
    row = {"a_key": a, "a_type": at, "a_value": av, "b_key": b, "b_type": bt, "b_value": bv}
    return {**row, "count": 1, "first_at": 10, "last_at": 10, **overrides}


async def apply(store: GraphStore, expected: int, seq: int, **lists: Any) -> list[Any]:
    """Run ingest/apply_events for cursor 'log-g'."""
    params = {"cursor_id": "log-g", "expected": expected, "seq": seq}
    params |= {"interactions": lists.get("interactions", []), "pairs": lists.get("pairs", [])}
    return (await store.write("ingest/apply_events", params)).rows


@case("ingest/apply_events")
async def _apply_events(store: GraphStore) -> None:
    await seed_items(store, "A")
    first = [interaction("cookie:c", "A", first_at=100, last_at=100)]
    assert await apply(store, 0, 3, interactions=first, pairs=[pair("cookie:c", "login:u")]) == [
        {"seq": 3}
    ]
    assert await apply(store, 0, 3, interactions=first) == [], "a re-sent chunk changes nothing"
    later = [
        interaction("cookie:c", "A", first_at=40, last_at=300, count=2, weight=2.0),
        interaction("cookie:c", "NEW"),
    ]
    more_pairs = [pair("cookie:c", "login:u", count=2, first_at=5, last_at=50)]
    assert await apply(store, 3, 7, interactions=later, pairs=more_pairs) == [{"seq": 7}]
    rows = await store.read("interactions/by_identifiers", {"keys": ["cookie:c"]})
    got = {r["item_id"]: (r["count"], r["weight"], r["first_at"], r["last_at"]) for r in rows}
    assert got == {"A": (3, 7.0, 40, 300), "NEW": (1, 5.0, 100, 100)}
    [seen] = await store.read(
        Cypher("MATCH ()-[s:SEEN_WITH]->() RETURN s.count AS c, s.first_at AS f, s.last_at AS l")
    )
    assert (seen["c"], seen["f"], seen["l"]) == (3, 5, 50)
    assert await apply(store, 7, 8) == [{"seq": 8}], "an empty chunk still moves the cursor"
    assert await store.read("ingest/get_cursor", {"id": "log-g"}) == [{"seq": 8}]


@case("ingest/apply_events_is_atomic")
async def _apply_atomic(store: GraphStore) -> None:
    """Not a file: a chunk that fails half way applies nothing, cursor included."""
    await seed_items(store, "A")
    good = interaction("cookie:c", "A")
    bad = {**interaction("cookie:d", "A"), "item_id": None}  # MERGE on a null key fails
    with pytest.raises(QueryError):
        await apply(store, 0, 2, interactions=[good, bad])
    assert await store.read("interactions/by_identifiers", {"keys": ["cookie:c"]}) == []
    assert await store.read("ingest/get_cursor", {"id": "log-g"}) in ([], [{"seq": 0}])
