"""Import a batch file (events JSONL, records CSV/JSONL, catalogue CSV) through the pipeline."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ingestion.catalogue import ingest_items
from ingestion.gc_tuning import batch_gc
from ingestion.pipeline import IngestPipeline
from ingestion.results import BatchResult, ItemStatus, RawMessage

Progress = Callable[[str, int, int], None]
_IN_PROCESS_BATCHES = 4  # smaller events files are not worth starting a process for


class FileKind(StrEnum):
    """What a file holds."""

    EVENTS = "events"
    RECORDS = "records"
    ITEMS = "items"


@dataclass
class FileReport:
    """Totals of one file import, and the most common rejection reasons."""

    path: Path
    kind: FileKind
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, batch: BatchResult) -> None:
        """Fold a batch's results in."""
        self.messages += len(batch.items)
        self.accepted += batch.accepted
        self.duplicates += batch.duplicates
        self.rejected += batch.rejected
        for item in batch.items:
            if item.status is ItemStatus.REJECTED:
                self.reasons[f"{item.field}: {item.reason}"] += 1


def guess_kind(path: Path) -> FileKind:
    """Events for `.jsonl`/`.ndjson`; for CSV, items when the header has `item_id`."""
    if path.suffix in (".jsonl", ".ndjson", ".json"):
        return FileKind.EVENTS
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as handle:
        header = next(csv.reader(handle), [])
    return FileKind.ITEMS if "item_id" in header else FileKind.RECORDS


def read_messages(path: Path) -> Iterator[RawMessage]:
    """One RawMessage per JSONL line (bytes) or CSV row (dict), with file:line origins."""
    if path.suffix == ".csv":
        # Undecodable bytes survive as surrogates; validation then rejects just that row.
        with path.open(newline="", encoding="utf-8", errors="surrogateescape") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                yield RawMessage(dict(row), f"file:{path.name}:{line}")
        return
    name = path.name
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if raw.strip():
                yield RawMessage(raw.rstrip(b"\r\n"), f"file:{name}:{line}")


async def import_file(
    pipeline: IngestPipeline,
    path: Path,
    kind: FileKind | None = None,
    batch_size: int = 5000,
    progress: Progress | None = None,
    prepare_in_process: bool | None = None,
) -> FileReport:
    """Feed a file through the pipeline in batches; progress is reported in messages.

    Events files of more than a few batches (or any, with `prepare_in_process`) are
    prepared in a child process while this one applies them to the graph.
    """
    kind = kind or guess_kind(path)
    with path.open("rb") as handle:
        total = sum(1 for line in handle if line.strip()) - (1 if path.suffix == ".csv" else 0)
    if prepare_in_process is None:
        prepare_in_process = total > _IN_PROCESS_BATCHES * batch_size
    with batch_gc():
        if kind is FileKind.EVENTS and prepare_in_process:
            async with pipeline.preparing_in_process():
                return await _feed(pipeline, path, kind, batch_size, total, progress)
        return await _feed(pipeline, path, kind, batch_size, total, progress)


async def _feed(
    pipeline: IngestPipeline,
    path: Path,
    kind: FileKind,
    batch_size: int,
    total: int,
    progress: Progress | None,
) -> FileReport:
    report = FileReport(path, kind)
    batch: list[RawMessage] = []
    applying: asyncio.Task[None] | None = None

    async def flush() -> None:
        nonlocal applying
        if kind is FileKind.EVENTS:
            # Overlap: the server applies the previous batch while this one is prepared.
            prepared = await pipeline.stage_events(list(batch))
            if applying is not None:
                await applying
            applying = asyncio.create_task(pipeline.apply_events(prepared))
            result = prepared.result
        elif kind is FileKind.RECORDS:
            result = await pipeline.ingest_records(batch)
        else:
            result = await ingest_items(pipeline.store, pipeline.dead_letters, batch)
        report.add(result)
        batch.clear()

    try:
        for message in read_messages(path):
            batch.append(message)
            if len(batch) >= batch_size:
                await flush()
                if progress:
                    progress(path.name, report.messages, total)
        if batch:
            await flush()
    finally:
        if applying is not None:
            await applying  # the batch already sent is seen through, even after an error
    if progress:
        progress(path.name, report.messages, max(total, report.messages))
    return report
