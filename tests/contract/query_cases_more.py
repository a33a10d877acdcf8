"""Query-file cases for segments, matches, audit, stats and admin."""

from __future__ import annotations

from graph.port import GraphStore
from tests.contract.query_cases import case, seed_customers, seed_items, seed_records

CANDIDATE = {
    "match_weight": 3.2,
    "evidence": '{"first_name": 2.1}',
    "status": "pending",
    "created_at": 5,
    "decided_by": None,
    "decided_at": None,
}


async def seed_segment(store: GraphStore, segment_id: str) -> None:
    """A rule segment."""
    row = {"id": segment_id, "kind": "rule", "name": segment_id, "definition": "{}"}
    await store.write_batch("segments/upsert_segments", [row])


@case("segments/upsert_segments")
async def _upsert_segments(store: GraphStore) -> None:
    await seed_segment(store, "S")
    row = {"id": "S", "kind": "rfm", "name": "Champions", "definition": '{"r": 5}'}
    summary = await store.write_batch("segments/upsert_segments", [row])
    assert summary.nodes_created == 0
    await seed_customers(store, "C")
    member = [{"customer_id": "C", "segment_id": "S", "since": 1, "score": 1.0}]
    await store.write_batch("segments/set_memberships", member)
    [got] = await store.read("segments/customer_segments", {"customer_id": "C"})
    assert (got["kind"], got["name"]) == ("rfm", "Champions")


@case("segments/set_memberships")
async def _set_memberships(store: GraphStore) -> None:
    await seed_segment(store, "S")
    await seed_customers(store, "C")
    first = [{"customer_id": "C", "segment_id": "S", "since": 1, "score": 0.5}]
    again = [{"customer_id": "C", "segment_id": "S", "since": 9, "score": 0.9}]
    await store.write_batch("segments/set_memberships", first)
    summary = await store.write_batch("segments/set_memberships", again)
    assert summary.relationships_created == 0
    [got] = await store.read("segments/customer_segments", {"customer_id": "C"})
    assert (got["since"], got["score"]) == (1, 0.9)


@case("segments/customer_segments")
async def _customer_segments(store: GraphStore) -> None:
    await seed_segment(store, "B")
    await seed_segment(store, "A")
    await seed_customers(store, "C", "D")
    rows = [
        {"customer_id": "C", "segment_id": "B", "since": 1, "score": 1.0},
        {"customer_id": "C", "segment_id": "A", "since": 2, "score": 1.0},
        {"customer_id": "D", "segment_id": "A", "since": 2, "score": 1.0},
    ]
    await store.write_batch("segments/set_memberships", rows)
    got = await store.read("segments/customer_segments", {"customer_id": "C"})
    assert [r["id"] for r in got] == ["A", "B"]
    assert await store.read("segments/customer_segments", {"customer_id": "X"}) == []


NO_RANGE = {"min_probability": None, "max_probability": None}


@case("matches/upsert_candidates")
async def _upsert_candidates(store: GraphStore) -> None:
    await seed_records(store, "1", "2")
    row = {**CANDIDATE, "left_key": "crm:1", "right_key": "crm:2", "probability": 0.7}
    await store.write_batch("matches/upsert_candidates", [row])
    decided = {**row, "status": "approved", "decided_by": "steward", "decided_at": 9}
    summary = await store.write_batch("matches/upsert_candidates", [decided])
    assert summary.relationships_created == 0
    assert (
        await store.read(
            "matches/list_candidates", {**NO_RANGE, "status": "pending", "skip": 0, "limit": 5}
        )
        == []
    )
    [got] = await store.read(
        "matches/list_candidates", {**NO_RANGE, "status": "approved", "skip": 0, "limit": 5}
    )
    assert (got["created_at"], got["probability"]) == (5, 0.7)


