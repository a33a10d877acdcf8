"""Per-request DataLoaders: one store call per batch of keys, never one per row.

A resolver asks its loader for one key; strawberry's DataLoader gathers every key asked for
in the same tick and calls the batch function once, so listing ten customers' records is one
`records/by_customers` read, and their identifiers one `identifiers/by_records` read (their
segments one `SegmentService.segments_of` call: `segments/segments_of_customers`). The
loaders cache for the request only (a new `Loaders` per request: no stale or cross-caller
data).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph.port import GraphStore, Row
from segments.service import Membership, SegmentService

T = TypeVar("T")


@dataclass(frozen=True)
class IdentifierRow:
    """An identifier as stored: key (`type:value`), type and value (hashed for email/phone)."""

    key: str
    type: str
    value: str


@dataclass(frozen=True)
class ItemInteraction:
    """One identifier's aggregate of one interaction type with one item."""

    identifier_key: str
    item_id: str
    type: str
    count: int
    weight: float
    first_at: int
    last_at: int


def _grouped(
    query: str,
    param: str,
    key_column: str,
    make: Callable[[Row], T],
    store: GraphStore,
) -> Callable[[list[str]], Awaitable[list[list[T]]]]:
    """A batch function: one read for all keys, rows grouped back per key (in row order)."""

    async def load(keys: list[str]) -> list[list[T]]:
        groups: dict[str, list[T]] = defaultdict(list)
        for row in await store.read(query, {param: list(keys)}):
            groups[str(row[key_column])].append(make(row))
        return [groups.get(key, []) for key in keys]

    return load


# An interaction's columns, in the order of the customer view's positional entries.
INTERACTION_COLUMNS = ("id_key", "item_id", "type", "count", "first_at", "last_at", "weight")


def _identifier(row: Row) -> IdentifierRow:
    return IdentifierRow(str(row["key"]), str(row["type"]), str(row["value"]))


def interaction_from(entry: Sequence[Any]) -> ItemInteraction:
    """An interaction from its values in `INTERACTION_COLUMNS` order."""
    key, item, kind, count, first_at, last_at, weight = entry
    return ItemInteraction(
        identifier_key=str(key),
        item_id=str(item),
        type=str(kind),
        count=int(count or 0),
        weight=float(weight or 0.0),
        first_at=int(first_at or 0),
        last_at=int(last_at or 0),
    )


def interaction_of(row: Row) -> ItemInteraction:
    """An interaction from its row (`interactions/by_identifiers` columns)."""
    return interaction_from([row[column] for column in INTERACTION_COLUMNS])


class Loaders:
    """The DataLoaders of one request, over the app's graph store (and its segment service;
    one over the same store when none is given)."""

    def __init__(self, store: GraphStore, segments: SegmentService | None = None) -> None:
        self.store = store
        self.segment_service = segments if segments is not None else SegmentService(store)
        self.customers: DataLoader[str, dict[str, Any] | None] = DataLoader(self._customers)
        self.records: DataLoader[str, list[dict[str, Any]]] = DataLoader(
            _grouped("records/by_customers", "ids", "customer_id", _record, store)
        )
        self.identifiers: DataLoader[str, list[IdentifierRow]] = DataLoader(
            _grouped("identifiers/by_records", "keys", "record_key", _identifier, store)
        )
        self.seen_with: DataLoader[str, list[IdentifierRow]] = DataLoader(
            _grouped("identifiers/seen_with_customers", "ids", "customer_id", _identifier, store)
        )
        self.interactions: DataLoader[str, list[ItemInteraction]] = DataLoader(
            _grouped("interactions/by_identifiers", "keys", "id_key", interaction_of, store)
        )
        self.items: DataLoader[str, dict[str, Any] | None] = DataLoader(self._items)
        self.segments: DataLoader[str, list[Membership]] = DataLoader(self._segments)
        self._changed: dict[int, DataLoader[str, list[ItemInteraction]]] = {}
        self._pooled: dict[str, list[ItemInteraction]] = {}

    def prime_interactions(self, by_key: dict[str, list[ItemInteraction]]) -> None:
        """Every interaction of these identifiers, read with a customer's view: later loads
        (and `changed_since` over them) need no read."""
        self.interactions.prime_many(by_key)
        self._pooled.update(by_key)

    async def _customers(self, ids: list[str]) -> list[dict[str, Any] | None]:
        rows = await self.store.read("customers/get_customers", {"ids": list(ids)})
        found = {str(row["id"]): dict(row["customer"]) for row in rows}
        return [found.get(i) for i in ids]

    async def _items(self, ids: list[str]) -> list[dict[str, Any] | None]:
        rows = await self.store.read("items/get_items", {"ids": list(ids)})
        found = {str(row["id"]): dict(row) for row in rows}
        return [found.get(i) for i in ids]

    async def _segments(self, ids: list[str]) -> list[list[Membership]]:
        found = await self.segment_service.segments_of(ids)
        return [found.get(i, []) for i in ids]

    async def customer_identifiers(self, customer_id: str) -> list[IdentifierRow]:
        """Every identifier of a customer: its records' (in record order), then those seen
        with them that lead to this customer only; each once."""
        records = await self.records.load(customer_id)
        per_record = await self.identifiers.load_many([str(r["key"]) for r in records])
        seen = await self.seen_with.load(customer_id)
        unique: dict[str, IdentifierRow] = {}
        for identifier in [i for group in per_record for i in group] + list(seen):
            unique.setdefault(identifier.key, identifier)
        return list(unique.values())

    async def changed_since(self, keys: Sequence[str], since: int) -> list[ItemInteraction]:
        """The interactions of several identifiers changed after `since` (epoch ms), one
        batch per distinct `since` (in practice: the served model's data time); none when
        all their interactions were read with the customer's view already."""
        if all(key in self._pooled for key in keys):
            return [row for key in keys for row in self._pooled[key] if row.last_at > since]
        loader = self._changed.get(since)
        if loader is None:

            async def load(batch: list[str]) -> list[list[ItemInteraction]]:
                groups: dict[str, list[ItemInteraction]] = defaultdict(list)
                params = {"keys": list(batch), "since": since}
                for row in await self.store.read("interactions/changed_since", params):
                    groups[str(row["id_key"])].append(interaction_of(row))
                return [groups.get(key, []) for key in batch]

            loader = self._changed[since] = DataLoader(load)
        groups = await loader.load_many(list(keys))
        return [row for group in groups for row in group]

    async def interactions_of(self, keys: Sequence[str]) -> list[ItemInteraction]:
        """The item interactions of several identifiers, one batch."""
        groups = await self.interactions.load_many(list(keys))
        return [row for group in groups for row in group]


def _record(row: Row) -> dict[str, Any]:
    return dict(row["record"])
