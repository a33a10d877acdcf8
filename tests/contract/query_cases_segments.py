"""Query-file cases for segment evaluation and the segment API's reads."""

from __future__ import annotations

from graph.port import GraphStore
from tests.contract.query_cases import (
    ITEM,
    apply,
    case,
    interaction,
    link,
    pair,
    seed_customers,
    seed_items,
    seed_records,
)
from tests.contract.query_cases_api import assign
from tests.contract.query_cases_more import seed_segment


async def members_of(store: GraphStore, *rows: tuple[str, str]) -> None:
    """Put (customer, segment) pairs in, since 1, score 1.0."""
    batch = [{"customer_id": c, "segment_id": s, "since": 1, "score": 1.0} for c, s in rows]
    await store.write_batch("segments/set_memberships", batch)


@case("segments/active_customer_ids")
async def _active_customer_ids(store: GraphStore) -> None:
    await seed_customers(store, "C3", "C1", "C2", "C4")
    await store.write_batch(
        "customers/retire_customers", [{"id": "C2", "merged_into": "C1", "at": 3}]
    )
    first = await store.read("segments/active_customer_ids", {"after": "", "limit": 2})
    assert [r["id"] for r in first] == ["C1", "C3"], "retired C2 is skipped"
    rest = await store.read("segments/active_customer_ids", {"after": "C3", "limit": 2})
    assert [r["id"] for r in rest] == ["C4"]


@case("segments/customer_interactions")
async def _customer_interactions(store: GraphStore) -> None:
    await seed_items(store, "A", "B")
    unpriced = {**ITEM, "id": "U", "title": "U", "price": None, "in_stock": True}
    await store.write_batch("items/upsert_items", [unpriced])
    await seed_records(store, "1", "2", "3")
    await seed_customers(store, "C1", "C2")
    await link(store, "1", "login:u1")
    await link(store, "2", "email:shared")
    await link(store, "1", "email:shared")
    await assign(store, **{"1": "C1", "2": "C1", "3": "C2"})
    rows = [
        interaction("login:u1", "A", type="product_view", count=2, weight=2.0),
        interaction("email:shared", "B", first_at=5, last_at=50),
        interaction("email:shared", "U", count=2, weight=7.0, first_at=20, last_at=40),
        interaction("login:u1", "B", count=3, weight=9.0, first_at=60, last_at=200),
    ]
    await apply(store, 0, 1, interactions=rows)
    params = {"ids": ["C1", "C2", "nope"], "since": 150, "categories": None}
    got = await store.read("segments/customer_interactions", params)
    assert [
        (r["customer_id"], r["type"], r["category"], r["part"], r["count"], r["weight"])
        for r in got
    ] == [
        ("C1", "product_view", "home", "", 2, 2.0),
        # Before `since`, summed per type and category; the email held by two of C1's
        # records counts once.
        ("C1", "purchase", "home", "", 3, 12.0),
        ("C1", "purchase", "home", "login:u1 B", 3, 9.0),  # at or after `since`: one by one
    ]
    old, recent = got[1], got[2]
    assert (old["first_at"], old["last_at"]) == (5, 50)
    assert old["spend"] == 2.5 + 7.0, "count x price, the weight where the item has no price"
    assert (recent["first_at"], recent["last_at"], recent["spend"]) == (60, 200, 7.5)
    named = await store.read("segments/customer_interactions", {**params, "categories": ["home"]})
    assert named == got, "the items' category is named: kept"
    other = await store.read("segments/customer_interactions", {**params, "categories": []})
    assert [(r["category"], r["part"], r["count"]) for r in other] == [
        (None, "", 2),
        (None, "", 3),
        (None, "login:u1 B", 3),
    ], "no category named: none kept"


@case("segments/list_segments")
async def _list_segments(store: GraphStore) -> None:
    await seed_segment(store, "b")
    await seed_segment(store, "a")
    await seed_customers(store, "C1", "C2")
    await members_of(store, ("C1", "a"), ("C2", "a"))
    got = await store.read("segments/list_segments", {"ids": None})
    assert [(r["id"], r["kind"], r["members"]) for r in got] == [("a", "rule", 2), ("b", "rule", 0)]
    assert got[0]["definition"] == "{}"
    some = await store.read("segments/list_segments", {"ids": ["b", "nope"]})
    assert [r["id"] for r in some] == ["b"]


