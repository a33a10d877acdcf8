"""What every entry point hands the pipeline, and what it gets back, item by item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True)
class RawMessage:
    """One message as received: bytes or text (JSON, a CSV row as a dict), and where from."""

    payload: bytes | str | Mapping[str, Any]
    origin: str  # e.g. "kafka:cg.events/3/1042", "http:/v1/events[7]", "file:events.jsonl:12"


class ItemStatus(StrEnum):
    """The fate of one message."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ItemResult:
    """The result of one message, in input order; `field`/`reason` say why it was rejected."""

    index: int
    status: ItemStatus
    id: str | None = None
    field: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """Per-item results of a batch, and their totals."""

    items: list[ItemResult] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Messages written (or applied) for the first time."""
        return sum(1 for i in self.items if i.status is ItemStatus.ACCEPTED)

    @property
    def duplicates(self) -> int:
        """Messages already seen (same event id), skipped."""
        return sum(1 for i in self.items if i.status is ItemStatus.DUPLICATE)

    @property
    def rejected(self) -> int:
        """Messages that failed validation and went to the dead-letter store."""
        return sum(1 for i in self.items if i.status is ItemStatus.REJECTED)


class Ingestor(Protocol):
    """The pipeline as entry points see it (Kafka consumer, HTTP routes, file import)."""

    async def ingest_events(self, messages: Sequence[RawMessage]) -> BatchResult:
        """Validate, normalise, pseudonymise, deduplicate and write a batch of events."""
        ...

    async def ingest_records(self, messages: Sequence[RawMessage]) -> BatchResult:
        """Validate, normalise, pseudonymise and upsert a batch of source records."""
        ...
