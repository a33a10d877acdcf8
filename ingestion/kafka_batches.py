"""One polled Kafka batch through the pipeline: routed by topic, staged, then applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingestion.kafka_config import KafkaIngestConfig
from ingestion.kafka_metrics import ingest_messages
from ingestion.kafka_producer import DeadLetterItem
from ingestion.results import (
    BatchResult,
    Ingestor,
    ItemStatus,
    RawMessage,
    StagedEvents,
    StagedIngestor,
)


@dataclass
class StagedBatch:
    """A batch whose records are written and whose events are validated and logged; what is
    left is `apply()` (the events' graph write), then dead letters and the offset commit."""

    records: list[Any]  # the ConsumerRecords, in poll order
    groups: list[tuple[list[Any], BatchResult]] = field(default_factory=list)
    ingestor: StagedIngestor[Any] | None = None
    prepared: StagedEvents | None = None

    async def apply(self) -> None:
        """Apply the staged events (nothing to do for an ingestor that is not staged)."""
        if self.ingestor is not None and self.prepared is not None:
            await self.ingestor.apply_events(self.prepared)

    def rejected(self) -> list[DeadLetterItem]:
        """Every rejected message, with field and reason, for the dead-letter topic."""
        return [
            (records[item.index], item.field or "", item.reason or "")
            for records, result in self.groups
            for item in result.items
            if item.status is ItemStatus.REJECTED
        ]

    def results(self) -> list[BatchResult]:
        """The per-group results (records, then events)."""
        return [result for _, result in self.groups]


async def stage_batch(
    ingestor: Ingestor, batch: list[Any], config: KafkaIngestConfig
) -> StagedBatch:
    """Write the batch's records; validate and log its events, leaving their apply to later
    (an ingestor that cannot stage ingests its events completely here)."""
    staged = StagedBatch(batch)
    records = [r for r in batch if r.topic in config.records_topics]
    if records:
        result = await ingestor.ingest_records([kafka_message(r) for r in records])
        staged.groups.append((records, result))
    events = [r for r in batch if r.topic in config.events_topics]
    if events:
        messages = [kafka_message(r) for r in events]
        if isinstance(ingestor, StagedIngestor):
            staged.ingestor = ingestor
            staged.prepared = await ingestor.stage_events(messages)
            result = staged.prepared.result
        else:
            result = await ingestor.ingest_events(messages)
        staged.groups.append((events, result))
    return staged


def kafka_message(record: Any) -> RawMessage:
    """The pipeline's view of one Kafka record (an empty value stays an empty payload)."""
    payload = record.value if record.value is not None else b""
    origin = f"kafka:{record.topic}/{record.partition}/{record.offset}"
    return RawMessage(payload=payload, origin=origin)


def count_results(results: Sequence[BatchResult]) -> None:
    """Add a batch's outcome to the shared ingest counter."""
    counter = ingest_messages()
    for result in results:
        for status in ItemStatus:
            n = sum(1 for i in result.items if i.status is status)
            if n:
                counter.labels(source="kafka", status=status.value).inc(n)
