"""Query-file cases for segment evaluation and the segment API's reads."""

from __future__ import annotations

from graph.port import GraphStore
from tests.contract.query_cases import (
    apply,
    case,
    interaction,
    link,
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
    await seed_records(store, "1", "2", "3")
    await seed_customers(store, "C1", "C2")
    await link(store, "1", "login:u1")
    await link(store, "2", "email:shared")
    await link(store, "1", "email:shared")
    await assign(store, **{"1": "C1", "2": "C1", "3": "C2"})
    rows = [
        interaction("login:u1", "A", type="product_view", count=2, weight=2.0),
        interaction("email:shared", "B", first_at=5, last_at=50),
    ]
    await apply(store, 0, 1, interactions=rows)
    got = await store.read("segments/customer_interactions", {"ids": ["C1", "C2", "nope"]})
    assert [(r["customer_id"], r["id_key"], r["item_id"], r["type"]) for r in got] == [
        ("C1", "email:shared", "B", "purchase"),  # held by two of C1's records: once
        ("C1", "login:u1", "A", "product_view"),
    ]
    assert (got[0]["category"], got[0]["price"], got[0]["count"]) == ("home", 2.5, 1)
    assert (got[0]["first_at"], got[0]["last_at"], got[0]["weight"]) == (5, 50, 5.0)


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
