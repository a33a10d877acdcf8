"""The ingestion pipeline: validate → normalise → pseudonymise → log → write to the graph.

Events: the event log keeps each event id once and numbers it; the graph holds, per log, the
last number applied (an `IngestCursor` node), written in the same transaction as the
aggregates. Applying is therefore exactly-once: after a crash anywhere, `recover()` (called
on every batch) applies whatever the log has beyond the cursor. Records are idempotent
upserts that never let an older version overwrite a newer one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from prometheus_client import Counter

from graph.errors import GraphError
from graph.port import GraphStore
from graph.process_lock import ProcessLock
from ingestion.dead_letters import DeadLetterStore
from ingestion.event_log import EventLog
from ingestion.event_prepare import Chunk, EventPreparer, PreparedEvents, aggregate, letters
from ingestion.parsing import Rejected, parse_record
from ingestion.prepare_worker import PrepareWorker, PrepareWorkerError, WorkerSetup
from ingestion.privacy_gate import PrivacyGate
from ingestion.pseudonymise import Pseudonymiser
from ingestion.records import SourceRecord, source_record
from ingestion.results import BatchResult, ItemResult, ItemStatus, RawMessage

log = logging.getLogger(__name__)
MESSAGES = Counter(
    "cg_pipeline_messages_total", "Messages through the ingestion pipeline", ["kind", "status"]
)


__all__ = ["IngestPipeline", "PreparedEvents"]


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
        self._preparer = EventPreparer(
            log, dead_letters, pseudonymiser, max_message_bytes, apply_batch
        )
        self._worker: PrepareWorker | None = None
        self._writer_lock = ProcessLock(Path(f"{log.path}.apply.lock"))
        # Called with the keys of records just written (incremental identity resolution).
        self.on_records_written: Callable[[list[str]], Awaitable[object]] | None = None
        # Called with the identifier keys of events just applied (segment re-evaluation).
        self.on_events_applied: Callable[[list[str]], Awaitable[object]] | None = None
        self._touched: set[str] = set()
        # Consent recording, suppressed identifiers and withdrawn analytics consent.
        self.privacy = PrivacyGate(store, log)

    # --- events -------------------------------------------------------------------------
    async def ingest_events(
        self, messages: Sequence[RawMessage], record_rejections: bool = True
    ) -> BatchResult:
        """Validate, pseudonymise, log (deduplicated) and apply a batch of events."""
        prepared = await self.stage_events(messages, record_rejections)
        await self.apply_events(prepared)
        return prepared.result

    async def stage_events(
        self, messages: Sequence[RawMessage], record_rejections: bool = True
    ) -> PreparedEvents:
        """`prepare_events` off the event loop: in the worker process when one is running
        (see `preparing_in_process`), else on a worker thread."""
        worker = self._worker
        if worker is not None and worker.ready():
            try:
                results, chunks = await worker.prepare(messages, record_rejections)
                return PreparedEvents(self._finish("event", results), chunks)
            except PrepareWorkerError:
                # Whatever it logged before failing is in the log: preparing the batch again
                # here finds those events as duplicates, and applying applies them anyway.
                log.exception("preparing in the worker process failed; preparing here")
                self._worker = None
        return await asyncio.to_thread(self.prepare_events, messages, record_rejections)

    def prepare_events(
        self, messages: Sequence[RawMessage], record_rejections: bool = True
    ) -> PreparedEvents:
        """The CPU-bound half: validate, pseudonymise, append to the log, dead-letter the bad.

        Callers that stream may prepare the next batch while `apply_events` of the previous
        one is still running on the server; applying stays in log order either way.
        """
        results, chunks = self._preparer.prepare(messages, record_rejections)
        return PreparedEvents(self._finish("event", results), chunks)

    @asynccontextmanager
    async def preparing_in_process(self) -> AsyncIterator[None]:
        """Within the block, `stage_events` prepares in a child process (its own core) once
        it has started, so a streaming caller uses both cores; HTTP ingest does not need it.
        Nested blocks share the outer block's worker."""
        if self._worker is not None:
            yield
            return
        setup = WorkerSetup(
            self.log.path,
            self.dead_letters.path,
            self.pseudo,
            self.max_message_bytes,
            self.apply_batch,
        )
        try:
            worker: PrepareWorker | None = await PrepareWorker.start(setup)
        except OSError:
            log.exception("the prepare worker could not start; preparing on a thread")
            worker = None
        if worker is None:
            yield
            return
        self._worker = worker
        try:
            yield
        finally:
            self._worker = None
            await worker.close()

    async def apply_events(self, prepared: PreparedEvents) -> None:
        """The graph half: apply everything logged but not yet applied, in log order."""
        async with self._apply_lock():
            await self._apply_pending(prepared.chunks)
        self.privacy.report(prepared.result)
        await self._events_applied()

    async def recover(self) -> int:
        """Apply events the log holds but the graph has not seen (after a crash)."""
        async with self._apply_lock():
            applied = await self._apply_pending([])
        await self._events_applied()
        return applied

    async def _cursor(self) -> int:
        rows = await self.store.read("ingest/get_cursor", {"id": self.log.log_id})
        return int(rows[0]["seq"]) if rows else 0

    async def _apply_pending(self, chunks: list[Chunk]) -> int:
        cursor, last = await self._cursor(), self.log.last_seq()
        if cursor >= last:
            return 0
        if chunks and chunks[0].first_seq == cursor + 1:
            for chunk in chunks:  # the usual case: nothing left over from a crash
                await self._apply(chunk, cursor)
                cursor = chunk.last_seq
            return chunks[-1].last_seq - chunks[0].first_seq + 1
        applied = 0
        while cursor < last:
            events = self.log.since(cursor, self.apply_batch)
            for chunk in aggregate(events, self.apply_batch):
                await self._apply(chunk, cursor)
                cursor = chunk.last_seq
            applied += len(events)
        return applied

    async def _apply(self, chunk: Chunk, cursor: int) -> None:
        """Apply a chunk as ONE statement that also moves the cursor (atomic on both
        backends): it is applied completely once, or not at all, and a chunk re-sent after a
        lost reply changes nothing."""
        chunk = await self.privacy.events(chunk)
        params = {
            "cursor_id": self.log.log_id,
            "expected": cursor,
            "seq": chunk.last_seq,
            "interactions": chunk.interactions,
            "pairs": chunk.pairs,
        }
        result = await self.store.write("ingest/apply_events", params)
        if result.rows != [{"seq": chunk.last_seq}]:
            now = await self._cursor()
            raise GraphError(
                f"event log {self.log.log_id}: cursor was {now}, not {cursor}, when applying "
                f"up to {chunk.last_seq}; another writer moved it (nothing was applied)"
            )
        if self.on_events_applied is not None:
            self._touched.update(row["id_key"] for row in chunk.interactions)
            self._touched.update(row[k] for row in chunk.pairs for k in ("a_key", "b_key"))

    async def _events_applied(self) -> None:
        """Hand the identifier keys applied since the last call to `on_events_applied`."""
        keys, self._touched = sorted(self._touched), set()
        if keys and self.on_events_applied is not None:
            try:
                await self.on_events_applied(keys)
            except Exception:  # the events are applied; the next evaluation catches up
                log.exception("the hook after %d applied identifiers failed", len(keys))

    def _apply_lock(self) -> ProcessLock:
        return self._writer_lock

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
        await self.privacy.screen_records(newest, results)
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
        await self.privacy.record_consents(i for k, (_, i) in newest.items() if k in written)
        if written and self.on_records_written is not None:
            try:
                await self.on_records_written(sorted(written))
            except Exception:  # the records are stored; the next full resolution links them
                log.exception("resolving %d newly written records failed", len(written))
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
        for index, why in rejected:
            results[index] = ItemResult(index, ItemStatus.REJECTED, None, why.field, why.reason)
        if record:
            self.dead_letters.add(letters(kind, messages, rejected))

    @staticmethod
    def _finish(kind: str, results: list[ItemResult | None]) -> BatchResult:
        items = [r for r in results if r is not None]
        assert len(items) == len(results), "every message has a result"
        batch = BatchResult(items)
        for status, count in (
            ("accepted", batch.accepted),
            ("duplicate", batch.duplicates),
            ("rejected", batch.rejected),
            ("suppressed", batch.suppressed),
        ):
            if count:
                MESSAGES.labels(kind, status).inc(count)
        return batch

    def close(self) -> None:
        """Close the event log and the dead-letter store."""
        self.log.close()
        self.dead_letters.close()
