"""The ingestion side of privacy: consent decisions in, suppressed and untied identifiers out.

Before a chunk of logged events is applied to the graph (`IngestPipeline._apply`, so fresh
batches and crash recovery alike):
1. its consent events are recorded (`ConsentService.record`, audited; a consent event that
   carries a suppressed identifier is not);
2. for every identifier key of the chunk: is it **suppressed** (erased: on the suppression
   list, read for every chunk) or **withdrawn** (its person's effective analytics consent is
   withdrawn: `privacy.consent_gate.AnalyticsGate`, which caches who belongs to whom for
   30 s and each person's latest decision until consent changes);
3. when any key is either, the chunk's events are read back from the event log and
   re-aggregated: an event carrying a suppressed key is dropped entirely (and deleted from
   the event log: a late event of an erased person is kept nowhere); withdrawn keys
   are removed from the others, so the event is anchored on what remains (an anonymous
   cookie not tied to that person still counts for the item), and an event with nothing
   left is dropped. Nothing ties the remaining identifiers to the withdrawn ones
   (no SEEN_WITH). Counted in `cg_privacy_gate_total{kind, outcome}`.
Consent decided within a chunk applies to that whole chunk (it is recorded first).

Records: a record carrying a suppressed identifier key (or whose own key is suppressed) is
dropped before the upsert and answered `suppressed` (no dead letter: its payload is not
kept anywhere); the consents of records written are recorded for their identifiers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable, Sequence

from prometheus_client import Counter

from graph.port import GraphStore
from ingestion.aggregates import EventAggregator
from ingestion.consent_events import ACTOR, event_decisions, record_decisions
from ingestion.event_log import EventLog
from ingestion.event_prepare import Chunk
from ingestion.events import ANCHOR_ORDER, Identities, LoggedEvent
from ingestion.records import SourceRecord
from ingestion.results import BatchResult, ItemResult, ItemStatus
from privacy.consent import ANALYTICS
from privacy.consent_gate import AnalyticsGate
from privacy.consent_store import ConsentService, GateState
from privacy.suppression import SuppressionList

log = logging.getLogger(__name__)
GATE = Counter(
    "cg_privacy_gate_total",
    "Messages changed by the privacy gate: events or records dropped for a suppressed "
    "identifier (suppressed), events with identifiers removed for withdrawn analytics consent "
    "(untied), events with no identifier left (dropped).",
    ["kind", "outcome"],
)
SUPPRESSED_REASON = "carries a suppressed (erased) identifier"
ANCHOR_TYPES = tuple(str(t) for t in ANCHOR_ORDER)


@dataclasses.dataclass
class GateCounts:
    """What the gate did to one chunk of events."""

    suppressed: int = 0
    untied: int = 0
    dropped: int = 0


def written_keys(chunk: Chunk) -> set[str]:
    """The identifier keys a chunk writes interactions or SEEN_WITH pairs for."""
    keys = {row["id_key"] for row in chunk.interactions}
    for row in chunk.pairs:
        keys.add(row["a_key"])
        keys.add(row["b_key"])
    return keys


def screen(events: Iterable[LoggedEvent], state: GateState) -> tuple[list[LoggedEvent], GateCounts]:
    """The events that may be applied, with withdrawn identifiers removed."""
    kept: list[LoggedEvent] = []
    counts = GateCounts()
    suppressed, withdrawn = state.suppressed, state.withdrawn
    for event in events:
        identifiers = event.identifiers
        if any(i.key in suppressed for i in identifiers):
            counts.suppressed += 1
            continue
        remaining = tuple(i for i in identifiers if i.key not in withdrawn)
        if len(remaining) == len(identifiers):
            kept.append(event)
        elif remaining:
            counts.untied += 1
            kept.append(dataclasses.replace(event, ids=Identities.of(remaining)))
        else:
            counts.dropped += 1
    return kept, counts


def rebuild(chunk: Chunk, events: Sequence[LoggedEvent]) -> Chunk:
    """The chunk's aggregates recomputed from all its (screened) events."""
    aggregator = EventAggregator()
    for event in events:
        aggregator.add(event)
    return Chunk(
        chunk.first_seq, chunk.last_seq, aggregator.interaction_rows(), aggregator.seen_with_rows()
    )


def anchor_key(keys: Sequence[str]) -> str | None:
    """The key an event's interactions are anchored on (`Identities.anchor`), from its keys."""
    by_type = {key.partition(":")[0]: key for key in keys}
    return next((by_type[t] for t in ANCHOR_TYPES if t in by_type), None)


def sort_carried(
    carried: Iterable[tuple[int, list[str], str]], state: GateState
) -> tuple[list[LoggedEvent], GateCounts]:
    """Count what the gate does to the events carrying an untied key, and parse (screened)
    only those whose anchor is withdrawn: the rest need no new interaction row."""
    counts = GateCounts()
    moved: list[LoggedEvent] = []
    suppressed, withdrawn = state.suppressed, state.withdrawn
    for seq, keys, body in carried:
        if not suppressed.isdisjoint(keys):
            counts.suppressed += 1
        elif all(k in withdrawn for k in keys):
            counts.dropped += 1
        else:
            counts.untied += 1
            if anchor_key(keys) in withdrawn:
                event = LoggedEvent.from_json(body, seq)
                remaining = tuple(i for i in event.identifiers if i.key not in withdrawn)
                moved.append(dataclasses.replace(event, ids=Identities.of(remaining)))
    return moved, counts