@case("segments/members")
async def _members(store: GraphStore) -> None:
    await seed_segment(store, "s")
    await seed_segment(store, "other")
    await seed_customers(store, "C3", "C1", "C2")
    await members_of(store, ("C3", "s"), ("C1", "s"), ("C2", "other"))
    page = await store.read("segments/members", {"segment_id": "s", "after": "", "limit": 1})
    assert page == [{"customer_id": "C1", "since": 1, "score": 1.0}]
    rest = await store.read("segments/members", {"segment_id": "s", "after": "C1", "limit": 5})
    assert [r["customer_id"] for r in rest] == ["C3"]


@case("segments/memberships")
async def _memberships(store: GraphStore) -> None:
    await seed_segment(store, "s")
    await seed_segment(store, "t")
    await seed_customers(store, "C1", "C2")
    await members_of(store, ("C2", "s"), ("C1", "s"), ("C1", "t"))
    every = await store.read("segments/memberships", {"segment_ids": None})
    assert [(r["segment_id"], r["customer_id"]) for r in every] == [
        ("s", "C1"),
        ("s", "C2"),
        ("t", "C1"),
    ]
    only = await store.read("segments/memberships", {"segment_ids": ["t"]})
    assert only == [{"customer_id": "C1", "segment_id": "t", "score": 1.0}]


@case("segments/segments_of_customers")
async def _segments_of_customers(store: GraphStore) -> None:
    await seed_segment(store, "s")
    await seed_segment(store, "t")
    await seed_customers(store, "C1", "C2", "C3")
    await members_of(store, ("C2", "t"), ("C1", "t"), ("C1", "s"))
    got = await store.read("segments/segments_of_customers", {"ids": ["C2", "C1", "C3"]})
    assert [(r["customer_id"], r["id"]) for r in got] == [("C1", "s"), ("C1", "t"), ("C2", "t")]
    assert (got[0]["kind"], got[0]["name"], got[0]["since"], got[0]["score"]) == (
        "rule",
        "s",
        1,
        1.0,
    )


@case("segments/remove_memberships")
async def _remove_memberships(store: GraphStore) -> None:
    await seed_segment(store, "s")
    await seed_customers(store, "C1", "C2")
    await members_of(store, ("C1", "s"), ("C2", "s"))
    gone = [{"customer_id": "C1", "segment_id": "s"}, {"customer_id": "C9", "segment_id": "s"}]
    summary = await store.write_batch("segments/remove_memberships", gone)
    assert summary.relationships_deleted == 1
    left = await store.read("segments/members", {"segment_id": "s", "after": "", "limit": 5})
    assert [r["customer_id"] for r in left] == ["C2"]
    nodes = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    assert (nodes["Customer"], nodes["Segment"]) == (2, 1), "only the relationship goes"


@case("segments/rule_definitions")
async def _rule_definitions(store: GraphStore) -> None:
    await seed_segment(store, "b")
    await seed_segment(store, "a")
    row = {"id": "rfm:new", "kind": "rfm", "name": "New", "definition": '{"rfm": "new"}'}
    await store.write_batch("segments/upsert_segments", [row])
    got = await store.read("segments/rule_definitions", {"ids": None})
    assert got == [{"id": "a", "definition": "{}"}, {"id": "b", "definition": "{}"}]
    some = await store.read("segments/rule_definitions", {"ids": ["b", "rfm:new", "nope"]})
    assert [r["id"] for r in some] == ["b"], "rule segments only"


