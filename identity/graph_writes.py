"""Writing identity changes to the graph: customers with golden records, memberships,
retired ids, review candidates, steward decisions and audit entries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.model import AuditEntry
from graph.port import GraphStore
from identity.evidence import ScoredPair
from identity.golden_record import ADDRESS_GROUP, PERSON_ATTRIBUTES, Survivorship
from identity.records import MatchRecord

GOLDEN_ATTRIBUTES = (*PERSON_ATTRIBUTES, *ADDRESS_GROUP)


@dataclass
class IdentityChanges:
    """Everything one resolution step or steward operation writes."""

    customers: dict[str, list[MatchRecord]] = field(default_factory=dict)  # full members
    assignments: dict[str, str] = field(default_factory=dict)  # record -> customer
    retired: dict[str, str | None] = field(default_factory=dict)  # id -> merged into
    review: list[ScoredPair] = field(default_factory=list)
    decisions: list[dict[str, object]] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


def customer_rows(
    customers: Mapping[str, Sequence[MatchRecord]], survivorship: Survivorship, at: int
) -> list[dict[str, object]]:
    """Rows for customers/upsert_customers: golden attributes and their lineage."""
    rows: list[dict[str, object]] = []
    for cid, members in customers.items():
        golden = survivorship.golden(members)
        attrs: dict[str, object] = {name: golden.attrs.get(name) for name in GOLDEN_ATTRIBUTES}
        attrs["lineage"] = json.dumps(
            {
                name: {"record": s.record_key, "source": s.source, "rule": s.rule}
                for name, s in golden.lineage.items()
            },
            sort_keys=True,
        )
        attrs["record_count"] = len(members)
        attrs["status"] = "active"
        attrs["merged_into"] = None
        rows.append({"id": cid, "created_at": at, "updated_at": at, "attrs": attrs})
    return rows


async def write_changes(
    store: GraphStore, changes: IdentityChanges, survivorship: Survivorship, at: int
) -> None:
    """Apply the changes: customers first (memberships point at them), then memberships,
    retirements, review pairs and decisions together, and audit entries last, so an entry
    never describes unwritten state."""
    if changes.customers:
        await store.write_batch(
            "customers/upsert_customers", customer_rows(changes.customers, survivorship, at)
        )
    writes: list[Awaitable[object]] = []
    for query, rows in _middle_writes(changes, at):
        writes.append(store.write_batch(query, rows))
    await asyncio.gather(*writes)
    if changes.audit:
        await store.write_batch("audit/append_entries", [e.row() for e in changes.audit])


async def write_changes_at_once(
    store: GraphStore, changes: IdentityChanges, survivorship: Survivorship, at: int
) -> None:
    """Apply small changes (one record's) as one unit of work, in the order write_changes
    uses: one round trip and one durable commit instead of one per kind of row, and no
    reader ever sees half of it. Not for a full run: the backend applies a unit of work
    in one go, so a large one would hold everything else up."""
    async with store.transaction() as tx:
        if changes.customers:
            tx.write_batch(
                "customers/upsert_customers", customer_rows(changes.customers, survivorship, at)
            )
        for query, rows in _middle_writes(changes, at):
            tx.write_batch(query, rows)
        if changes.audit:
            tx.write_batch("audit/append_entries", [e.row() for e in changes.audit])


def _middle_writes(changes: IdentityChanges, at: int) -> list[tuple[str, list[dict[str, Any]]]]:
    """Memberships, retirements, review pairs and decisions: (query, rows) of each present."""
    writes: list[tuple[str, list[dict[str, Any]]]] = []
    if changes.assignments:
        moves = [{"record_key": k, "customer_id": c} for k, c in changes.assignments.items()]
        writes.append(("customers/assign_records", moves))
    if changes.retired:
        retired = [{"id": c, "merged_into": m, "at": at} for c, m in changes.retired.items()]
        writes.append(("customers/retire_customers", retired))
    if changes.review:
        writes.append(("matches/upsert_candidates", review_rows(changes.review, at)))
    if changes.decisions:
        writes.append(("matches/set_decisions", list(changes.decisions)))
    return writes


def review_rows(pairs: Sequence[ScoredPair], at: int) -> list[dict[str, object]]:
    """Rows for matches/upsert_candidates: pending pairs with their evidence."""
    return [
        {
            "left_key": p.left,
            "right_key": p.right,
            "probability": p.match_probability,
            "match_weight": p.match_weight,
            "evidence": json.dumps(p.evidence_json(), sort_keys=True),
            "status": "pending",
            "created_at": at,
            "decided_by": None,
            "decided_at": None,
        }
        for p in pairs
    ]
