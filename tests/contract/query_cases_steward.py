"""Query-file cases for the steward page: the queue's pairs and counts, one pair, the pairs
of a customer's records, customer value and a customer's audit trail."""

from __future__ import annotations

from typing import Any

from graph.port import GraphStore
from tests.contract.query_cases import case, interaction, link, seed_customers, seed_items
from tests.contract.query_cases import seed_records as seed
from tests.contract.query_cases_api import assign


def candidate(left: str, right: str, probability: float, **overrides: Any) -> dict[str, Any]:
    """A row for matches/upsert_candidates between crm:<left> and crm:<right>."""
    row = {
        "left_key": f"crm:{left}",
        "right_key": f"crm:{right}",
        "probability": probability,
        "match_weight": 2.5,
        "evidence": '{"comparisons": []}',
        "status": "pending",
        "created_at": 100,
        "decided_by": None,
        "decided_at": None,
    }
    return {**row, **overrides}


async def seed_queue(store: GraphStore) -> None:
    """Records crm:1..4 (crm:1, crm:2 of customer C1; crm:3 of C2), three pairs."""
    await seed(store, "1", "2", "3", "4")
    await seed_customers(store, "C1", "C2")
    await assign(store, **{"1": "C1", "2": "C1", "3": "C2"})
    rows = [
        candidate("1", "3", 0.7),
        candidate("2", "4", 0.9, created_at=200),
        candidate("3", "4", 0.6, status="rejected", decided_by="steward:ann", decided_at=300),
    ]
    await store.write_batch("matches/upsert_candidates", rows)


@case("matches/review_pairs")
async def _review_pairs(store: GraphStore) -> None:
    await seed_queue(store)
    got = await store.read("matches/review_pairs", {"status": "pending", "limit": 10})
    assert [(r["left_key"], r["right_key"]) for r in got] == [
        ("crm:1", "crm:3"),
        ("crm:2", "crm:4"),
    ]
    first, second = got
    assert (first["left_customer"], first["right_customer"]) == ("C1", "C2")
    assert (first["left_source"], first["probability"], first["created_at"]) == ("crm", 0.7, 100)
    assert second["right_customer"] is None, "a record without a customer"
    assert second["match_weight"] == 2.5
    limited = await store.read("matches/review_pairs", {"status": "pending", "limit": 1})
    assert len(limited) == 1
    [rejected] = await store.read("matches/review_pairs", {"status": "rejected", "limit": 10})
    assert (rejected["decided_by"], rejected["decided_at"]) == ("steward:ann", 300)


@case("matches/status_counts")
async def _status_counts(store: GraphStore) -> None:
    assert await store.read("matches/status_counts") == []
    await seed_queue(store)
    got = await store.read("matches/status_counts")
    assert [(r["status"], r["pairs"]) for r in got] == [("pending", 2), ("rejected", 1)]


@case("matches/get_pair")
async def _get_pair(store: GraphStore) -> None:
    await seed_queue(store)
    [pair] = await store.read("matches/get_pair", {"left_key": "crm:3", "right_key": "crm:4"})
    assert (pair["status"], pair["probability"], pair["decided_by"]) == (
        "rejected",
        0.6,
        "steward:ann",
    )
    assert pair["evidence"] == '{"comparisons": []}'
    assert pair["reason"] is None
    wrong_order = {"left_key": "crm:4", "right_key": "crm:3"}
    assert await store.read("matches/get_pair", wrong_order) == []


@case("matches/pairs_of_records")
async def _pairs_of_records(store: GraphStore) -> None:
    await seed_queue(store)
    got = await store.read("matches/pairs_of_records", {"keys": ["crm:3", "crm:1", "nope"]})
    assert [(r["left_key"], r["right_key"], r["status"]) for r in got] == [
        ("crm:1", "crm:3", "pending"),
        ("crm:3", "crm:4", "rejected"),
    ], "each pair once, though crm:1 and crm:3 both touch the first"
    assert (got[0]["left_customer"], got[0]["right_customer"]) == ("C1", "C2")
    assert got[1]["right_customer"] is None
    assert got[0]["probability"] == 0.7


@case("customers/purchase_value")
async def _purchase_value(store: GraphStore) -> None:
    await seed_items(store, "A")  # price 2.5
    await store.write("items/upsert_items", {"rows": [_unpriced("B")]})
    await seed(store, "1", "2", "3")
    await seed_customers(store, "C1", "C2", "C3")
    await assign(store, **{"1": "C1", "2": "C1", "3": "C2"})
    await link(store, "1", "login:u")
    await link(store, "2", "login:u")  # held by two records: counted once
    await link(store, "2", "cookie:c")
    await link(store, "3", "cookie:d")
    rows = [
        interaction("login:u", "A", count=2),  # 2 × 2.5
        interaction("cookie:c", "B", weight=7.0),  # no price: the weight
        interaction("cookie:c", "A", type="product_view", weight=1.0),  # not a purchase
        interaction("cookie:d", "A", type="add_to_cart", weight=3.0),
    ]
    await store.write_batch("interactions/add_interactions", rows)
    got = await store.read("customers/purchase_value", {"ids": ["C2", "C1", "C3", "nope"]})
    assert got == [{"customer_id": "C1", "value": 12.0}]


def _unpriced(item: str) -> dict[str, Any]:
    return {
        "id": item,
        "title": item,
        "category": "home",
        "brand": None,
        "price": None,
        "currency": None,
        "description": "",
        "in_stock": True,
    }


@case("audit/list_for_subjects")
async def _list_for_subjects(store: GraphStore) -> None:
    base = {"actor": "system", "reason": "", "subject_type": "customer", "before": "null"}
    entries = [
        {**base, "id": "a1", "at": 1, "action": "customer.merged", "subject_id": "C1"},
        {**base, "id": "a2", "at": 2, "action": "match.approved", "subject_id": "crm:1|crm:2"},
        {**base, "id": "a3", "at": 3, "action": "customer.split", "subject_id": "C2"},
        {**base, "id": "a4", "at": 4, "action": "steward.undo", "subject_id": "C1"},
    ]
    await store.write_batch("audit/append_entries", [{**e, "after": "null"} for e in entries])
    params = {"subject_ids": ["C1", "crm:1|crm:2", "nope"], "limit": 10}
    got = await store.read("audit/list_for_subjects", params)
    assert [(e["id"], e["subject_id"]) for e in got] == [
        ("a4", "C1"),
        ("a2", "crm:1|crm:2"),
        ("a1", "C1"),
    ]
    assert got[0]["action"] == "steward.undo"
    assert set(got[0]) == {
        "id",
        "at",
        "actor",
        "action",
        "reason",
        "subject_type",
        "subject_id",
        "before",
        "after",
    }
    newest = await store.read("audit/list_for_subjects", {**params, "limit": 1})
    assert [e["id"] for e in newest] == ["a4"]
