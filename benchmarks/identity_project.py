"""The project's path of the identity benchmark: ingest, train, resolve, then incremental.

Records go through the real ingestion pipeline into an embedded graph store; the identity
service (`customer_graph.runtime.identity_service`) trains, resolves everything and reports
its assignments. Then a background world (demo-world people, ids prefixed `BG-`) fills the
graph to about `--background` records and is resolved; one record of each of
`--incremental` background people with several records was held back, and each is now
ingested and resolved with `resolve_records([key])` on its own, timed without the ingest.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import demo_world
from benchmarks.identity_datasets import BenchDataset, load_demo, log
from benchmarks.identity_records import (
    exact_share,
    record_key,
    split_background,
    to_message,
    to_records,
)
from benchmarks.store_timing import StepTimes, TimedStore
from customer_graph.runtime import build_pipeline, graph_store, identity_service
from customer_graph.settings import Settings
from identity.evaluation import evaluate
from identity.incremental import IncrementalOutcome
from identity.service import IdentityService
from ingestion.pipeline import IngestPipeline
from ingestion.results import RawMessage

BACKGROUND_SEED = 7  # not the demo world's 42: background people are other people
RECORDS_PER_PERSON = 2.0  # the demo world makes ~2.04 records per person


async def ingest(pipeline: IngestPipeline, messages: Sequence[RawMessage], batch: int) -> Any:
    """Feed records through the pipeline in batches; returns accepted/duplicate/rejected."""
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    reasons: dict[str, int] = {}
    for start in range(0, len(messages), batch):
        result = await pipeline.ingest_records(messages[start : start + batch])
        totals["accepted"] += result.accepted
        totals["duplicates"] += result.duplicates
        totals["rejected"] += result.rejected
        for item in result.items:
            if item.reason and item.status.value == "rejected":
                key = f"{item.field}: {item.reason}"
                reasons[key] = reasons.get(key, 0) + 1
    return {**totals, "reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:5])}


def _ms(seconds: list[float], q: float) -> float | None:
    return round(float(np.percentile(seconds, q)) * 1000, 2) if seconds else None


def background_world(cache_dir: Path, records: int) -> tuple[BenchDataset, float, bool]:
    """A demo world with at least `records` records (cached); ids prefixed with `BG-`."""
    # Rounded up to 5,000 people so that one cached world serves datasets of any size.
    people = max(1, math.ceil(records / RECORDS_PER_PERSON * 1.05 / 5000)) * 5000
    directory = cache_dir / f"background-seed{BACKGROUND_SEED}-people{people}"
    # A short time span: the records do not depend on it, the events (unused here) do.
    config = demo_world.DemoWorldConfig(
        seed=BACKGROUND_SEED, people=people, days=15, holdout_days=1, output_dir=directory
    )
    started = time.perf_counter()
    cached = demo_world.is_up_to_date(directory, config)
    if not cached:
        log(f"generating a background world of {people:,} people in {directory}")
        demo_world.generate(config)
    seconds = time.perf_counter() - started
    world = load_demo(directory)
    frame = world.frame.copy()
    # Upper case like the demo's own ids: FalkorDB's indexed `key > $after` compares case-
    # insensitively while ORDER BY does not, and mixed-case keys made paging loop forever.
    frame["source_id"] = "BG-" + frame["source_id"]
    frame["record_id"] = frame["source"] + ":" + frame["source_id"]
    frame["cluster"] = "BG-" + frame["cluster"]
    return BenchDataset("background", frame, "dedupe_only", "%Y-%m-%d", "generic"), seconds, cached


async def run_project(
    dataset: BenchDataset, settings: Settings, args: argparse.Namespace, cache_dir: Path
) -> dict[str, Any]:
    """Ingest, train, resolve and score the project; then measure incremental latency."""
    mapped = to_records(dataset)
    out: dict[str, Any] = {
        "invalid_dob": mapped.invalid_dob,
        "records_not_mappable": len(mapped.rejected),
        "national_id_used": "national_id" in dataset.fields(),
    }
    batch = settings.ingest_batch_size
    async with graph_store(settings) as store:
        pipeline = build_pipeline(settings, store)
        try:
            log(f"ingesting {len(mapped.records):,} records")
            started = time.perf_counter()
            out["project_ingest"] = await ingest(pipeline, mapped.messages(), batch)
            out["project_ingest_seconds"] = round(time.perf_counter() - started, 2)
            service = identity_service(settings, store)
            log("training the project's model")
            started = time.perf_counter()
            training = await service.train()
            out["project_train_seconds"] = round(time.perf_counter() - started, 2)
            log("resolving every record")
            started = time.perf_counter()
            resolution = await service.resolve_all()
            out["project_resolve_seconds"] = round(time.perf_counter() - started, 2)
            accuracy = evaluate(await service.assignments(), dataset.truth)
            out |= {"accuracy": accuracy, "project_training": training.model_dump(mode="json")}
            out["project_resolution"] = resolution.model_dump(mode="json")
            if args.incremental > 0:
                loaded = len(dataset.frame)
                out |= await _incremental(pipeline, service, loaded, args, cache_dir, batch)
            nodes = await store.read("stats/node_counts")
            out["graph_records"] = next((r["count"] for r in nodes if r["label"] == "Record"), 0)
        finally:
            pipeline.close()
    return out


async def _incremental(
    pipeline: IngestPipeline,
    service: IdentityService,
    loaded: int,
    args: argparse.Namespace,
    cache_dir: Path,
    batch: int,
) -> dict[str, Any]:
    """Fill the graph with background records, resolve them, then time held-out records."""
    wanted = max(0, args.background - loaded) + args.incremental
    world, generate_seconds, cached = background_world(cache_dir, max(wanted, 3 * args.incremental))
    keys, held_keys = split_background(world.truth, wanted, args.incremental, BACKGROUND_SEED)
    chosen = set(keys) | set(held_keys)
    subset = world.frame[world.frame["record_id"].isin(chosen)]
    by_key = {record_key(r): r for r in to_records(replace(world, frame=subset)).records}
    rest = [by_key[k] for k in keys]
    held_out = [by_key[k] for k in held_keys]
    log(f"ingesting {len(rest):,} background records")
    started = time.perf_counter()
    ingested = await ingest(pipeline, [to_message(r) for r in rest], batch)
    ingest_seconds = time.perf_counter() - started
    log("resolving the background")
    started = time.perf_counter()
    await service.resolve_all()
    resolve_seconds = time.perf_counter() - started
    log(f"resolving {len(held_out)} held-out records one at a time")
    resolve_only: list[float] = []
    with_ingest: list[float] = []
    cpu: list[float] = []
    outcomes: list[IncrementalOutcome] = []
    steps = StepTimes()
    untimed = service.store
    timed = service.store = TimedStore(untimed)  # every graph call of resolve_records, timed
    try:
        for record in held_out:
            started = time.perf_counter()
            await pipeline.ingest_records([to_message(record)])
            timed.calls = []
            ingested_at, cpu_at = time.perf_counter(), time.thread_time()
            outcomes += await service.resolve_records([record_key(record)])
            done = time.perf_counter()
            cpu.append(time.thread_time() - cpu_at)
            resolve_only.append(done - ingested_at)
            with_ingest.append(done - started)
            steps.add(done - ingested_at, timed.calls)
    finally:
        service.store = untimed
    truth = {k: v for k, v in world.truth.items() if k in chosen}
    assignments = await service.assignments()
    background = evaluate(assignments, truth)
    return {
        "incremental_p50_ms": _ms(resolve_only, 50),
        "incremental_p99_ms": _ms(resolve_only, 99),
        "incremental_mean_ms": round(1000 * sum(resolve_only) / len(resolve_only), 2)
        if resolve_only
        else None,
        "incremental_ingest_resolve_p50_ms": _ms(with_ingest, 50),
        "incremental_ingest_resolve_p99_ms": _ms(with_ingest, 99),
        "incremental_cpu_p50_ms": _ms(cpu, 50),
        "incremental_cpu_p99_ms": _ms(cpu, 99),
        "incremental_steps_ms": steps.summary() if outcomes else {},
        "incremental_slowest": _slowest(steps, outcomes, 3),
        "incremental_records": len(held_out),
        "incremental_actions": dict(Counter(o.action for o in outcomes)),
        "incremental_exact_share": round(exact_share(assignments, truth, held_keys), 4),
        "incremental_candidates_mean": round(sum(o.candidates for o in outcomes) / len(outcomes), 1)
        if outcomes
        else None,
        "background_records": len(rest),
        "background_generate_seconds": round(generate_seconds, 2),
        "background_world_cached": cached,
        "background_ingest_seconds": round(ingest_seconds, 2),
        "background_ingest": ingested,
        "background_resolve_seconds": round(resolve_seconds, 2),
        "background_f1_after_incremental": round(background.f1, 4),
        "background_cluster_f1_after_incremental": round(background.cluster_f1, 4),
    }


def _slowest(steps: StepTimes, outcomes: Sequence[IncrementalOutcome], n: int) -> list[Any]:
    """The n slowest records: what happened to them and each graph call they made."""
    ranked = sorted(zip(steps.operations, outcomes, strict=True), key=lambda x: -x[0][0])[:n]
    return [
        {
            "ms": round(total * 1000, 2),
            "action": outcome.action,
            "candidates": outcome.candidates,
            "calls": [[name, round(seconds * 1000, 2)] for name, _, seconds in calls],
        }
        for (total, calls), outcome in ranked
    ]
