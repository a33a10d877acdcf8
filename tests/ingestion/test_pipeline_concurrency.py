"""Concurrent batches — in one pipeline and across two on the same log — apply exactly once."""

from __future__ import annotations

import asyncio

from customer_graph.runtime import build_pipeline
from customer_graph.settings import Settings
from ingestion.pipeline import IngestPipeline
from tests.ingestion.test_pipeline_events import event, interaction_total, raw


async def test_concurrent_batches_in_one_pipeline(pipeline: IngestPipeline) -> None:
    batches = [raw(*(event(f"b{b}-{n}") for n in range(25))) for b in range(8)]
    batches.append(batches[0])  # one whole batch delivered twice, concurrently
    results = await asyncio.gather(*(pipeline.ingest_events(b) for b in batches))
    assert sum(r.accepted for r in results) == 200
    assert sum(r.duplicates for r in results) == 25
    assert await interaction_total(pipeline) == 200
    cursor = await pipeline.store.read("ingest/get_cursor", {"id": pipeline.log.log_id})
    assert cursor == [{"seq": 200}]


async def test_two_pipelines_sharing_a_log(pipeline: IngestPipeline, settings: Settings) -> None:
    other = build_pipeline(settings, pipeline.store)  # as a second process would open it
    try:
        assert other.log.log_id == pipeline.log.log_id
        batches = [raw(*(event(f"p{b}-{n}") for n in range(30))) for b in range(6)]
        work = [
            (pipeline if b % 2 else other).ingest_events(batch)
            for b, batch in enumerate(batches + batches[:2])
        ]
        results = await asyncio.gather(*work)
        assert sum(r.accepted for r in results) == 180
        assert await interaction_total(pipeline) == 180
    finally:
        other.close()