def untie(chunk: Chunk, withdrawn: frozenset[str], moved: Sequence[LoggedEvent]) -> Chunk:
    """The chunk without withdrawn identifiers, from its aggregates and the events that were
    anchored on a withdrawn key (`moved`: without their withdrawn identifiers). Exact,
    because every event behind an interaction row anchored on a withdrawn key carries that
    key: those rows are dropped and the moved events re-anchored and merged in; an event
    whose anchor is not withdrawn keeps its row as it was; a pair with a withdrawn key is
    dropped whole (every event behind it carries the key)."""
    rows = {
        (r["id_key"], r["item_id"], r["type"]): r
        for r in chunk.interactions
        if r["id_key"] not in withdrawn
    }
    aggregator = EventAggregator()
    for event in moved:
        aggregator.add(event)
    for new in aggregator.interaction_rows():
        group = (new["id_key"], new["item_id"], new["type"])
        old = rows.get(group)
        if old is None:
            rows[group] = new
        else:
            rows[group] = {
                **old,
                "count": old["count"] + new["count"],
                "weight": old["weight"] + new["weight"],
                "first_at": min(old["first_at"], new["first_at"]),
                "last_at": max(old["last_at"], new["last_at"]),
            }
    pairs = [p for p in chunk.pairs if p["a_key"] not in withdrawn and p["b_key"] not in withdrawn]
    return Chunk(chunk.first_seq, chunk.last_seq, list(rows.values()), pairs)


class PrivacyGate:
    """Consent recording and the suppression / analytics gate for one pipeline."""

    def __init__(
        self,
        store: GraphStore,
        event_log: EventLog,
        consent: ConsentService | None = None,
        suppression: SuppressionList | None = None,
    ) -> None:
        self.log = event_log
        self.consent = consent if consent is not None else ConsentService(store)
        self.suppression = suppression if suppression is not None else SuppressionList(store)
        self.analytics = AnalyticsGate(self.consent, ANALYTICS)
        self.suppressed_events: set[str] = set()  # ids dropped since `report` last ran

    # --- events -------------------------------------------------------------------------
    async def events(self, chunk: Chunk) -> Chunk:
        """The chunk as it may be applied (itself when nothing in it is gated)."""
        written = written_keys(chunk)
        every = written.union(chunk.keys, *(row["keys"] for row in chunk.consents))
        suppressed = frozenset(await self.suppression.suppressed(every))
        if chunk.consents:
            rows = [row for row in chunk.consents if suppressed.isdisjoint(row["keys"])]
            await self.analytics.record(event_decisions(rows), ACTOR, "consent event")
        state = await self.analytics.state(written, suppressed)
        if not state.untied:
            self._forget_pairs(chunk)
            return chunk
        carried = await asyncio.to_thread(
            self.log.carrying, chunk.first_seq, chunk.last_seq, state.untied
        )
        moved, counts = sort_carried(carried, state)
        for outcome in ("suppressed", "untied", "dropped"):
            if n := getattr(counts, outcome):
                GATE.labels("event", outcome).inc(n)
        if not counts.suppressed:
            return self._forget_pairs(untie(chunk, state.withdrawn, moved))
        # Rare (a late event of an erased person): rebuild from every event of the chunk,
        # and keep the suppressed ones nowhere (erasure purged the log before they came).
        count = chunk.last_seq - chunk.first_seq + 1
        logged = await asyncio.to_thread(self.log.since, chunk.first_seq - 1, count)
        events, _ = screen([e for e in logged if e.seq <= chunk.last_seq], state)
        found = sorted({k for _, ids, _ in carried for k in ids} & state.suppressed)
        erased = await asyncio.to_thread(self.log.erase_identifiers, found)
        self.suppressed_events.update(
            e.event_id for e in logged if not state.suppressed.isdisjoint(e.ids.keys.split())
        )
        log.info(
            "events %d..%d: %d dropped for a suppressed identifier (%d purged from the log)",
            chunk.first_seq,
            chunk.last_seq,
            counts.suppressed,
            erased,
        )
        return self._forget_pairs(rebuild(chunk, events))

    def _forget_pairs(self, chunk: Chunk) -> Chunk:
        """Identifiers seen together now may belong to someone new (a cookie signing in)."""
        self.analytics.seen_together((row["a_key"], row["b_key"]) for row in chunk.pairs)
        return chunk

    def report(self, result: BatchResult) -> None:
        """Answer `suppressed` for the events of `result` that were dropped when applied."""
        if not self.suppressed_events:
            return
        for n, item in enumerate(result.items):
            if item.status is ItemStatus.ACCEPTED and item.id in self.suppressed_events:
                result.items[n] = ItemResult(
                    item.index, ItemStatus.SUPPRESSED, None, None, SUPPRESSED_REASON
                )
        self.suppressed_events.clear()

    # --- records ------------------------------------------------------------------------
    async def screen_records(
        self,
        newest: dict[str, tuple[int, SourceRecord]],
        results: list[ItemResult | None],
    ) -> None:
        """Drop (from `newest`) the records carrying a suppressed key; answer them
        `suppressed`."""
        keys = {k for k in newest}
        keys.update(i.key for _, item in newest.values() for i in item.identifiers)
        if not keys:
            return
        blocked = await self.suppression.suppressed(keys)
        if not blocked:
            return
        for key, (index, item) in list(newest.items()):
            if key in blocked or any(i.key in blocked for i in item.identifiers):
                del newest[key]
                results[index] = ItemResult(
                    index, ItemStatus.SUPPRESSED, None, None, SUPPRESSED_REASON
                )
                GATE.labels("record", "suppressed").inc()

    async def record_consents(self, written: Iterable[SourceRecord]) -> None:
        """Record the consents carried by records just written (for their identifiers)."""
        written = list(written)
        self.analytics.forget(i.key for item in written for i in item.identifiers)
        decisions = record_decisions(written)
        if decisions:
            await self.analytics.record(decisions, ACTOR, "source record")
