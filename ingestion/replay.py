"""Re-submit dead letters through the pipeline; entries that pass are marked `replayed`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ingestion.catalogue import ingest_items
from ingestion.dead_letters import DeadLetter
from ingestion.pipeline import IngestPipeline
from ingestion.results import BatchResult, ItemStatus, RawMessage


async def _submit(
    pipeline: IngestPipeline, kind: str, letters: Sequence[DeadLetter]
) -> BatchResult:
    messages = [RawMessage(d.payload, d.origin) for d in letters]
    if kind == "event":
        return await pipeline.ingest_events(messages, record_rejections=False)
    if kind == "record":
        return await pipeline.ingest_records(messages, record_rejections=False)
    rows = [RawMessage(json.loads(d.payload), d.origin) for d in letters]
    return await ingest_items(pipeline.store, pipeline.dead_letters, rows, record_rejections=False)


async def replay_dead_letters(
    pipeline: IngestPipeline, ids: Sequence[int] | None = None, page: int = 1000
) -> tuple[int, int]:
    """Replay the given entries (or all `new` ones); returns (went through, rejected again)."""
    store = pipeline.dead_letters
    letters = store.get(ids) if ids else []
    if ids is None:
        after = 0
        while batch := store.entries("new", None, page, after):
            letters.extend(batch)
            after = batch[-1].id
    passed = failed = 0
    for kind in ("event", "record", "item"):
        group = [d for d in letters if d.kind == kind and d.status == "new"]
        for start in range(0, len(group), page):
            chunk = group[start : start + page]
            result = await _submit(pipeline, kind, chunk)
            for letter, item in zip(chunk, result.items, strict=True):
                if item.status is ItemStatus.REJECTED:
                    store.resolve(letter.id, item.field, item.reason)
                    failed += 1
                else:
                    store.resolve(letter.id)
                    passed += 1
    return passed, failed
