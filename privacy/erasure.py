"""Right to be forgotten: erase a customer everywhere, suppress their identifiers, give a receipt.

One `erase` call removes from the graph the customer (and retired customers merged into
it), their records, the identifiers only they hold (and the anonymous identifiers seen only
with them) with their interactions, segment memberships, review-queue pairs and consent
decisions; destroys their data keys (so every copy of their encrypted attributes, backups
included, is unreadable); redacts their references in older audit entries; puts their
identifier keys on the suppression list (a late event cannot re-create them); and runs the
erasers the composition root registers for what lives outside the graph (event log, dead
letters, served embeddings). The receipt and the audit entry hold counts, never the person.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from graph.model import AuditEntry
from graph.port import GraphStore
from privacy.audit_redaction import redact_audit
from privacy.cipher import FieldCipher
from privacy.suppression import SuppressionList

ANONYMOUS_USER_PREFIX = "identifier:"  # how the recommender names identifiers without a customer
MAX_MERGE_DEPTH = 20


class ErasureError(Exception):
    """The erasure cannot be carried out (unknown customer)."""


@dataclass(frozen=True)
class ErasureSubject:
    """Everything that identifies the person being erased."""

    customer_ids: tuple[str, ...]
    record_keys: tuple[str, ...]
    identifier_keys: tuple[str, ...]  # held only by their records, or seen only with them
    values: tuple[str, ...] = ()  # their attribute values (names, …), for audit redaction

    @property
    def user_ids(self) -> tuple[str, ...]:
        """Their ids as the recommender knows them: customers and anonymous identifiers."""
        return self.customer_ids + tuple(ANONYMOUS_USER_PREFIX + k for k in self.identifier_keys)


# An eraser for data outside the graph: returns how many entries it removed.
Eraser = Callable[[ErasureSubject], int]


@dataclass(frozen=True)
class ErasureReceipt:
    """Proof of an erasure: when, why, by whom, and how much of each kind was removed."""

    receipt_id: str
    erased_at: int
    actor: str
    reason: str
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The receipt as JSON-ready data."""
        return asdict(self)


class ErasureService:
    """Erases customers from the graph, the key store and the registered erasers."""

    def __init__(
        self,
        store: GraphStore,
        cipher: FieldCipher | None,
        erasers: Mapping[str, Eraser] | None = None,
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.erasers = dict(erasers or {})
        self.suppression = SuppressionList(store)

    async def subject(self, customer_id: str) -> ErasureSubject:
        """Who erasing `customer_id` removes; ErasureError when there is no such customer."""
        found = await self.store.read("customers/get_customers", {"ids": [customer_id]})
        if not found:
            raise ErasureError(f"customer_id: no customer {customer_id!r}")
        customers = await self._with_merged([customer_id])
        by_customer = await self.store.read("identity/customer_records", {"ids": customers})
        records = sorted({k for row in by_customer for k in row["record_keys"]})
        held_rows = await self.store.read("identifiers/by_records", {"keys": records})
        held = sorted({row["key"] for row in held_rows})
        counts = await self.store.read("identity/identifier_record_counts", {"keys": held})
        ours: dict[str, int] = {}
        for row in held_rows:
            ours[row["key"]] = ours.get(row["key"], 0) + 1
        exclusive = [r["key"] for r in counts if int(r["records"]) <= ours.get(r["key"], 0)]
        seen = await self.store.read("identifiers/seen_with_customers", {"ids": customers})
        identifiers = sorted({*exclusive, *(row["key"] for row in seen)})
        values = await self._values(records, customers)
        return ErasureSubject(tuple(customers), tuple(records), tuple(identifiers), values)

    async def _with_merged(self, ids: Sequence[str]) -> list[str]:
        found, frontier = list(ids), list(ids)
        for _ in range(MAX_MERGE_DEPTH):
            rows = await self.store.read("privacy/merged_into", {"ids": frontier})
            frontier = [r["id"] for r in rows if r["id"] not in found]
            if not frontier:
                break
            found += frontier
        return found

    async def _values(self, records: Sequence[str], customers: Sequence[str]) -> tuple[str, ...]:
        rows = await self.store.read("records/get_records", {"keys": list(records)})
        rows += await self.store.read("customers/get_customers", {"ids": list(customers)})
        values: set[str] = set()
        for row in rows:
            node = row.get("record") or row.get("customer") or {}
            for name in ("first_name", "last_name", "address", "date_of_birth"):
                value = node.get(name)
                if isinstance(value, str) and len(value) >= 3:
                    values.add(value)
        return tuple(sorted(values))

    async def erase(self, customer_id: str, actor: str, reason: str) -> ErasureReceipt:
        """Erase a customer everywhere; the receipt counts what went."""
        subject = await self.subject(customer_id)
        # Suppressed first: an event arriving meanwhile is dropped instead of re-creating them.
        suppressed = len(await self.suppression.add(subject.identifier_keys, reason="erasure"))
        counts = await self._erase_graph(subject)
        counts["suppressed_identifiers"] = suppressed
        counts["audit_entries_redacted"] = await redact_audit(self.store, subject)
        counts["keys_shredded"] = self._shred(subject)
        for name, eraser in sorted(self.erasers.items()):
            counts[name] = await asyncio.to_thread(eraser, subject)
        receipt = ErasureReceipt(
            receipt_id=f"erasure-{uuid.uuid4()}",
            erased_at=_now_ms(),
            actor=actor,
            reason=reason,
            counts=counts,
        )
        await self._audit(receipt)
        return receipt

    async def _erase_graph(self, subject: ErasureSubject) -> dict[str, int]:
        extra = await self.store.read(
            "privacy/erasure_counts",
            {
                "record_keys": list(subject.record_keys),
                "identifier_keys": list(subject.identifier_keys),
                "customer_ids": list(subject.customer_ids),
            },
        )
        counts = {k: int(v) for k, v in (extra[0] if extra else {}).items()}
        async with self.store.transaction() as tx:
            tx.write("privacy/erase_records", {"keys": list(subject.record_keys)})
            tx.write("privacy/erase_identifiers", {"keys": list(subject.identifier_keys)})
            tx.write("privacy/erase_customers", {"ids": list(subject.customer_ids)})
            subjects = [*subject.identifier_keys, *subject.customer_ids]
            tx.write("privacy/erase_consents", {"subjects": subjects})
        deleted = {
            "records": len(subject.record_keys),
            "identifiers": len(subject.identifier_keys),
            "customers": len(subject.customer_ids),
        }
        return {**deleted, **counts}

    def _shred(self, subject: ErasureSubject) -> int:
        if self.cipher is None:
            return 0
        ids = [self.cipher.key_id("record", k) for k in subject.record_keys]
        ids += [self.cipher.key_id("customer", c) for c in subject.customer_ids]
        return self.cipher.keys.shred(ids)

    async def _audit(self, receipt: ErasureReceipt) -> None:
        entry = AuditEntry(
            id=f"audit-{uuid.uuid4()}",
            at=receipt.erased_at,
            actor=receipt.actor,
            action="erase",
            reason=receipt.reason,
            subject_type="erasure",
            subject_id=receipt.receipt_id,
            before="null",
            after=json.dumps({"counts": receipt.counts}, sort_keys=True),
        )
        await self.store.write_batch("audit/append_entries", [entry.row()])


def _now_ms() -> int:
    return int(time.time() * 1000)
