"""Privacy operations for the privacy officer (admin role): erasure with a receipt, the
access export, and the audit log across subjects. Annotations: see `api.graphql.customers`.
"""

from __future__ import annotations

import json
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.errors import BadRequest
from api.graphql.permissions import Operation, guarded, guarded_mutation
from privacy.erasure import ErasureError, ErasureReceipt

MAX_AUDIT = 500


@strawberry.type(description="Proof of an erasure: what was removed, never who.")
class ErasureReceiptView:
    """`privacy.erasure.ErasureReceipt`."""

    receipt_id: str
    erased_at: int = strawberry.field(description="Epoch milliseconds.")
    actor: str
    reason: str
    counts: JSON = strawberry.field(description="Removed entries by kind.")


@strawberry.type(description="One entry of the append-only audit log.")
class AuditLogEntry:
    """Who did what, when, why; before/after as JSON text."""

    id: str
    at: int
    actor: str
    action: str
    reason: str | None
    subject_type: str | None
    subject_id: str | None
    before: JSON | None
    after: JSON | None


def receipt_view(receipt: ErasureReceipt) -> ErasureReceiptView:
    """The GraphQL view of a receipt."""
    return ErasureReceiptView(
        receipt_id=receipt.receipt_id,
        erased_at=receipt.erased_at,
        actor=receipt.actor,
        reason=receipt.reason,
        counts=JSON(receipt.counts),
    )


def _json(text: Any) -> JSON | None:
    if not isinstance(text, str):
        return None
    try:
        return JSON(json.loads(text))
    except ValueError:
        return JSON(text)


@strawberry.type
class PrivacyQuery:
    """Root fields of the privacy domain."""

    @guarded(Operation.AUDIT_READ, "The newest audit entries, optionally of one action.")
    async def audit_log(
        self, info: Info, action: str | None = None, first: int = 50
    ) -> list[AuditLogEntry]:
        """Merges, splits, decisions, consent changes, erasures and exports, newest first."""
        if not 1 <= first <= MAX_AUDIT:
            raise BadRequest(f"first: must be between 1 and {MAX_AUDIT}")
        rows = await info.context.services.store.read(
            "audit/list_recent", {"action": action, "limit": first}
        )
        return [
            AuditLogEntry(
                id=r["id"],
                at=int(r["at"]),
                actor=r["actor"],
                action=r["action"],
                reason=r.get("reason"),
                subject_type=r.get("subject_type"),
                subject_id=r.get("subject_id"),
                before=_json(r.get("before")),
                after=_json(r.get("after")),
            )
            for r in rows
        ]


@strawberry.type
class PrivacyMutation:
    """Mutations of the privacy domain (each is audited)."""

    @guarded_mutation(Operation.PRIVACY_ERASE, "Erase a customer everywhere (right to erasure).")
    async def erase_customer(
        self, info: Info, customer_id: strawberry.ID, reason: str
    ) -> ErasureReceiptView:
        """`ErasureService.erase`; `reason` is kept: no personal data in it."""
        erasure, actor = info.context.services.erasure, info.context.principal.actor
        try:
            receipt = await erasure.erase(str(customer_id), actor, reason)
        except ErasureError as refused:
            raise BadRequest(str(refused)) from None
        info.context.services.recommendations.refresh()  # stop serving their embeddings now
        return receipt_view(receipt)

    @guarded_mutation(Operation.PRIVACY_EXPORT, "Everything held about a customer (access).")
    async def export_customer_data(
        self, info: Info, customer_id: strawberry.ID, reason: str
    ) -> JSON:
        """`AccessExport.export` (audited, hence a mutation)."""
        access, actor = info.context.services.access, info.context.principal.actor
        try:
            document = await access.export(str(customer_id), actor, reason)
        except ErasureError as refused:
            raise BadRequest(str(refused)) from None
        return JSON(json.loads(json.dumps(document, default=str)))
