"""Prometheus metrics of the Kafka consumer (registered once per process, shared by name)."""

from __future__ import annotations

from typing import Any, TypeVar

from kafka.errors import IllegalStateError, KafkaTimeoutError
from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.registry import Collector

from ingestion.metrics import INGEST_MESSAGES

_M = TypeVar("_M", Counter, Gauge)


def _shared(kind: type[_M], name: str, doc: str, labels: tuple[str, ...]) -> _M:
    """The collector registered under *name*, or a new one (other entry points share names)."""
    existing: Collector | None = REGISTRY._names_to_collectors.get(name)
    if existing is not None:
        if not isinstance(existing, kind):
            raise TypeError(f"metric {name} is already registered as {type(existing).__name__}")
        return existing
    return kind(name, doc, labels)


def ingest_messages() -> Counter:
    """`cg_ingest_messages_total{source,status}`, shared with the HTTP entry point."""
    return INGEST_MESSAGES


CONSUMER_LAG = _shared(
    Gauge,
    "cg_kafka_consumer_lag",
    "Messages behind the end of the partition, measured after each batch.",
    ("topic", "partition"),
)
DEAD_LETTERS = _shared(
    Counter,
    "cg_kafka_dead_letters_total",
    "Rejected messages produced to the dead-letter topic.",
    ("topic",),
)
COMMIT_FAILURES = _shared(
    Counter,
    "cg_kafka_commit_failures_total",
    "Offset commits refused (rebalance, timeout); the batch will be redelivered.",
    ("reason",),
)
BATCH_FAILURES = _shared(
    Counter,
    "cg_kafka_batch_failures_total",
    "Batches whose ingest or dead-letter produce raised; they are retried from the broker.",
    ("error",),
)


def update_lag(consumer: Any, previous: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Set each assigned partition's lag (end offset - position); drop partitions not ours."""
    assigned = list(consumer.assignment())
    labels: set[tuple[str, str]] = set()
    if assigned:
        try:
            ends = consumer.end_offsets(assigned)
        except KafkaTimeoutError:
            ends = {}
        for tp in assigned:
            try:
                position = consumer.position(tp, timeout_ms=1000)
            except (KafkaTimeoutError, IllegalStateError):
                continue
            if position is None:
                continue
            # Fetch responses carry the high watermark too; take the larger of the two
            # (Tansu's ListOffsets answers the last *batch's* base offset + 1).
            end = max(ends.get(tp) or 0, consumer.highwater(tp) or 0)
            key = (tp.topic, str(tp.partition))
            CONSUMER_LAG.labels(*key).set(max(0, end - position))
            labels.add(key)
    for key in previous - labels:
        CONSUMER_LAG.remove(*key)
    return labels
