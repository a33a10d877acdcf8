"""`ConsentService`: records consent decisions in the graph and answers effective consent.

Nothing is cached: every answer reads the graph, so a decision takes effect on the very
next call (the API batches reads per request with a DataLoader, never across requests).
The rules are in `privacy.consent`; the queries in `cypher/consent/`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.port import GraphStore, Row
from privacy.consent import (
    ANALYTICS,
    PURPOSES,
    Allows,
    Consent,
    Decision,
    EffectiveConsent,
    check_defaults,
    check_purpose,
    clean_source,
    effective,
    is_identifier_key,
    newer,
)
from privacy.suppression import SuppressionList

READ_BATCH = 2000  # ids or keys per read
AUDIT_ACTION = "consent.changed"
AUDIT_SUBJECT_TYPE = "consent"


def now_ms() -> int:
    """Current time in epoch milliseconds."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class ConsentChange:
    """A decision that was applied (it was newer than the stored one); `audit_id` is set when
    it changed the state (a new subject and purpose, or `granted` flipped)."""

    subject: str
    purpose: str
    granted: bool
    at: int
    before: bool | None
    audit_id: str | None


@dataclass(frozen=True)
class GateState:
    """Which keys of an ingest batch may not be tied to a person: `suppressed` (erased
    identifiers) and `withdrawn` (their person's effective consent for the purpose is
    withdrawn)."""

    suppressed: frozenset[str] = frozenset()
    withdrawn: frozenset[str] = frozenset()

    @property
    def untied(self) -> frozenset[str]:
        """Keys to drop from events: suppressed or withdrawn."""
        return self.suppressed | self.withdrawn


@dataclass
class UserConsent:
    """One purpose over a whole graph: the latest decision per customer and per identifier
    without a customer, and the default for everyone else (the training export's filter)."""

    purpose: str
    default: bool
    customers: dict[str, Consent] = field(default_factory=dict)
    identifiers: dict[str, Consent] = field(default_factory=dict)

    def allows_customer(self, customer_id: str) -> bool:
        """Whether the customer consented (or the default allows)."""
        found = self.customers.get(customer_id)
        return self.default if found is None else found.granted

    def allows_identifier(self, key: str) -> bool:
        """Whether an identifier without a customer consented (or the default allows)."""
        found = self.identifiers.get(key)
        return self.default if found is None else found.granted


def _consent(row: Mapping[str, Any], subject: str | None = None) -> tuple[str, Consent]:
    at = row.get("at")
    return str(row["purpose"]), Consent(
        granted=bool(row["granted"]),
        source=str(row.get("source") or ""),
        at=int(at) if at is not None else 0,
        subject=subject if subject is not None else row.get("subject"),
    )


def _state(row: Row | None) -> dict[str, Any] | None:
    if row is None or row["at"] is None:
        return None
    return {"at": int(row["at"]), "granted": bool(row["granted"]), "source": row["source"]}


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), READ_BATCH):
        yield list(values[start : start + READ_BATCH])


def _latest_per_node(decisions: Iterable[Decision]) -> list[Decision]:
    """The newest decision per (subject, purpose) of a batch (a withdrawal wins a tie)."""
    best: dict[str, Decision] = {}
    for decision in decisions:
        current = best.get(decision.id)
        if current is None or newer(
            Consent(decision.granted, decision.source, decision.at),
            Consent(current.granted, current.source, current.at),
        ):
            best[decision.id] = decision
    return list(best.values())


