"""Data steward operations: review queue, approve, reject, split, undo; all audited."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from identity import graph_reads
from identity.audit import Snapshot, entry, now_ms, pair_id, split_pair_id
from identity.graph_writes import IdentityChanges, write_changes
from identity.links import pair
from identity.reclustering import LinkExplanation, customer_links, explain, recluster_moves
from identity.records import NOT_SHOWN_TO_STEWARDS
from identity.service import IdentityService
from identity.stable_ids import new_customer_id

REVERSIBLE = {
    "match.approved",
    "match.rejected",
    "customer.split_by_steward",
    "customer.merged",
    "customer.split",
    "steward.undo",
}


class StewardError(ValueError):
    """An operation a steward asked for cannot be done; the message says why."""


class ReviewItem(BaseModel):
    """A pair waiting for a decision, with the evidence and both records side by side."""

    left_key: str
    right_key: str
    probability: float | None
    match_weight: float | None
    status: str
    evidence: dict[str, Any]
    left: dict[str, Any]
    right: dict[str, Any]


class OperationResult(BaseModel):
    """What an operation changed; `audit_id` undoes it."""

    audit_id: str
    action: str
    moved: dict[str, str]
    customers: list[str]


class StewardService:
    """Steward operations over the identity service's store and configuration."""

    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.store = identity.store

    async def queue(
        self,
        status: str = "pending",
        limit: int = 50,
        offset: int = 0,
        min_probability: float | None = None,
        max_probability: float | None = None,
    ) -> list[ReviewItem]:
        """Pairs with a status (pending by default), most uncertain first."""
        rows = await self.store.read(
            "matches/list_candidates",
            {
                "status": status,
                "min_probability": min_probability,
                "max_probability": max_probability,
                "skip": offset,
                "limit": limit,
            },
        )
        keys = sorted({r["left_key"] for r in rows} | {r["right_key"] for r in rows})
        records = {r.key: r for r in await graph_reads.records_by_keys(self.store, keys)}

        def side(key: str) -> dict[str, Any]:
            record = records.get(key)
            if record is None:
                return {"key": key}
            shown = {k: v for k, v in record.attrs.items() if k not in NOT_SHOWN_TO_STEWARDS}
            return {"key": key, "source": record.source, "customer_id": record.customer_id, **shown}

        return [
            ReviewItem(
                left_key=r["left_key"],
                right_key=r["right_key"],
                probability=r["probability"],
                match_weight=r["match_weight"],
                status=r["status"],
                evidence=json.loads(r["evidence"] or "{}"),
                left=side(r["left_key"]),
                right=side(r["right_key"]),
            )
            for r in rows
        ]

    async def approve(self, left: str, right: str, actor: str, reason: str = "") -> OperationResult:
        """Same person: the two records' customers merge (the larger keeps its id)."""
        async with self.identity.lock:
            records = await self._records([left, right])
            a, b = records[left].customer_id, records[right].customer_id
            moves: dict[str, str] = {}
            if a and b and a != b:
                members = await graph_reads.customer_records(self.store, [a, b])
                _, rejected = await graph_reads.decided_pairs(self.store, members[a] + members[b])
                crossing = [p for p in rejected if (p[0] in members[a]) != (p[1] in members[a])]
                if crossing:
                    raise StewardError(
                        f"cannot approve: {crossing[0][0]} and {crossing[0][1]} were rejected "
                        "as different people; undo that decision first"
                    )
                keep, move = (a, b) if (len(members[a]), b) >= (len(members[b]), a) else (b, a)
                moves = dict.fromkeys(members[move], keep)
            return await self._apply(
                "match.approved",
                "match",
                pair_id(left, right),
                actor,
                reason,
                moves,
                {pair(left, right): "approved"},
            )

    async def reject(self, left: str, right: str, actor: str, reason: str = "") -> OperationResult:
        """Not the same person: never merged again; a customer holding both is re-clustered."""
        async with self.identity.lock:
            records = await self._records([left, right])
            moves: dict[str, str] = {}
            cid = records[left].customer_id
            if cid and cid == records[right].customer_id:
                moves = await recluster_moves(self.identity, cid, {pair(left, right)})
            return await self._apply(
                "match.rejected",
                "match",
                pair_id(left, right),
                actor,
                reason,
                moves,
                {pair(left, right): "rejected"},
            )

    async def split(
        self, customer_id: str, record_keys: Sequence[str], actor: str, reason: str = ""
    ) -> OperationResult:
        """Move some of a customer's records to a new customer, for good: every pair across
        the split becomes cannot-link."""
        async with self.identity.lock:
            members = (await graph_reads.customer_records(self.store, [customer_id])).get(
                customer_id, []
            )
            part, rest = set(record_keys), [k for k in members if k not in set(record_keys)]
            if not part or not part <= set(members):
                raise StewardError(f"record_keys: must be records of customer {customer_id}")
            if not rest:
                raise StewardError("record_keys: must leave at least one record behind")
            target = new_customer_id()
            decisions = {pair(a, b): "rejected" for a in sorted(part) for b in rest}
            return await self._apply(
                "customer.split_by_steward",
                "customer",
                customer_id,
                actor,
                reason,
                dict.fromkeys(sorted(part), target),
                decisions,
            )

    async def undo(self, audit_id: str, actor: str, reason: str = "") -> OperationResult:
        """Restore the state before an operation (approve, reject, split, merge, undo).
        Undoing an automatic merge also marks the merged groups as cannot-link."""
        async with self.identity.lock:
            rows = await self.store.read("audit/get_entry", {"id": audit_id})
            if not rows:
                raise StewardError(f"audit_id: no audit entry {audit_id!r}")
            found = rows[0]
            if found["action"] not in REVERSIBLE:
                raise StewardError(f"audit_id: a {found['action']} entry cannot be undone")
            before = Snapshot.from_json(found["before"])
            moves = {k: c for k, c in before.assignments.items() if c is not None}
            decisions = {split_pair_id(p): s or "retracted" for p, s in before.pairs.items()}
            if found["action"] == "customer.merged":
                groups: dict[str, list[str]] = {}
                for key, cid in moves.items():
                    groups.setdefault(cid, []).append(key)
                parts = list(groups.values())
                for i, first in enumerate(parts):
                    for second in parts[i + 1 :]:
                        decisions.update({pair(a, b): "rejected" for a in first for b in second})
            return await self._apply(
                "steward.undo",
                found["subject_type"],
                found["subject_id"],
                actor,
                reason or f"undo {audit_id}",
                moves,
                decisions,
            )

    async def explain(self, customer_id: str) -> list[LinkExplanation]:
        """Why a customer's records belong together: shared identifiers, model matches with
        their evidence, steward approvals (recomputed with the current model and rules)."""
        return explain(await customer_links(self.identity, customer_id))

    async def recent(self, action: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The newest audit entries, optionally of one action (e.g. `customer.merged`)."""
        return await self.store.read("audit/list_recent", {"action": action, "limit": limit})

    async def history(self, subject_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Audit entries of a customer or pair, newest first."""
        return await self.store.read(
            "audit/list_for_subject", {"subject_id": subject_id, "limit": limit}
        )

    # --- internals -----------------------------------------------------------------------
    async def _records(self, keys: Sequence[str]) -> dict[str, Any]:
        found = {r.key: r for r in await graph_reads.records_by_keys(self.store, keys)}
        for key in keys:
            if key not in found:
                raise StewardError(f"record key {key!r}: no such record")
        return found

    async def _apply(
        self,
        action: str,
        subject_type: str,
        subject_id: str,
        actor: str,
        reason: str,
        moves: Mapping[str, str],
        decisions: Mapping[tuple[str, str], str],
    ) -> OperationResult:
        current = {r.key: r for r in await graph_reads.records_by_keys(self.store, list(moves))}
        moves = {k: c for k, c in moves.items() if k in current and current[k].customer_id != c}
        touched = {c for c in moves.values()} | {
            c for c in (current[k].customer_id for k in moves) if c is not None
        }
        members = await graph_reads.customer_records(self.store, sorted(touched))
        membership: dict[str, set[str]] = {c: set(members.get(c, [])) for c in touched}
        for key, cid in moves.items():
            old = current[key].customer_id
            if old is not None:
                membership[old].discard(key)
            membership[cid].add(key)
        all_keys = sorted({k for ks in membership.values() for k in ks})
        records = {r.key: r for r in await graph_reads.records_by_keys(self.store, all_keys)}
        statuses = await self._pair_statuses(list(decisions))
        at = now_ms()
        before = Snapshot(
            {k: current[k].customer_id for k in moves},
            {pair_id(*p): statuses.get(p) for p in decisions},
        )
        after = Snapshot(dict(moves), {pair_id(*p): s for p, s in decisions.items()})
        audit = entry(
            action,
            actor,
            subject_type,
            subject_id,
            reason=reason,
            before=before.to_json(),
            after=after.to_json(),
            at=at,
        )
        changes = IdentityChanges(
            customers={c: [records[k] for k in sorted(ks)] for c, ks in membership.items() if ks},
            assignments=dict(moves),
            retired={c: _destination(c, moves, current) for c, ks in membership.items() if not ks},
            decisions=[
                {
                    "left_key": a,
                    "right_key": b,
                    "status": s,
                    "decided_by": actor,
                    "reason": reason,
                    "at": at,
                }
                for (a, b), s in decisions.items()
            ],
            audit=[audit],
        )
        await write_changes(self.store, changes, self.identity.survivorship, at)
        return OperationResult(
            audit_id=audit.id,
            action=action,
            moved=dict(moves),
            customers=sorted(c for c, ks in membership.items() if ks),
        )

    async def _pair_statuses(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if not pairs:
            return {}
        rows = await self.store.read(
            "matches/pair_statuses", {"pairs": [{"left_key": a, "right_key": b} for a, b in pairs]}
        )
        return {(r["left_key"], r["right_key"]): r["status"] for r in rows}


def _destination(cid: str, moves: Mapping[str, str], current: Mapping[str, Any]) -> str | None:
    """Where most of a now-empty customer's records went."""
    counts: dict[str, int] = {}
    for key, target in moves.items():
        if current[key].customer_id == cid:
            counts[target] = counts.get(target, 0) + 1
    return max(counts, key=lambda c: (counts[c], c)) if counts else None
