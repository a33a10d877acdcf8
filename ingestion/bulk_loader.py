"""Load a folder of batch files (records, items, events) into the graph, idempotently.

Interaction and co-occurrence aggregates are computed over the whole events file and
written as absolute values, so loading the same folder twice changes nothing. Streaming
ingestion (event log, dead letters, Kafka) builds on the same queries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.model import DEFAULT_WEIGHTS, Identifier, IdentifierType, InteractionType
from graph.port import GraphStore, WriteSummary
from ingestion.file_readers import (
    ParsedEvent,
    Rejection,
    read_events,
    read_items,
    read_records,
)
from ingestion.pseudonymise import Pseudonymiser

Progress = Callable[[str, int, int], None]
# The identifier an interaction is attached to: the most stable one the event carries.
ANCHOR_ORDER = (
    IdentifierType.LOGIN,
    IdentifierType.DEVICE,
    IdentifierType.COOKIE,
    IdentifierType.EMAIL,
    IdentifierType.PHONE,
)


@dataclass
class LoadReport:
    """What a load read, wrote and rejected."""

    records: int = 0
    identifier_links: int = 0
    items: int = 0
    events: int = 0
    interactions: int = 0
    seen_with: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    written: WriteSummary = field(default_factory=WriteSummary)


@dataclass
class _Aggregate:
    count: int
    first_at: int
    last_at: int
    weight: float = 0.0

    def add(self, at: int, weight: float) -> None:
        self.count += 1
        self.first_at = min(self.first_at, at)
        self.last_at = max(self.last_at, at)
        self.weight += weight


def _anchor(identifiers: tuple[Identifier, ...]) -> Identifier | None:
    by_type = {i.type: i for i in identifiers}
    return next((by_type[t] for t in ANCHOR_ORDER if t in by_type), None)


class EventAggregator:
    """Folds events into per-(identifier, item, type) and per-identifier-pair aggregates."""

    def __init__(self, known_items: set[str]) -> None:
        self.known_items = known_items
        self.interactions: dict[tuple[Identifier, str, str], _Aggregate] = {}
        self.pairs: dict[tuple[Identifier, Identifier], _Aggregate] = {}
        self.seen_event_ids: set[str] = set()

    def add(self, event: ParsedEvent) -> Rejection | None:
        """Fold one event in; a duplicate event id is ignored (returns None)."""
        if event.event_id in self.seen_event_ids:
            return None
        self.seen_event_ids.add(event.event_id)
        ordered = sorted(event.identifiers, key=lambda i: i.key)
        for i, left in enumerate(ordered):
            for right in ordered[i + 1 :]:
                pair = self.pairs.setdefault((left, right), _Aggregate(0, event.occurred_at, 0))
                pair.add(event.occurred_at, 0.0)
        if event.type not in set(InteractionType) or event.item_id is None:
            return None
        if event.item_id not in self.known_items:
            return Rejection(
                event.source, event.line, "properties.item_id", f"unknown item {event.item_id}"
            )
        anchor = _anchor(event.identifiers)
        if anchor is None:
            return Rejection(event.source, event.line, "identifiers", "no usable identifier")
        key = (anchor, event.item_id, event.type)
        agg = self.interactions.setdefault(key, _Aggregate(0, event.occurred_at, 0))
        agg.add(event.occurred_at, DEFAULT_WEIGHTS[InteractionType(event.type)])
        return None

    def interaction_rows(self) -> list[dict[str, Any]]:
        """Rows for interactions/set_interactions."""
        return [
            {
                "id_key": ident.key,
                "id_type": str(ident.type),
                "id_value": ident.value,
                "item_id": item_id,
                "type": kind,
                "count": agg.count,
                "first_at": agg.first_at,
                "last_at": agg.last_at,
                "weight": agg.weight,
            }
            for (ident, item_id, kind), agg in self.interactions.items()
        ]

    def seen_with_rows(self) -> list[dict[str, Any]]:
        """Rows for identifiers/set_seen_with."""
        return [
            {
                "a_key": a.key,
                "a_type": str(a.type),
                "a_value": a.value,
                "b_key": b.key,
                "b_type": str(b.type),
                "b_value": b.value,
                "count": agg.count,
                "first_at": agg.first_at,
                "last_at": agg.last_at,
            }
            for (a, b), agg in self.pairs.items()
        ]


class BulkLoader:
    """Loads `items.csv`, `records.csv` and `events.jsonl` from one folder."""

    def __init__(
        self, store: GraphStore, pseudonymiser: Pseudonymiser, progress: Progress | None = None
    ) -> None:
        self.store = store
        self.pseudo = pseudonymiser
        self.progress = progress or (lambda stage, done, total: None)

    async def _write(self, query: str, rows: list[dict[str, Any]], stage: str) -> WriteSummary:
        total = WriteSummary()
        size = self.store.batch_size
        for start in range(0, len(rows), size):
            total = total + await self.store.write_batch(query, rows[start : start + size])
            self.progress(stage, min(start + size, len(rows)), len(rows))
        self.progress(stage, len(rows), len(rows))
        return total

    async def load(self, directory: Path) -> LoadReport:
        """Load every batch file in `directory`; rejected rows are reported, not fatal."""
        report = LoadReport()
        items, rejected = read_items(directory / "items.csv")
        report.rejected += rejected
        report.items = len(items)
        written = await self._write("items/upsert_items", [i.row() for i in items], "items")

        now = int(time.time() * 1000)
        records, rejected = read_records(directory / "records.csv", self.pseudo, now)
        report.rejected += rejected
        report.records = len(records)
        rows = [r.record.row() for r in records]
        written = written + await self._write("records/upsert_records", rows, "records")
        links = [
            {"record_key": r.record.key, **ident.row()} for r in records for ident in r.identifiers
        ]
        report.identifier_links = len(links)
        written = written + await self._write("records/link_identifiers", links, "identifiers")

        aggregator = EventAggregator({i.id for i in items})
        for parsed in read_events(directory / "events.jsonl", self.pseudo):
            if isinstance(parsed, Rejection):
                report.rejected.append(parsed)
                continue
            report.events += 1
            problem = aggregator.add(parsed)
            if problem is not None:
                report.rejected.append(problem)
        interactions = aggregator.interaction_rows()
        seen = aggregator.seen_with_rows()
        report.interactions, report.seen_with = len(interactions), len(seen)
        written = written + await self._write(
            "interactions/set_interactions", interactions, "interactions"
        )
        written = written + await self._write("identifiers/set_seen_with", seen, "seen_with")
        report.written = written
        return report