@case("segments/customers_of_identifiers")
async def _customers_of_identifiers(store: GraphStore) -> None:
    await seed_items(store, "A")
    await seed_records(store, "1", "2", "3", "4")
    await seed_customers(store, "C1", "C2", "C3", "C4")
    await store.write_batch(
        "customers/retire_customers", [{"id": "C4", "merged_into": "C1", "at": 3}]
    )
    await link(store, "1", "login:u1")
    await link(store, "2", "email:shared")
    await link(store, "3", "email:shared")
    await link(store, "4", "login:old")
    await assign(store, **{"1": "C1", "2": "C2", "3": "C3", "4": "C4"})
    rows = [interaction("cookie:c1", "A"), interaction("cookie:lone", "A")]
    await apply(store, 0, 1, interactions=rows, pairs=[pair("cookie:c1", "login:u1")])
    keys = ["cookie:c1", "email:shared", "cookie:lone", "login:old", "login:u1", "nope"]
    got = await store.read("segments/customers_of_identifiers", {"keys": keys})
    assert [r["customer_id"] for r in got] == ["C1", "C2", "C3"], (
        "C1 through the cookie seen with its login (and the login itself, once), C2 and C3 "
        "sharing an email; retired C4, a lone cookie and an unknown key give nothing"
    )
    assert await store.read("segments/customers_of_identifiers", {"keys": []}) == []


@case("segments/delete_segments")
async def _delete_segments(store: GraphStore) -> None:
    for segment_id in ("cluster:0", "cluster:1", "keep"):
        await seed_segment(store, segment_id)
    await seed_customers(store, "C1")
    await members_of(store, ("C1", "cluster:1"), ("C1", "keep"))
    result = await store.write("segments/delete_segments", {"ids": ["cluster:1", "cluster:9"]})
    assert (result.summary.nodes_deleted, result.summary.relationships_deleted) == (1, 1)
    left = await store.read("segments/list_segments", {"ids": None})
    assert [(r["id"], r["members"]) for r in left] == [("cluster:0", 0), ("keep", 1)]


@case("segments/customer_profiles")
async def _customer_profiles(store: GraphStore) -> None:
    rows = [
        {"id": "C1", "created_at": 1, "updated_at": 2, "attrs": {"country": "GB", "city": "Leeds"}},
        {"id": "C2", "created_at": 1, "updated_at": 2, "attrs": {}},
    ]
    await store.write_batch("customers/upsert_customers", rows)
    await store.write_batch(
        "customers/retire_customers", [{"id": "C2", "merged_into": "C1", "at": 3}]
    )
    got = await store.read("segments/customer_profiles", {"ids": ["C2", "nope", "C1"]})
    assert sorted(got, key=lambda r: str(r["id"])) == [
        {"id": "C1", "status": "active", "country": "GB", "city": "Leeds"},
        {"id": "C2", "status": "retired", "country": None, "city": None},
    ]


@case("segments/pooled_interactions")
async def _pooled_interactions(store: GraphStore) -> None:
    await seed_items(store, "A", "B")
    rows = [
        interaction("cookie:c1", "A", type="product_view", count=2, weight=2.0),
        interaction("cookie:c1", "B", first_at=5, last_at=50),
        interaction("cookie:c1", "A", first_at=20, last_at=40, count=2, weight=9.0),
        interaction("cookie:c1", "B", type="add_to_cart", first_at=60, last_at=200),
        interaction("cookie:c2", "A"),
    ]
    await apply(store, 0, 1, interactions=rows)
    params = {"keys": ["cookie:c1", "nope"], "since": 150, "categories": None}
    got = await store.read("segments/pooled_interactions", params)
    assert [(r["key"], r["type"], r["category"], r["part"], r["count"]) for r in got] == [
        ("cookie:c1", "add_to_cart", "home", "cookie:c1 B", 1),  # at or after `since`
        ("cookie:c1", "product_view", "home", "", 2),
        ("cookie:c1", "purchase", "home", "", 3),  # A and B bought before `since`: summed
    ]
    bought = got[2]
    assert (bought["first_at"], bought["last_at"], bought["weight"]) == (5, 50, 14.0)
    assert bought["spend"] == 3 * 2.5, "count x item price"
    none_named = await store.read("segments/pooled_interactions", {**params, "categories": []})
    assert [r["category"] for r in none_named] == [None, None, None]
