"""Turning a resolution outcome (clusters with ids) into graph changes and audit entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from identity.audit import Snapshot, entry
from identity.graph_writes import IdentityChanges
from identity.records import MatchRecord
from identity.stable_ids import IdAssignment


def changes_for(
    clusters: Sequence[set[str]],
    ids: IdAssignment,
    records: Mapping[str, MatchRecord],
    actor: str,
    reason: str,
    at: int,
    only_changed: bool = False,
) -> IdentityChanges:
    """Customers to (re)write, moved records, retired ids, and one audit entry per merge
    and split, each with the before/after memberships that make it reversible."""
    changes = IdentityChanges()
    for cid, members in zip(ids.ids, clusters, strict=True):
        moved = [k for k in members if records[k].customer_id != cid]
        if only_changed and not moved:
            continue
        changes.customers[cid] = [records[k] for k in sorted(members)]
        changes.assignments.update({k: cid for k in moved})
    changes.retired.update(ids.retired)
    for merge in ids.merges:
        keys = [k for keys in merge.from_customers.values() for k in keys]
        changes.audit.append(
            entry(
                "customer.merged",
                actor,
                "customer",
                merge.customer_id,
                reason=reason,
                before=Snapshot({k: records[k].customer_id for k in keys}).to_json(),
                after=Snapshot(dict.fromkeys(keys, merge.customer_id)).to_json(),
                at=at,
            )
        )
    for split in ids.splits:
        keys = [k for keys in split.into.values() for k in keys]
        after = {k: cid for cid, keys in split.into.items() for k in keys}
        changes.audit.append(
            entry(
                "customer.split",
                actor,
                "customer",
                split.customer_id,
                reason=reason,
                before=Snapshot(dict.fromkeys(keys, split.customer_id)).to_json(),
                after=Snapshot(dict(after)).to_json(),
                at=at,
            )
        )
    for old, into in ids.retired.items():
        changes.audit.append(
            entry(
                "customer.retired",
                actor,
                "customer",
                old,
                reason=f"all records moved to {into}" if into else "no records left",
                at=at,
            )
        )
    return changes
