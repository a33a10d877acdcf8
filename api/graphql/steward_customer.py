"""The steward page's customer view: the links that hold a customer's records together, the
candidate pairs around them, and the audit trail of a customer or a pair (with what can be
undone). Annotations: see `api.graphql.customers`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.errors import BadRequest
from api.graphql.permissions import Operation, guarded
from api.graphql.steward import MatchStatus
from graph.model import from_millis
from identity import graph_reads
from identity.audit import pair_id
from identity.service import NoModelError
from identity.steward import REVERSIBLE

MAX_AUDIT = 200
APPROVED = "approved by a data steward"


@strawberry.type(description="Why two records of a customer belong together.")
class RecordLink:
    """`kind`: approved, identifier, model or weak_identifier."""

    left_key: str
    right_key: str
    kind: str
    reason: str
    probability: float | None


@strawberry.type(description="A candidate pair that involves one of the customer's records.")
class RelatedPair:
    """Its status and both records' current customers."""

    left_key: str
    right_key: str
    status: MatchStatus
    probability: float | None
    left_customer_id: strawberry.ID | None
    right_customer_id: strawberry.ID | None


@strawberry.type(description="The records of a customer and what links them.")
class CustomerNetwork:
    """Links recomputed with the current model and rules, and the pairs around the records."""

    customer_id: strawberry.ID
    record_keys: list[str]
    links: list[RecordLink]
    explained: bool = strawberry.field(
        description="False when no identity model exists: only steward approvals are listed."
    )
    pairs: list[RelatedPair]


@strawberry.type(description="One audited operation, with the state before and after it.")
class AuditEntry:
    """An `AuditEntry` node; `undoable` when `undoOperation` accepts its id."""

    id: str
    at: datetime | None
    actor: str
    action: str
    reason: str
    subject_type: str
    subject_id: str
    before: JSON
    after: JSON
    undoable: bool


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def audit_entry(row: dict[str, Any]) -> AuditEntry:
    """The GraphQL view of an audit row."""
    at = row.get("at")
    return AuditEntry(
        id=str(row["id"]),
        at=from_millis(int(at)) if isinstance(at, int | float) else None,
        actor=str(row.get("actor") or ""),
        action=str(row.get("action") or ""),
        reason=str(row.get("reason") or ""),
        subject_type=str(row.get("subject_type") or ""),
        subject_id=str(row.get("subject_id") or ""),
        before=JSON(_json(row.get("before"))),
        after=JSON(_json(row.get("after"))),
        undoable=row.get("action") in REVERSIBLE,
    )


def related_pair(row: dict[str, Any]) -> RelatedPair:
    """The GraphQL view of a `matches/pairs_of_records` row."""
    left, right = row.get("left_customer"), row.get("right_customer")
    return RelatedPair(
        left_key=str(row["left_key"]),
        right_key=str(row["right_key"]),
        status=MatchStatus(row["status"]),
        probability=row.get("probability"),
        left_customer_id=strawberry.ID(str(left)) if left else None,
        right_customer_id=strawberry.ID(str(right)) if right else None,
    )


async def _network(info: Info, customer_id: str) -> CustomerNetwork:
    store, steward = info.context.services.store, info.context.services.steward
    keys = sorted((await graph_reads.customer_records(store, [customer_id])).get(customer_id, []))
    explained = True
    try:
        links = [
            RecordLink(
                left_key=e.left_key,
                right_key=e.right_key,
                kind=e.kind,
                reason=e.reason,
                probability=e.probability,
            )
            for e in await steward.explain(customer_id)
        ]
    except NoModelError:
        explained = False
        approved, _ = await graph_reads.decided_pairs(store, keys)
        links = [
            RecordLink(
                left_key=a, right_key=b, kind="approved", reason="approved", probability=None
            )
            for a, b in sorted(approved)
            if a in keys and b in keys
        ]
    rows = await store.read("matches/pairs_of_records", {"keys": keys}) if keys else []
    return CustomerNetwork(
        customer_id=strawberry.ID(customer_id),
        record_keys=keys,
        links=links,
        explained=explained,
        pairs=[related_pair(r) for r in rows if r["status"] in {s.value for s in MatchStatus}],
    )


@strawberry.type
class StewardCustomerQuery:
    """Root fields of the steward page's customer view."""

    @guarded(Operation.MATCHES_READ, "What holds a customer's records together.")
    async def customer_network(self, info: Info, id: strawberry.ID) -> CustomerNetwork:
        """Empty for an unknown or retired id (ask `customer` first: it follows merges)."""
        return await _network(info, str(id))

    @guarded(
        Operation.AUDIT_READ,
        "Audit trail, newest first: of a pair (`left|right`), or of a customer with the "
        "pairs around its records.",
    )
    async def audit_trail(self, info: Info, subject_id: str, first: int = 50) -> list[AuditEntry]:
        """At most `first` (≤ 200) entries."""
        if not 1 <= first <= MAX_AUDIT:
            raise BadRequest(f"first: must be between 1 and {MAX_AUDIT}")
        store = info.context.services.store
        subjects = [subject_id]
        if "|" in subject_id:
            subjects = [pair_id(*subject_id.split("|", 1))]
        else:
            members = await graph_reads.customer_records(store, [subject_id])
            keys = members.get(subject_id, [])
            if keys:
                rows = await store.read("matches/pairs_of_records", {"keys": keys})
                subjects += sorted({pair_id(r["left_key"], r["right_key"]) for r in rows})
        found = await store.read(
            "audit/list_for_subjects", {"subject_ids": subjects, "limit": first}
        )
        return [audit_entry(r) for r in found]
