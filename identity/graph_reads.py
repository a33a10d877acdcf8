"""Reading what identity resolution needs from the graph."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.port import GraphStore
from identity.links import pair
from identity.records import MatchRecord

PAGE = 5000


async def iter_records(store: GraphStore, page: int = PAGE) -> AsyncIterator[list[MatchRecord]]:
    """Every record, a page at a time, in key order (a record written meanwhile may be seen
    twice or missed: callers hold the identity lock, and new records resolve incrementally)."""
    skip = 0
    while True:
        rows = await store.read("identity/records_page", {"skip": skip, "limit": page})
        yield [MatchRecord.from_row(row) for row in rows]
        if len(rows) < page:
            return
        skip += page


async def all_records(store: GraphStore) -> list[MatchRecord]:
    """Every record in the graph."""
    found: dict[str, MatchRecord] = {}
    async for batch in iter_records(store):
        found.update((record.key, record) for record in batch)
    return list(found.values())


async def records_by_keys(store: GraphStore, keys: Sequence[str]) -> list[MatchRecord]:
    """The records with these keys (missing keys are left out)."""
    if not keys:
        return []
    rows = await store.read("identity/records_by_keys", {"keys": list(keys)})
    return [MatchRecord.from_row(row) for row in rows]


async def decided_pairs(
    store: GraphStore, keys: Sequence[str] | None = None
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Steward decisions as (approved, rejected) sets of canonical pairs; all of them, or
    only those touching `keys`."""
    if keys is None:
        rows = await store.read("matches/decided_pairs")
    else:
        rows = await store.read("matches/decided_pairs_of", {"keys": list(keys)})
    approved: set[tuple[str, str]] = set()
    rejected: set[tuple[str, str]] = set()
    for row in rows:
        target = approved if row["status"] == "approved" else rejected
        target.add(pair(row["left_key"], row["right_key"]))
    return approved, rejected


async def customer_records(store: GraphStore, ids: Sequence[str]) -> dict[str, list[str]]:
    """Record keys of each customer."""
    if not ids:
        return {}
    rows = await store.read("identity/customer_records", {"ids": sorted(set(ids))})
    return {row["customer_id"]: list(row["record_keys"]) for row in rows}


async def assignments(store: GraphStore) -> dict[str, str]:
    """Record key -> customer id, for every assigned record."""
    rows = await store.read("identity/assignments")
    return {row["record_key"]: row["customer_id"] for row in rows}


async def identifier_record_counts(store: GraphStore, keys: Sequence[str]) -> dict[str, int]:
    """How many records hold each identifier."""
    if not keys:
        return {}
    rows = await store.read("identity/identifier_record_counts", {"keys": sorted(set(keys))})
    return {row["key"]: int(row["records"]) for row in rows}


async def candidate_records(store: GraphStore, params: Mapping[str, Any]) -> list[MatchRecord]:
    """Blocked candidates of one record with their identifiers and customer, in key order
    (params of identity/candidate_records: the record's key and blocking values)."""
    rows = await store.read("identity/candidate_records", params)
    unique = {row["key"]: row for row in rows}  # the backends' UNION may repeat a record
    return [MatchRecord.from_row(unique[key]) for key in sorted(unique)]


@dataclass(frozen=True)
class Neighbourhood:
    """The records clustering around one record needs, and the steward decisions on them."""

    records: list[MatchRecord]
    approved: set[tuple[str, str]]
    rejected: set[tuple[str, str]]

    def members(self, customer_ids: Iterable[str]) -> dict[str, list[str]]:
        """Record keys of each of these customers, in key order."""
        wanted = set(customer_ids)
        found: dict[str, list[str]] = {}
        for record in sorted(self.records, key=lambda r: r.key):
            if record.customer_id in wanted:
                found.setdefault(record.customer_id, []).append(record.key)
        return found


async def neighbourhood(
    store: GraphStore, customer_ids: Sequence[str], keys: Sequence[str]
) -> Neighbourhood:
    """Every record of these customers and these records, with the decisions touching them."""
    rows = await store.read(
        "identity/cluster_records", {"ids": sorted(set(customer_ids)), "keys": sorted(set(keys))}
    )
    approved: set[tuple[str, str]] = set()
    rejected: set[tuple[str, str]] = set()
    unique = {row["key"]: row for row in rows}
    for key, row in unique.items():
        for decision in row.get("decisions") or ():
            if decision.get("key") is not None:
                target = approved if decision["status"] == "approved" else rejected
                target.add(pair(key, decision["key"]))
    records = [MatchRecord.from_row(unique[key]) for key in sorted(unique)]
    return Neighbourhood(records, approved, rejected)