@case("matches/list_candidates")
async def _list_candidates(store: GraphStore) -> None:
    await seed_records(store, "1", "2", "3", "4")
    rows = [
        {**CANDIDATE, "left_key": "crm:1", "right_key": "crm:2", "probability": 0.9},
        {**CANDIDATE, "left_key": "crm:1", "right_key": "crm:3", "probability": 0.52},
        {**CANDIDATE, "left_key": "crm:2", "right_key": "crm:4", "probability": 0.3},
    ]
    await store.write_batch("matches/upsert_candidates", rows)
    page1 = await store.read(
        "matches/list_candidates", {**NO_RANGE, "status": "pending", "skip": 0, "limit": 2}
    )
    page2 = await store.read(
        "matches/list_candidates", {**NO_RANGE, "status": "pending", "skip": 2, "limit": 2}
    )
    assert [r["probability"] for r in page1] == [0.52, 0.3]
    assert [r["probability"] for r in page2] == [0.9]
    assert page1[0]["evidence"] == '{"first_name": 2.1}'
    likely = await store.read(
        "matches/list_candidates",
        {**NO_RANGE, "status": "pending", "min_probability": 0.5, "skip": 0, "limit": 5},
    )
    assert [r["probability"] for r in likely] == [0.52, 0.9]


@case("audit/append_entries")
async def _append_entries(store: GraphStore) -> None:
    entry = {
        "id": "a1",
        "at": 5,
        "actor": "steward:ann",
        "action": "merge",
        "reason": "same person",
        "subject_type": "customer",
        "subject_id": "C",
        "before": '{"records": 1}',
        "after": '{"records": 2}',
    }
    await store.write_batch("audit/append_entries", [entry])
    tampered = {**entry, "reason": "rewritten", "actor": "mallory"}
    await store.write_batch("audit/append_entries", [tampered])
    [got] = await store.read("audit/list_for_subject", {"subject_id": "C", "limit": 10})
    assert (got["actor"], got["reason"]) == ("steward:ann", "same person"), "append-only"


@case("audit/list_for_subject")
async def _list_for_subject(store: GraphStore) -> None:
    base = {"actor": "system", "action": "merge", "reason": "", "before": "null", "after": "null"}
    rows = [
        {**base, "id": "a1", "at": 1, "subject_type": "customer", "subject_id": "C"},
        {**base, "id": "a2", "at": 3, "subject_type": "customer", "subject_id": "C"},
        {**base, "id": "a3", "at": 2, "subject_type": "customer", "subject_id": "D"},
    ]
    await store.write_batch("audit/append_entries", rows)
    got = await store.read("audit/list_for_subject", {"subject_id": "C", "limit": 10})
    assert [r["id"] for r in got] == ["a2", "a1"]
    limited = await store.read("audit/list_for_subject", {"subject_id": "C", "limit": 1})
    assert [r["id"] for r in limited] == ["a2"]


@case("stats/node_counts")
async def _node_counts(store: GraphStore) -> None:
    assert await store.read("stats/node_counts") == []
    await seed_items(store, "A", "B")
    await seed_customers(store, "C")
    assert await store.read("stats/node_counts") == [
        {"label": "Customer", "count": 1},
        {"label": "Item", "count": 2},
    ]


@case("stats/relationship_counts")
async def _relationship_counts(store: GraphStore) -> None:
    assert await store.read("stats/relationship_counts") == []
    await seed_records(store, "1")
    await seed_customers(store, "C")
    await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:1", "customer_id": "C"}]
    )
    assert await store.read("stats/relationship_counts") == [{"type": "BELONGS_TO", "count": 1}]


@case("admin/delete_all")
async def _delete_all(store: GraphStore) -> None:
    await seed_records(store, "1")
    await seed_customers(store, "C")
    await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:1", "customer_id": "C"}]
    )
    summary = (await store.write("admin/delete_all")).summary
    assert (summary.nodes_deleted, summary.relationships_deleted) == (2, 1)
    assert await store.read("stats/node_counts") == []
