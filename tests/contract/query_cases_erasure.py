"""Query-file cases for erasure and access exports (cypher/privacy)."""

from __future__ import annotations

from graph.port import GraphStore
from graph.queries import Cypher
from tests.contract.query_cases import case, interaction, link, seed_customers, seed_records

PAIR = {
    "left_key": "crm:1",
    "right_key": "crm:2",
    "probability": 0.7,
    "match_weight": 1.5,
    "evidence": '{"first_name": {"level": 2}}',
    "status": "pending",
    "created_at": 5,
    "decided_by": None,
    "decided_at": None,
}


def audit(entry_id: str, subject: str, before: str = "null", reason: str = "") -> dict[str, object]:
    """An audit row for audit/append_entries."""
    return {
        "id": entry_id,
        "at": 1,
        "actor": "steward:ann",
        "action": "approve",
        "reason": reason,
        "subject_type": "pair",
        "subject_id": subject,
        "before": before,
        "after": "null",
    }


async def seed_person(store: GraphStore) -> None:
    """Customer C with records crm:1 and crm:2 (a pending pair), cookie c1 with an
    interaction, and a retired customer OLD merged into C."""
    await seed_records(store, "1", "2")
    await link(store, "1", "cookie:c1")
    await seed_customers(store, "C", "OLD")
    assignments = [{"record_key": f"crm:{i}", "customer_id": "C"} for i in ("1", "2")]
    await store.write_batch("customers/assign_records", assignments)
    await store.write_batch(
        "customers/retire_customers", [{"id": "OLD", "merged_into": "C", "at": 2}]
    )
    await store.write_batch("matches/upsert_candidates", [PAIR])
    await store.write_batch("interactions/add_interactions", [interaction("cookie:c1", "A")])


@case("privacy/merged_into")
async def _merged_into(store: GraphStore) -> None:
    await seed_person(store)
    assert await store.read("privacy/merged_into", {"ids": ["C"]}) == [{"id": "OLD"}]
    assert await store.read("privacy/merged_into", {"ids": ["OLD"]}) == []


@case("privacy/erasure_counts")
async def _erasure_counts(store: GraphStore) -> None:
    await seed_person(store)
    params = {"record_keys": ["crm:1"], "identifier_keys": ["cookie:c1"], "customer_ids": ["C"]}
    rows = await store.read("privacy/erasure_counts", params)
    assert rows == [{"review_pairs": 1, "interactions": 1, "memberships": 0}]


@case("privacy/erase_records")
async def _erase_records(store: GraphStore) -> None:
    await seed_person(store)
    await store.write("privacy/erase_records", {"keys": ["crm:1", "crm:9"]})
    left = await store.read("records/get_records", {"keys": ["crm:1", "crm:2"]})
    assert [r["record"]["key"] for r in left] == ["crm:2"]
    assert await store.read("privacy/review_pairs_of", {"keys": ["crm:2"]}) == []


@case("privacy/erase_identifiers")
async def _erase_identifiers(store: GraphStore) -> None:
    await seed_person(store)
    await store.write("privacy/erase_identifiers", {"keys": ["cookie:c1"]})
    assert await store.read("interactions/by_identifiers", {"keys": ["cookie:c1"]}) == []
    assert await store.read("identifiers/by_records", {"keys": ["crm:1"]}) == []


@case("privacy/erase_customers")
async def _erase_customers(store: GraphStore) -> None:
    await seed_person(store)
    await store.write("privacy/erase_customers", {"ids": ["C", "OLD"]})
    assert await store.read("customers/get_customers", {"ids": ["C", "OLD"]}) == []


@case("privacy/erase_consents")
async def _erase_consents(store: GraphStore) -> None:
    await seed_person(store)
    for subject in ("C", "cookie:other"):
        await store.write(
            Cypher("CREATE (:Consent {subject: $s, purpose: 'marketing', granted: true})"),
            {"s": subject},
        )
    result = await store.write("privacy/erase_consents", {"subjects": ["C", "cookie:c1"]})
    assert result.summary.nodes_deleted == 1
    await store.write("privacy/erase_consents", {"subjects": ["cookie:other"]})
    assert (await store.write("privacy/erase_consents", {"subjects": ["C"]})).summary == (
        result.summary.__class__()
    )


@case("privacy/audit_mentioning")
async def _audit_mentioning(store: GraphStore) -> None:
    await store.write_batch(
        "audit/append_entries",
        [
            audit("a1", "crm:1|crm:2"),
            audit("a2", "crm:12|crm:3", reason="Ann Lee twice"),
            audit("a3", "x", before='{"assignments": {"crm:1": "C"}}'),
        ],
    )
    found = await store.read("privacy/audit_mentioning", {"strings": ["crm:1", "Lee"]})
    assert sorted(r["id"] for r in found) == ["a1", "a2", "a3"]  # substring: callers refine
    assert await store.read("privacy/audit_mentioning", {"strings": ["nobody"]}) == []


@case("privacy/redact_audit")
async def _redact_audit(store: GraphStore) -> None:
    await store.write_batch("audit/append_entries", [audit("a1", "crm:1|crm:2")])
    row = {
        "id": "a1",
        "subject_id": "erased|crm:2",
        "before": "null",
        "after": "null",
        "reason": "",
    }
    await store.write_batch("privacy/redact_audit", [row])
    found = await store.read("privacy/audit_of_subjects", {"subjects": ["crm:2"]})
    assert [(r["id"], r["subject_id"]) for r in found] == [("a1", "erased|crm:2")]


@case("privacy/review_pairs_of")
async def _review_pairs_of(store: GraphStore) -> None:
    await seed_person(store)
    rows = await store.read("privacy/review_pairs_of", {"keys": ["crm:2"]})
    assert [(r["left_key"], r["right_key"], r["status"]) for r in rows] == [
        ("crm:1", "crm:2", "pending")
    ]


@case("privacy/audit_of_subjects")
async def _audit_of_subjects(store: GraphStore) -> None:
    await store.write_batch(
        "audit/append_entries",
        [audit("a1", "crm:1|crm:2"), audit("a2", "C"), audit("a3", "crm:12|crm:3")],
    )
    rows = await store.read("privacy/audit_of_subjects", {"subjects": ["crm:1", "C"]})
    assert [r["id"] for r in rows] == ["a1", "a2"]
