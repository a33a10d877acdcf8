"""The ingestion pipeline: validate → normalise → pseudonymise → log → write to the graph.

Events: the event log keeps each event id once and numbers it; the graph holds, per log, the
last number applied (an `IngestCursor` node), written in the same transaction as the
aggregates. Applying is therefore exactly-once: after a crash anywhere, `recover()` (called
on every batch) applies whatever the log has beyond the cursor. Records are idempotent
upserts that never let an older version overwrite a newer one.
"""

from __future__ import annotations

import asyncio
import fcntl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from prometheus_client import Counter

from graph.errors import GraphError
from graph.port import GraphStore
from ingestion.aggregates import EventAggregator
from ingestion.dead_letters import DeadLetterStore, NewDeadLetter
from ingestion.event_log import EventLog
from ingestion.events import LoggedEvent, pseudonymise_event
from ingestion.parsing import Rejected, parse_event, parse_record, payload_bytes
from ingestion.pseudonymise import Pseudonymiser
from ingestion.records import SourceRecord, source_record
from ingestion.results import BatchResult, ItemResult, ItemStatus, RawMessage

MESSAGES = Counter(
    "cg_pipeline_messages_total", "Messages through the ingestion pipeline", ["kind", "status"]
)


@dataclass(frozen=True)
class PreparedEvents:
    """A validated, logged batch waiting to be applied to the graph."""

    result: BatchResult
    fresh: list[LoggedEvent]


