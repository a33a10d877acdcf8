"""Preparing event batches in a child process gives exactly what preparing in-process gives."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from graph.queries import Cypher
from ingestion.dead_letters import DeadLetterStore
from ingestion.event_log import EventLog
from ingestion.file_import import FileKind, FileReport, import_file
from ingestion.pipeline import IngestPipeline
from ingestion.prepare_worker import PrepareWorker
from tests.ingestion.test_pipeline_events import event

GRAPH = Cypher(
    "MATCH (i:Identifier)-[x:INTERACTED]->(it:Item) "
    "RETURN i.key AS who, it.id AS item, x.type AS type, x.count AS n, x.weight AS w, "
    "x.first_at AS first, x.last_at AS last ORDER BY who, item, type"
)
PAIRS = Cypher(
    "MATCH (a:Identifier)-[s:SEEN_WITH]->(b:Identifier) "
    "RETURN a.key AS a, b.key AS b, s.count AS n ORDER BY a, b"
)


def write_events(path: Path, count: int) -> None:
    """`count` events over a few people and items, every 7th a repeat, plus bad lines."""
    lines = []
    for n in range(count):
        ids = {"anonymous_id": f"c-{n % 11}", "user_id": f"u-{n % 5}", "email": f"P{n % 5}@x.io"}
        props = {"item_id": f"I-{n % 4}", "price": 1.5, "quantity": 1}
        kind = ("product_view", "add_to_cart", "purchase")[n % 3]
        body = event(f"e-{n % (count - count // 7)}", type=kind, identifiers=ids, properties=props)
        body["occurred_at"] = f"2026-03-01T12:{n // 60 % 60:02d}:{n % 60:02d}.000+01:00"
        lines.append(json.dumps(body))
    lines += ["{not json", json.dumps(event("nul", identifiers={"user_id": "u\u0000x"}))]
    lines.append(json.dumps(event("blank", identifiers={"email": "not-an-email"})))
    path.write_text("\n".join(lines) + "\n")


async def everything(pipeline: IngestPipeline) -> dict[str, Any]:
    """The graph's aggregates and the log, comparable across runs."""
    return {
        "interactions": await pipeline.store.read(GRAPH),
        "pairs": await pipeline.store.read(PAIRS),
        "log": [(e.event_id, e.occurred_at, e.ids.keys) for e in pipeline.log.since(0, 10_000)],
    }


def letters(pipeline: IngestPipeline) -> list[tuple[str, str, str]]:
    """(origin, field, reason) of every dead letter."""
    return [(d.origin, d.field, d.reason) for d in pipeline.dead_letters.entries(limit=100)]


def totals(report: FileReport) -> tuple[int, int, int]:
    """(accepted, duplicates, rejected)."""
    return report.accepted, report.duplicates, report.rejected


@asynccontextmanager
async def ready_worker(pipeline: IngestPipeline) -> AsyncIterator[PrepareWorker]:
    """The pipeline with its prepare worker started and ready."""
    async with pipeline.preparing_in_process():
        worker = pipeline._worker  # private: which child, and whether it was used
        assert worker is not None
        for _ in range(1500):
            if worker.ready():
                break
            await asyncio.sleep(0.02)
        assert worker.ready(), "the worker did not start"
        yield worker


async def test_child_process_and_thread_prepare_the_same(
    pipeline: IngestPipeline, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    write_events(path, 700)
    in_thread = await import_file(pipeline, path, FileKind.EVENTS, 100, prepare_in_process=False)
    expected, expected_letters = await everything(pipeline), letters(pipeline)
    await pipeline.store.write("admin/delete_all")

    other = tmp_path / "other"
    second = IngestPipeline(
        pipeline.store,
        EventLog(other / "events.sqlite3"),
        DeadLetterStore(other / "dead_letters.sqlite3"),
        pipeline.pseudo,
        apply_batch=pipeline.apply_batch,
    )
    try:
        async with ready_worker(second) as worker:
            in_child = await import_file(second, path, FileKind.EVENTS, 100)
            assert worker.batches == 8, "not every batch was prepared in the child"
            assert totals(in_child) == totals(in_thread) == (600, 100, 3)
            assert letters(second) == expected_letters
            assert ("file:events.jsonl:702", "identifiers.user_id", "contains a NUL character") in (
                expected_letters
            )
            assert await everything(second) == expected
            again = await import_file(second, path, FileKind.EVENTS, 100)
            assert totals(again) == (0, 700, 3)
            assert await everything(second) == expected
    finally:
        second.close()


async def test_a_killed_worker_is_replaced_by_the_thread_and_nothing_is_lost(
    pipeline: IngestPipeline, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    write_events(path, 700)
    async with ready_worker(pipeline) as worker:

        def kill_after_the_first_batch(name: str, done: int, total: int) -> None:
            if worker.returncode is None and worker.batches:
                os.kill(worker.pid, signal.SIGKILL)

        report = await import_file(pipeline, path, FileKind.EVENTS, 100, kill_after_the_first_batch)
        assert worker.batches == 1
    assert worker.returncode == -signal.SIGKILL
    assert totals(report) == (600, 100, 3)
    assert pipeline.log.count() == 600, "every distinct event logged exactly once"
    rows = await pipeline.store.read(Cypher("MATCH ()-[x:INTERACTED]->() RETURN sum(x.count) AS n"))
    assert rows == [{"n": 600}], "every logged event applied exactly once"
    assert await pipeline.recover() == 0


async def test_the_worker_exits_with_the_block(pipeline: IngestPipeline) -> None:
    async with ready_worker(pipeline) as worker:
        pid = worker.pid
    assert pipeline._worker is None
    assert worker.returncode == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
