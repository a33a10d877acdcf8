"""Right of access: everything held about a customer, as one JSON document.

The export covers what erasure would remove (the same scope, `ErasureService.subject`):
the golden record, every source record (decrypted), identifiers (emails and phones only
as the keyed hashes the product holds), interactions, segment memberships, consent
decisions, review-queue pairs, audit entries about them, and their logged events (read by
the callback the composition root passes). Every export is itself audited.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from graph.model import AuditEntry
from graph.port import GraphStore
from privacy.erasure import ErasureService

EventReader = Callable[[Sequence[str]], list[dict[str, Any]]]
CONSENT_PURPOSES = ["analytics", "personalisation", "marketing"]
FORMAT = "customer-graph-access-export/1"


class AccessExport:
    """Builds the access export of a customer."""

    def __init__(
        self, store: GraphStore, scope: ErasureService, events: EventReader | None = None
    ) -> None:
        self.store = store
        self.scope = scope
        self.events = events

    async def export(self, customer_id: str, actor: str, reason: str) -> dict[str, Any]:
        """The export document (ErasureError for an unknown customer); audited."""
        subject = await self.scope.subject(customer_id)
        ids, records = list(subject.customer_ids), list(subject.record_keys)
        keys = list(subject.identifier_keys)
        read = self.store.read
        customers = await read("customers/get_customers", {"ids": ids})
        record_rows = await read("records/get_records", {"keys": records})
        identifiers = await read("identifiers/by_records", {"keys": records})
        every_key = sorted({*keys, *(row["key"] for row in identifiers)})
        document: dict[str, Any] = {
            "format": FORMAT,
            "customer_id": customer_id,
            "exported_at": int(time.time() * 1000),
            "customers": [_plain(row["customer"]) for row in customers],
            "records": [
                {**_plain(row["record"]), "identifiers": row["identifier_keys"]}
                for row in record_rows
            ],
            "identifiers": [
                {"key": row["key"], "type": row["type"], "record_key": row["record_key"]}
                for row in identifiers
            ]
            + [{"key": k, "type": k.split(":", 1)[0], "record_key": None} for k in keys],
            "interactions": await read("interactions/by_identifiers", {"keys": every_key}),
            "segments": await read("segments/segments_of_customers", {"ids": ids}),
            "consents": await read(
                "consent/customer_decisions", {"ids": ids, "purposes": CONSENT_PURPOSES}
            ),
            "review_pairs": [
                {**row, "evidence": _json(row.get("evidence"))}
                for row in await read("privacy/review_pairs_of", {"keys": records})
            ],
            "audit": await read("privacy/audit_of_subjects", {"subjects": [*ids, *records]}),
            "events": self.events(every_key) if self.events is not None else [],
        }
        await self._audit(customer_id, actor, reason, document)
        return document

    async def _audit(self, customer_id: str, actor: str, reason: str, doc: dict[str, Any]) -> None:
        counts = {k: len(v) for k, v in doc.items() if isinstance(v, list)}
        entry = AuditEntry(
            id=f"audit-{uuid.uuid4()}",
            at=int(doc["exported_at"]),
            actor=actor,
            action="export",
            reason=reason,
            subject_type="customer",
            subject_id=customer_id,
            after=json.dumps({"counts": counts}, sort_keys=True),
        )
        await self.store.write_batch("audit/append_entries", [entry.row()])


def _plain(node: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(node or {}).items() if v is not None}


def _json(text: Any) -> Any:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