class IngestPipeline:
    """Every entry point (Kafka, HTTP, files, dead-letter replay) goes through this."""

    def __init__(
        self,
        store: GraphStore,
        log: EventLog,
        dead_letters: DeadLetterStore,
        pseudonymiser: Pseudonymiser,
        *,
        max_message_bytes: int = 64 * 1024,
        apply_batch: int = 5000,
    ) -> None:
        self.store = store
        self.log = log
        self.dead_letters = dead_letters
        self.pseudo = pseudonymiser
        self.max_message_bytes = max_message_bytes
        self.apply_batch = apply_batch
        self._lock = asyncio.Lock()
        self._lock_path = Path(f"{log.path}.apply.lock")

    # --- events -------------------------------------------------------------------------
    async def ingest_events(
        self, messages: Sequence[RawMessage], record_rejections: bool = True
    ) -> BatchResult:
        """Validate, pseudonymise, log (deduplicated) and apply a batch of events."""
        # Parsing is CPU-bound: a worker thread keeps the event loop free for other requests.
        prepared = await asyncio.to_thread(self.prepare_events, messages, record_rejections)
        await self.apply_events(prepared)
        return prepared.result

    def prepare_events(
        self, messages: Sequence[RawMessage], record_rejections: bool = True
    ) -> PreparedEvents:
        """The CPU-bound half: validate, pseudonymise, append to the log, dead-letter the bad.

        Callers that stream may prepare the next batch while `apply_events` of the previous
        one is still running on the server; applying stays in log order either way.
        """
        results: list[ItemResult | None] = [None] * len(messages)
        rejected: list[tuple[int, Rejected]] = []
        valid: list[tuple[int, LoggedEvent]] = []
        for index, message in enumerate(messages):
            parsed = parse_event(message, self.max_message_bytes)
            if isinstance(parsed, Rejected):
                rejected.append((index, parsed))
                continue
            event = pseudonymise_event(parsed, self.pseudo)
            if not event.identifiers:
                rejected.append((index, Rejected("identifiers", "no usable identifier")))
                continue
            valid.append((index, event))
        fresh, _ = self.log.append([e for _, e in valid])
        logged = {id(e) for e in fresh}  # the log returns the very objects it took
        for index, event in valid:
            status = ItemStatus.ACCEPTED if id(event) in logged else ItemStatus.DUPLICATE
            results[index] = ItemResult(index, status, event.event_id)
        self._reject("event", messages, rejected, results, record_rejections)
        return PreparedEvents(self._finish("event", results), fresh)

    async def apply_events(self, prepared: PreparedEvents) -> None:
        """The graph half: apply everything logged but not yet applied, in log order."""
        async with self._apply_lock():
            await self._apply_pending(prepared.fresh)

    async def recover(self) -> int:
        """Apply events the log holds but the graph has not seen (after a crash)."""
        async with self._apply_lock():
            return await self._apply_pending([])

    async def _cursor(self) -> int:
        rows = await self.store.read("ingest/get_cursor", {"id": self.log.log_id})
        return int(rows[0]["seq"]) if rows else 0

    async def _apply_pending(self, fresh: list[LoggedEvent]) -> int:
        cursor, last = await self._cursor(), self.log.last_seq()
        if cursor >= last:
            return 0
        if fresh and fresh[0].seq == cursor + 1:
            await self._apply(fresh, cursor)  # the usual case: nothing left over from a crash
            return len(fresh)
        applied = 0
        while cursor < last:
            chunk = self.log.since(cursor, self.apply_batch)
            await self._apply(chunk, cursor)
            cursor, applied = chunk[-1].seq, applied + len(chunk)
        return applied

    async def _apply(self, events: Sequence[LoggedEvent], cursor: int) -> None:
        """Apply events chunk by chunk, each chunk as ONE statement that also moves the
        cursor (atomic on both backends): a chunk is applied completely once, or not at all,
        and a chunk re-sent after a lost reply changes nothing."""
        for start in range(0, len(events), self.apply_batch):
            chunk = events[start : start + self.apply_batch]
            aggregator = EventAggregator()
            for event in chunk:
                aggregator.add(event)
            params = {
                "cursor_id": self.log.log_id,
                "expected": cursor,
                "seq": chunk[-1].seq,
                "interactions": aggregator.interaction_rows(),
                "pairs": aggregator.seen_with_rows(),
            }
            result = await self.store.write("ingest/apply_events", params)
            if result.rows != [{"seq": chunk[-1].seq}]:
                now = await self._cursor()
                raise GraphError(
                    f"event log {self.log.log_id}: cursor was {now}, not {cursor}, when applying "
                    f"up to {chunk[-1].seq}; another writer moved it (nothing was applied)"
                )
            cursor = chunk[-1].seq

    def _apply_lock(self) -> _ApplyLock:
        return _ApplyLock(self._lock, self._lock_path)

    # --- records ------------------------------------------------------------------------
    async def ingest_records(
        self, messages: Sequence[RawMessage], record_rejections: bool = True
    ) -> BatchResult:
        """Validate, normalise, pseudonymise and upsert a batch of source records."""
        results: list[ItemResult | None] = [None] * len(messages)
        rejected: list[tuple[int, Rejected]] = []
        newest: dict[str, tuple[int, SourceRecord]] = {}
        now = int(time.time() * 1000)
        for index, message in enumerate(messages):
            parsed = parse_record(message, self.max_message_bytes)
            if isinstance(parsed, Rejected):
                rejected.append((index, parsed))
                continue
            item = source_record(parsed, self.pseudo, now)
            key = item.record.key
            previous = newest.get(key)
            if previous and previous[1].record.updated_at >= item.record.updated_at:
                results[index] = ItemResult(index, ItemStatus.DUPLICATE, key, None, "superseded")
                continue
            if previous:
                results[previous[0]] = ItemResult(
                    previous[0], ItemStatus.DUPLICATE, key, None, "superseded"
                )
            newest[key] = (index, item)
        # Dead letters first: a failing graph write below must not lose the rejections.
        self._reject("record", messages, rejected, results, record_rejections)
        written: set[str] = set()
        items = list(newest.values())
        for start in range(0, len(items), self.store.batch_size):
            chunk = [item.row() for _, item in items[start : start + self.store.batch_size]]
            result = await self.store.write("records/upsert_records", {"rows": chunk})
            written.update(str(row["key"]) for row in result.rows)
        for key, (index, _) in newest.items():
            if key in written:
                results[index] = ItemResult(index, ItemStatus.ACCEPTED, key)
            else:
                reason = "not newer than the stored version"
                results[index] = ItemResult(index, ItemStatus.DUPLICATE, key, None, reason)
        return self._finish("record", results)

    # --- shared -------------------------------------------------------------------------
    def _reject(
        self,
        kind: str,
        messages: Sequence[RawMessage],
        rejected: list[tuple[int, Rejected]],
        results: list[ItemResult | None],
        record: bool,
    ) -> None:
        letters = []
        for index, why in rejected:
            results[index] = ItemResult(index, ItemStatus.REJECTED, None, why.field, why.reason)
            payload = payload_bytes(messages[index].payload)
            letters.append(
                NewDeadLetter(kind, messages[index].origin, payload, why.field, why.reason)
            )
        if record:
            self.dead_letters.add(letters)

    @staticmethod
    def _finish(kind: str, results: list[ItemResult | None]) -> BatchResult:
        items = [r for r in results if r is not None]
        assert len(items) == len(results), "every message has a result"
        batch = BatchResult(items)
        for status, count in (
            ("accepted", batch.accepted),
            ("duplicate", batch.duplicates),
            ("rejected", batch.rejected),
        ):
            if count:
                MESSAGES.labels(kind, status).inc(count)
        return batch

    def close(self) -> None:
        """Close the event log and the dead-letter store."""
        self.log.close()
        self.dead_letters.close()


class _ApplyLock:
    """In-process asyncio lock + cross-process file lock around applying to the graph."""

    def __init__(self, lock: asyncio.Lock, path: Path) -> None:
        self._lock, self._path = lock, path
        self._handle: IO[str] | None = None

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        try:
            handle = open(self._path, "a")  # noqa: ASYNC230, SIM115 (lock file, held until exit)
            while True:  # non-blocking attempts: a cancelled wait leaves no lock behind
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.005)
        except BaseException:
            self._lock.release()
            raise
        self._handle = handle

    async def __aexit__(self, *exc: object) -> None:
        handle, self._handle = self._handle, None
        try:
            if handle is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
        finally:
            self._lock.release()
