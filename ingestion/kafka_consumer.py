"""Kafka → ingestion pipeline: consume in batches, dead-letter rejects, then commit offsets."""

# At-least-once: offsets are committed only after the pipeline has applied a batch and every
# rejected message is on the dead-letter topic; the pipeline deduplicates re-delivered events
# by id. Batches overlap: while batch n is applied to the graph, batch n+1 is polled and
# staged (validated and logged); n+1 is committed only after n, and after its own apply.

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    IllegalStateError,
    KafkaTimeoutError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)

from ingestion.gc_tuning import batch_gc
from ingestion.kafka_batches import StagedBatch, count_results, stage_batch
from ingestion.kafka_config import BatchFailedError, ConsumeStats, KafkaIngestConfig
from ingestion.kafka_metrics import BATCH_FAILURES, COMMIT_FAILURES, update_lag
from ingestion.kafka_offsets import PendingOffsets, Revocations
from ingestion.kafka_producer import DeadLetterProducer
from ingestion.results import Ingestor, StagedIngestor

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_COMMIT_ERRORS = (
    CommitFailedError,
    RebalanceInProgressError,
    IllegalGenerationError,
    UnknownMemberIdError,
    KafkaTimeoutError,
)
_IDLE_LAG_INTERVAL = 5.0
_IN_FLIGHT_POLL_MS = 50  # while a batch is being applied: poll briefly, then settle it

__all__ = [
    "BatchFailedError",
    "ConsumeStats",
    "KafkaIngestConfig",
    "KafkaIngestor",
    "run_until_signalled",
]


