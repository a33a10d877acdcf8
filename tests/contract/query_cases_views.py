"""Query-file case for the API's one-read customer view: the same answers, part by part, as
the separate queries whose rules it combines."""

from __future__ import annotations

from typing import Any

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
from tests.contract.query_cases_privacy import customer_with_identifiers, decision, record
from tests.contract.query_cases_segments import members_of

PURPOSES = ["analytics", "personalisation", "marketing"]
# The view's interaction lists are positional: interactions/by_identifiers' columns.
COLUMNS = ("id_key", "item_id", "type", "count", "first_at", "last_at", "weight")


async def _separately(store: GraphStore, customer_id: str) -> dict[str, Any]:
    """The view's parts read by the queries each part follows."""
    ids = {"ids": [customer_id]}
    node = await store.read("customers/get_customers", ids)
    records = [r["record"] for r in await store.read("records/by_customers", ids)]
    held = await store.read("identifiers/by_records", {"keys": [r["key"] for r in records]})
    seen = await store.read("identifiers/seen_with_customers", ids)
    keys = sorted({r["key"] for r in held} | {r["key"] for r in seen})
    decisions = await store.read("consent/customer_decisions", {**ids, "purposes": PURPOSES})
    return {
        "customer": node[0]["customer"],
        "records": records,
        "held": [{k: r[k] for k in ("record_key", "key", "type", "value")} for r in held],
        "seen": [{k: r[k] for k in ("key", "type", "value")} for r in seen],
        "memberships": [
            {k: r[k] for k in ("id", "kind", "name", "since", "score")}
            for r in await store.read("segments/segments_of_customers", ids)
        ],
        "consents": sorted((r["subject"], r["purpose"], r["granted"], r["at"]) for r in decisions),
        "interactions": await store.read("interactions/by_identifiers", {"keys": keys}),
    }


@case("customers/view")
async def _view(store: GraphStore) -> None:
    await customer_with_identifiers(store)  # C1: crm:1 (login:u1, email:e1), cookie:c1 seen
    await seed_records(store, "3")
    await link(store, "3", "device:d1")
    await assign(store, **{"3": "C1"})
    await seed_customers(store, "OLD")
    await store.write_batch(
        "customers/retire_customers", [{"id": "OLD", "merged_into": "C1", "at": 3}]
    )
    await seed_segment(store, "s")
    await members_of(store, ("C1", "s"))
    await record(
        store,
        decision("C1", "personalisation", True, 1),
        decision("email:e1", "personalisation", False, 2),
        decision("cookie:c1", "marketing", True, 3),
        decision("cookie:shared", "marketing", False, 4),  # seen with C1 and C2: neither's
        decision("OLD", "analytics", False, 5),
    )
    await seed_items(store, "A", "B")
    rows = [
        interaction("login:u1", "A"),
        interaction("cookie:c1", "B", last_at=200),
        interaction("cookie:shared", "A"),  # not C1's alone: not pooled
    ]
    await apply(store, 1, 2, interactions=rows)  # the log cursor is at 1 already
    params = {"ids": ["C1", "C2", "NOPE"], "purposes": PURPOSES, "with_interactions": True}
    got = {r["id"]: r for r in await store.read("customers/view", params)}
    assert set(got) == {"C1", "C2"}, "unknown ids give no row"
    for customer_id in ("C1", "C2"):
        view, expected = got[customer_id], await _separately(store, customer_id)
        consents = sorted(
            {(c["subject"], c["purpose"], c["granted"], c["at"]) for c in view["consents"]}
        )
        interactions = [dict(zip(COLUMNS, entry, strict=True)) for entry in view["interactions"]]
        assert {**view, "consents": consents, "interactions": interactions} == {
            **expected,
            "id": customer_id,
            "merged_from": ["OLD"] if customer_id == "C1" else [],
        }
    c1 = got["C1"]
    assert [r["key"] for r in c1["records"]] == ["crm:1", "crm:3"]
    assert [s["key"] for s in c1["seen"]] == ["cookie:c1"]
    pairs = [(entry[0], entry[1]) for entry in c1["interactions"]]
    assert pairs == [
        ("cookie:c1", "B"),
        ("login:u1", "A"),
    ]
    assert [m["id"] for m in c1["memberships"]] == ["s"]
    without = await store.read("customers/view", {**params, "with_interactions": False})
    assert all(r["interactions"] == [] for r in without)
    assert [r["consents"] for r in without] == [r["consents"] for r in got.values()]