class ConsentService:
    """Consent decisions in the graph, and effective consent of customers and identifiers."""

    def __init__(self, store: GraphStore, defaults: Mapping[str, bool] | None = None) -> None:
        self.store = store
        self.defaults = check_defaults(defaults or {})
        self.suppression = SuppressionList(store)

    # ---- writing ----------------------------------------------------------------------

    async def record(
        self, decisions: Iterable[Decision], actor: str, reason: str = ""
    ) -> list[ConsentChange]:
        """Store decisions, latest wins per (subject, purpose). The changes (a first decision
        for a subject and purpose, or `granted` flipped) are audited: one `consent.changed`
        entry per subject (actor, time, reason, before/after per purpose), written in the
        same transaction as the decisions."""
        latest = _latest_per_node(decisions)
        if not latest:
            return []
        stored: dict[str, Row] = {}
        for chunk in _chunks([d.id for d in latest]):
            for row in await self.store.read("consent/get_decisions", {"ids": chunk}):
                stored[str(row["id"])] = row
        applied: list[tuple[Decision, Row | None]] = []
        for d in latest:
            old = stored.get(d.id)
            if old is None or old["at"] is None or int(old["at"]) < d.at:
                applied.append((d, old))
        if not applied:
            return []
        at = now_ms()
        changes, audits = self._changes(applied, actor, reason, at)
        rows = [
            {
                "id": d.id,
                "subject": d.subject,
                "purpose": d.purpose,
                "granted": d.granted,
                "source": clean_source(d.source),
                "at": d.at,
            }
            for d, _ in applied
        ]
        async with self.store.transaction() as tx:
            tx.write_batch("consent/record_decisions", rows)
            if audits:
                tx.write_batch("audit/append_entries", audits)
            tx.write("consent/bump_clock")
        return changes

    async def clock(self) -> int:
        """How many `record` calls have changed consent so far (any process)."""
        rows = await self.store.read("consent/clock")
        return int(rows[0]["version"]) if rows else 0

    @staticmethod
    def _changes(
        applied: list[tuple[Decision, Row | None]], actor: str, reason: str, at: int
    ) -> tuple[list[ConsentChange], list[dict[str, Any]]]:
        """The applied decisions as changes, and one audit row per subject that changed."""
        changes: list[ConsentChange] = []
        by_subject: dict[str, list[tuple[Decision, Row | None]]] = defaultdict(list)
        for d, old in applied:
            before = None if old is None else bool(old["granted"])
            if before is None or before != d.granted:
                by_subject[d.subject].append((d, old))
        audit_ids = {subject: f"aud_{uuid.uuid4().hex}" for subject in by_subject}
        for d, old in applied:
            before = None if old is None else bool(old["granted"])
            changed = before is None or before != d.granted
            audit_id = audit_ids[d.subject] if changed else None
            changes.append(ConsentChange(d.subject, d.purpose, d.granted, d.at, before, audit_id))
        audits = []
        for subject, items in sorted(by_subject.items()):
            before_state = {d.purpose: _state(old) for d, old in items}
            after_state = {
                d.purpose: {"at": d.at, "granted": d.granted, "source": clean_source(d.source)}
                for d, _ in items
            }
            reasons = sorted({d.reason or reason for d, _ in items} - {""})
            audits.append(
                {
                    "id": audit_ids[subject],
                    "at": at,
                    "actor": actor,
                    "action": AUDIT_ACTION,
                    "reason": "; ".join(reasons),
                    "subject_type": AUDIT_SUBJECT_TYPE,
                    "subject_id": subject,
                    "before": json.dumps(before_state, sort_keys=True),
                    "after": json.dumps(after_state, sort_keys=True),
                }
            )
        return changes, audits

    # ---- reading ----------------------------------------------------------------------

    async def customer_decisions(
        self, ids: Collection[str], purposes: list[str]
    ) -> dict[str, list[tuple[str, Consent]]]:
        """The decisions that count for each customer, per customer (see
        `cypher/consent/customer_decisions`)."""
        found: dict[str, list[tuple[str, Consent]]] = defaultdict(list)
        for chunk in _chunks(sorted(set(ids))):
            params = {"ids": chunk, "purposes": purposes}
            for row in await self.store.read("consent/customer_decisions", params):
                found[str(row["customer_id"])].append(_consent(row))
        return found

    async def of_customers(
        self, ids: Collection[str], purposes: Sequence[str] = PURPOSES
    ) -> dict[str, EffectiveConsent]:
        """Effective consent per customer id (every id asked gets an answer: defaults for
        an unknown id)."""
        wanted = [check_purpose(p) for p in purposes]
        found = await self.customer_decisions(ids, wanted)
        return {i: effective(found.get(i, []), self.defaults, wanted) for i in ids}

    def effective_of_rows(
        self, rows: Iterable[Mapping[str, Any]], purposes: Sequence[str] = PURPOSES
    ) -> EffectiveConsent:
        """Effective consent from decision rows already read (`subject`, `purpose`,
        `granted`, `source`, `at`), e.g. by a query that reads a customer's whole view."""
        wanted = [check_purpose(p) for p in purposes]
        return effective([_consent(row) for row in rows], self.defaults, wanted)

    async def people(self, keys: Collection[str]) -> dict[str, tuple[tuple[str, ...], bool]]:
        """Per identifier key that belongs to someone, the customers whose effective consent
        its decisions count for, and whether through records: the customers whose records
        hold it (True), else the one customer the identifiers seen with it lead to (False).
        The first is its owner (`owning_customer`)."""
        result: dict[str, tuple[tuple[str, ...], bool]] = {}
        for chunk in _chunks(sorted(set(keys))):
            for row in await self.store.read("consent/identifier_owners", {"keys": chunk}):
                direct = sorted(str(c) for c in row["direct_ids"] or [] if c)
                via = sorted(str(c) for c in row["via_ids"] or [] if c)
                if direct:
                    result[str(row["key"])] = (tuple(direct), True)
                elif len(via) == 1:
                    result[str(row["key"])] = ((via[0],), False)
        return result

    async def owners(self, keys: Collection[str]) -> dict[str, str]:
        """The customer of each identifier key that has one (`owning_customer`)."""
        return {key: found[0][0] for key, found in (await self.people(keys)).items()}

    async def own_decisions(
        self, subjects: Collection[str], purposes: Sequence[str] = PURPOSES
    ) -> dict[str, list[tuple[str, Consent]]]:
        """The stored decisions of the subjects themselves, per subject."""
        found: dict[str, list[tuple[str, Consent]]] = defaultdict(list)
        for chunk in _chunks(sorted(set(subjects))):
            params = {"subjects": chunk, "purposes": list(purposes)}
            for row in await self.store.read("consent/of_subjects", params):
                found[str(row["subject"])].append(_consent(row))
        return found

    async def _of_identifiers(
        self,
        keys: Collection[str],
        purposes: list[str],
        owners: Mapping[str, str],
        own: Mapping[str, list[tuple[str, Consent]]] | None = None,
    ) -> dict[str, EffectiveConsent]:
        people = await self.of_customers(set(owners.values()), purposes) if owners else {}
        if own is None:
            anonymous = [k for k in keys if k not in owners]
            own = await self.own_decisions(anonymous, purposes) if anonymous else {}
        result = {}
        for key in keys:
            owner = owners.get(key)
            if owner is not None:
                result[key] = people[owner]
            else:
                result[key] = effective(own.get(key, []), self.defaults, purposes)
        return result

    async def of_identifiers(
        self, keys: Collection[str], purposes: Sequence[str] = PURPOSES
    ) -> dict[str, EffectiveConsent]:
        """Effective consent per identifier key: its customer's when it has one, else its
        own decisions (defaults for a key the graph has never seen)."""
        wanted = [check_purpose(p) for p in purposes]
        return await self._of_identifiers(keys, wanted, await self.owners(keys))

    async def of_subject(self, subject: str) -> EffectiveConsent:
        """Effective consent of one subject: an identifier key or a customer id."""
        if is_identifier_key(subject):
            return (await self.of_identifiers([subject]))[subject]
        return (await self.of_customers([subject]))[subject]

    async def lookup(self, subject: str) -> Allows:
        """`purpose -> bool` for a subject, read now (the `nba` package's `ConsentLookup`)."""
        return (await self.of_subject(subject)).allows

    async def gate(self, keys: Collection[str], purpose: str = ANALYTICS) -> GateState:
        """For ingestion, one batch's keys: which are suppressed, and which belong to a
        person (or are anonymous identifiers) whose effective consent for `purpose` is
        withdrawn. Three reads at once (suppression, owners, the keys' own decisions), then
        one for the owners' decisions when some keys have a customer."""
        if not keys:
            return GateState()
        wanted = [check_purpose(purpose)]
        # Independent reads, sent together (the server runs reads in parallel).
        suppressed, owners, own = await asyncio.gather(
            self.suppression.suppressed(keys), self.owners(keys), self.own_decisions(keys, wanted)
        )
        consents = await self._of_identifiers(keys, wanted, owners, own)
        withdrawn = frozenset(k for k, c in consents.items() if not c.allows(purpose))
        return GateState(frozenset(suppressed), withdrawn)

    async def by_user(self, purpose: str) -> UserConsent:
        """The latest decision for `purpose` of every customer and of every identifier that
        has no customer, in one pass over the purpose's decisions (same rules as
        `of_customers` / `of_identifiers`)."""
        check_purpose(purpose)
        result = UserConsent(purpose, self.defaults[purpose])
        for row in await self.store.read("consent/by_purpose", {"purpose": purpose}):
            subject = str(row["subject"])
            _, consent = _consent({**row, "purpose": purpose}, subject)
            targets: list[tuple[dict[str, Consent], str]] = []
            if row["identifier"] or is_identifier_key(subject):
                direct = sorted(str(c) for c in row["direct_ids"] or [] if c)
                via = sorted(str(c) for c in row["via_ids"] or [] if c)
                if direct:
                    targets += [(result.customers, c) for c in direct]
                elif len(via) == 1:
                    targets.append((result.customers, via[0]))
                else:
                    targets.append((result.identifiers, subject))
            if row["customer_id"] is not None:
                targets.append((result.customers, str(row["customer_id"])))
                if row["merged_into"]:
                    targets.append((result.customers, str(row["merged_into"])))
            for table, who in targets:
                if newer(consent, table.get(who)):
                    table[who] = consent
        return result