class KafkaIngestor:
    """Consumes the configured topics into an `Ingestor` until a stop event is set."""

    def __init__(self, config: KafkaIngestConfig, ingestor: Ingestor) -> None:
        """Remember the configuration; connections are opened by run()."""
        self.config = config
        self.ingestor = ingestor
        self.stats = ConsumeStats()
        self._executor: ThreadPoolExecutor | None = None
        self._consumer: Any = None
        self._dead_letters: DeadLetterProducer | None = None
        self._lag_labels: set[tuple[str, str]] = set()
        self._pending = PendingOffsets()
        self._lag_at = 0.0
        self._in_flight: tuple[StagedBatch, asyncio.Task[None]] | None = None

    async def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run a blocking client call on the one thread that owns the Kafka clients."""
        assert self._executor is not None, "only while run() is running"
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _open(self) -> None:
        """Create the consumer (subscribed, no auto-commit) and the dead-letter producer."""
        cfg = self.config
        self._consumer = KafkaConsumer(
            bootstrap_servers=cfg.bootstrap_servers,
            group_id=cfg.group_id,
            client_id=cfg.client_id,
            enable_auto_commit=False,
            auto_offset_reset=cfg.auto_offset_reset,
            session_timeout_ms=cfg.session_timeout_ms,
            heartbeat_interval_ms=max(100, cfg.session_timeout_ms // 3),
            max_poll_records=cfg.batch_size,
            max_partition_fetch_bytes=max(1024 * 1024, 2 * cfg.max_message_bytes),
        )
        self._consumer.subscribe(list(cfg.topics), listener=Revocations(self._pending))
        if cfg.dead_letter_topic:
            self._dead_letters = DeadLetterProducer(
                cfg.bootstrap_servers, cfg.dead_letter_topic, cfg.max_message_bytes, cfg.client_id
            )

    def _close(self) -> None:
        """Commit what a refused commit left behind, then close the clients."""
        try:
            if self._consumer is not None:
                try:
                    self._commit([])
                except Exception:
                    log.exception("last commit before closing failed")
                self._consumer.close(autocommit=False)
        finally:
            self._consumer = None
            if self._dead_letters is not None:
                self._dead_letters.close()
                self._dead_letters = None

    async def run(self, stop: threading.Event | asyncio.Event) -> ConsumeStats:
        """Consume until *stop* is set; the batch in hand is finished and committed first."""
        async with AsyncExitStack() as stack:
            stack.enter_context(batch_gc())
            if self.config.prepare_in_process and isinstance(self.ingestor, StagedIngestor):
                await stack.enter_async_context(self.ingestor.preparing_in_process())
            return await self._consume(stop)

    async def _consume(self, stop: threading.Event | asyncio.Event) -> ConsumeStats:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-consumer")
        await self._call(self._open)
        log.info("consuming %s as group %s", ",".join(self.config.topics), self.config.group_id)
        try:
            while not stop.is_set():
                busy = self._in_flight is not None
                batch = await self._call(self._poll_batch, busy)
                if batch:
                    await self._handle(batch)
                elif busy:
                    await self._settle()
                elif time.monotonic() - self._lag_at > _IDLE_LAG_INTERVAL:
                    await self._call(self._commit, [])  # offsets refused earlier, if any
                    await self._call(self._update_lag)
        finally:
            try:
                await self._settle()
            finally:
                await self._call(self._close)
                self._executor.shutdown(wait=False)
                self._executor = None
        log.info("consumer stopped: %s", self.stats)
        return self.stats

    def _poll_batch(self, busy: bool = False) -> list[Any]:
        """Up to batch_size records: wait for the first, then linger briefly for more."""
        cfg = self.config
        timeout_ms = min(cfg.poll_timeout_ms, _IN_FLIGHT_POLL_MS) if busy else cfg.poll_timeout_ms
        polled = self._consumer.poll(timeout_ms=timeout_ms, max_records=cfg.batch_size)
        batch = [r for records in polled.values() for r in records]
        deadline = time.monotonic() + cfg.batch_linger_ms / 1000
        while batch and len(batch) < cfg.batch_size:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                break
            more = self._consumer.poll(
                timeout_ms=remaining_ms, max_records=cfg.batch_size - len(batch)
            )
            if not more:
                break
            batch.extend(r for records in more.values() for r in records)
        return batch

    async def _handle(self, batch: list[Any]) -> None:
        """Stage this batch (while the previous one is applied), settle the previous one,
        then start applying this one. A failure rewinds what was not committed."""
        try:
            staged = await stage_batch(self.ingestor, batch, self.config)
        except Exception as error:
            # The batch before does not depend on this one: settle it, then rewind this one
            # (if it failed too, both are rewound together).
            if await self._settle(also_rewind=batch):
                await self._failed(batch, error)
            return
        if await self._settle(also_rewind=batch):
            self._in_flight = (staged, asyncio.create_task(staged.apply()))

    async def _settle(self, also_rewind: list[Any] | None = None) -> bool:
        """Wait for the batch being applied, then dead-letter, count and commit it. On failure
        it is rewound (with `also_rewind`, a later batch not committed either) and retried."""
        if self._in_flight is None:
            return True
        staged, applying = self._in_flight
        self._in_flight = None
        try:
            await applying
            rejected = staged.rejected()
            if rejected and self._dead_letters is not None:
                await self._call(self._dead_letters.send, rejected)
                self.stats.dead_lettered += len(rejected)
        except Exception as error:
            await self._failed(staged.records + (also_rewind or []), error)
            return False
        count_results(staged.results())  # counted once the batch is through, not per attempt
        for result in staged.results():
            self.stats.accepted += result.accepted
            self.stats.duplicates += result.duplicates
            self.stats.rejected += result.rejected
        self.stats.batches += 1
        self.stats.messages += len(staged.records)
        self.stats.failed_attempts = 0
        await self._call(self._commit, staged.records)
        await self._call(self._update_lag)
        return True

    async def _failed(self, records: list[Any], error: Exception) -> None:
        """Rewind records that were not committed; give up after max_attempts in a row."""
        self.stats.failed_attempts += 1
        attempts = self.stats.failed_attempts
        BATCH_FAILURES.labels(error=type(error).__name__).inc()
        await self._call(self._rewind, records)
        if attempts >= self.config.max_attempts:
            raise BatchFailedError(
                f"a batch failed {attempts} times in a row; nothing of it was committed"
            ) from error
        delay = self.config.retry_backoff_ms / 1000 * 2 ** (attempts - 1)
        log.error("batch failed (attempt %d), retrying in %.1fs", attempts, delay, exc_info=error)
        await asyncio.sleep(delay)

    def _rewind(self, batch: list[Any]) -> None:
        """Seek every partition of a failed batch back to its first record."""
        first: dict[TopicPartition, int] = {}
        for record in batch:
            tp = TopicPartition(record.topic, record.partition)
            first[tp] = min(first.get(tp, record.offset), record.offset)
        for tp, offset in first.items():
            try:
                self._consumer.seek(tp, offset)
            except (IllegalStateError, AssertionError):
                log.info("partition %s was revoked; its new owner resumes from the commit", tp)

    def _commit(self, batch: list[Any]) -> None:
        """Commit the offset after each partition's last record (plus any refused earlier)."""
        offsets = self._pending.to_commit(batch, self._consumer.assignment())
        if not offsets:
            return
        try:
            self._consumer.commit(offsets, timeout_ms=max(10_000, self.config.session_timeout_ms))
        except _COMMIT_ERRORS as error:
            self.stats.commit_failures += 1
            COMMIT_FAILURES.labels(reason=type(error).__name__).inc()
            log.warning(
                "commit failed (%s): retried with the next batch; a restart "
                "or rebalance now would redeliver it (deduplicated)",
                error,
            )
            return
        self._pending.committed(offsets)
        self.stats.commits += 1
        self.stats.last_commit.update(
            {(tp.topic, tp.partition): o.offset for tp, o in offsets.items()}
        )

    def _update_lag(self) -> None:
        """Refresh the lag gauge of every assigned partition."""
        self._lag_at = time.monotonic()
        self._lag_labels = update_lag(self._consumer, self._lag_labels)


async def run_until_signalled(config: KafkaIngestConfig, ingestor: Ingestor) -> ConsumeStats:
    """Entry point: consume until SIGTERM/SIGINT, then finish the batch, commit and close."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.getsignal(sig) for sig in signals}
    installed = threading.current_thread() is threading.main_thread()

    def restore() -> None:
        """Give the signals back to their previous handlers (a second signal forces exit)."""
        for sig, handler in previous.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)

    def on_signal(sig: signal.Signals) -> None:
        """First signal: stop after the current batch."""
        log.info("%s received: finishing the current batch, then stopping", sig.name)
        stop.set()
        restore()

    if installed:
        for sig in signals:
            loop.add_signal_handler(sig, on_signal, sig)
    try:
        return await KafkaIngestor(config, ingestor).run(stop)
    finally:
        if installed and not stop.is_set():
            restore()
