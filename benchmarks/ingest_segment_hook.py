"""A/B of the segment re-evaluation hook on ingest (`benchmarks/ingest.py --segments-ab`).

One store, resolved first (the hook only does work for events of known customers), with
three rule segments and RFM evaluated once; then the world's events in batches of
`--batch` through `IngestPipeline.ingest_events` (the HTTP and Kafka path), the hook on
for batches 1, 2, 5, 6, … and off for 0, 3, 4, 7, … (ABBA: both modes see the graph grow
alike and the machine's load drift alike). Reports events/s per mode and their ratio.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from customer_graph.runtime import build_pipeline, graph_store, identity_service
from customer_graph.settings import Settings
from ingestion.file_import import FileKind, import_file
from ingestion.results import RawMessage
from segments.on_ingest import SegmentsOnIngest
from segments.service import SegmentService

RULES = [
    {"id": "garden-now", "name": "Garden, lately",
     "rule": {"event": "product_view", "category": "garden", "within": "5m"}},
    {"id": "buyers", "name": "3+ purchases in 30 days",
     "rule": {"event": "purchase", "within": "30d", "min_count": 3}},
    {"id": "gb-awake", "name": "GB, not hibernating",
     "rule": {"all": [{"profile": "country", "equals": "GB"},
                      {"not": {"rfm": ["hibernating", "at_risk"]}}]}},
]  # fmt: skip


def _batches(events_file: Path, size: int) -> list[list[RawMessage]]:
    with events_file.open("rb") as handle:
        lines = [line for line in handle if line.strip()]
    return [
        [
            RawMessage(line, f"bench:{start + n}")
            for n, line in enumerate(lines[start : start + size])
        ]
        for start in range(0, len(lines), size)
    ]


async def segment_hook_ab(settings: Settings, world: Path, batch: int) -> dict[str, Any]:
    """Ingest the world's events with the hook on and off in alternation; figures per mode."""
    async with graph_store(settings) as store:
        pipeline = build_pipeline(settings, store)  # no hooks: set per batch below
        try:
            await import_file(pipeline, world / "items.csv", FileKind.ITEMS)
            await import_file(pipeline, world / "records.csv", FileKind.RECORDS)
            started = time.perf_counter()
            resolved = await identity_service(settings, store).resolve_all()
            resolve_seconds = time.perf_counter() - started
            service = SegmentService(store)
            for rule in RULES:
                await service.define(rule)
            started = time.perf_counter()
            await service.evaluate_all()  # the population fit the hook's RFM scores use
            evaluate_seconds = time.perf_counter() - started
            hook = SegmentsOnIngest(service)
            totals = {"on": [0, 0.0], "off": [0, 0.0]}
            for index, messages in enumerate(_batches(world / "events.jsonl", batch)):
                mode = "on" if index % 4 in (1, 2) else "off"
                pipeline.on_events_applied = hook.events_applied if mode == "on" else None
                started = time.perf_counter()
                result = await pipeline.ingest_events(messages)
                totals[mode][1] += time.perf_counter() - started
                totals[mode][0] += result.accepted
        finally:
            pipeline.close()
    rate = {mode: events / seconds for mode, (events, seconds) in totals.items()}
    return {
        "segments_ab_batch": batch,
        "segments_ab_customers": resolved.customers,
        "segments_ab_resolve_seconds": round(resolve_seconds, 1),
        "segments_ab_evaluate_all_seconds": round(evaluate_seconds, 2),
        "segments_ab_events": {m: int(t[0]) for m, t in totals.items()},
        "segments_ab_events_per_s_hook_off": round(rate["off"], 1),
        "segments_ab_events_per_s_hook_on": round(rate["on"], 1),
        "segments_ab_ratio_on_to_off": round(rate["on"] / rate["off"], 3),
        "segments_ab_hook_batches": hook.stats.batches,
        "segments_ab_hook_customers_per_batch": round(
            hook.stats.customers / max(hook.stats.batches, 1), 1
        ),
        "segments_ab_hook_seconds_per_batch": round(
            hook.stats.seconds / max(hook.stats.batches, 1), 3
        ),
        "segments_ab_memberships_added_removed": [hook.stats.added, hook.stats.removed],
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }
