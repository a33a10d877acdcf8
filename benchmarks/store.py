"""Write throughput (UNWIND batches) and indexed lookup latency of the embedded store.

Writes `--rows` records, each with 3 identifiers (so 4 nodes and 3 relationships a row),
through the product's own record upsert (recency guard, identifier links in the same
statement), at several batch sizes in one run so their ratios
can be compared; then times point lookups by indexed key. The last stdout line is one JSON
object.

    python benchmarks/store.py --rows 100000 --batch-sizes 500,2000,5000 --lookups 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from graph.embedded_server import EmbeddedFalkorDB
from graph.factory import GraphConfig, open_graph_store
from graph.port import GraphStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from benchmarks.machine import machine_info


def _record_rows(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "key": f"{prefix}:{i}",
            "source": prefix,
            "source_id": str(i),
            "updated_at": 1_700_000_000_000 + i,
            "ingested_at": 1_700_000_000_000,
            "attrs": {"first_name": f"name{i}", "city": "Leeds", "postcode": f"LS{i % 30} 1AA"},
            "identifiers": [
                {
                    "key": f"{kind}:{prefix}-{kind}-{i}",
                    "type": kind,
                    "value": f"{prefix}-{kind}-{i}",
                }
                for kind in ("email", "login", "cookie")
            ],
        }
        for i in range(count)
    ]


async def _write(store: GraphStore, prefix: str, rows: int, batch: int) -> dict[str, Any]:
    records = _record_rows(prefix, rows)
    started = time.perf_counter()
    # The product's record path: one statement per batch writes records and identifier links.
    await store.write_batch("records/upsert_records", records, batch_size=batch)
    seconds = time.perf_counter() - started
    return {
        "batch_size": batch,
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds, 1),
        "relationships_per_s": round(rows * 3 / seconds, 1),
    }


async def _lookups(store: GraphStore, prefix: str, rows: int, count: int) -> list[float]:
    rng = random.Random(7)
    latencies = []
    for _ in range(count):
        key = f"{prefix}:{rng.randrange(rows)}"
        started = time.perf_counter()
        found = await store.read("records/get_records", {"keys": [key]})
        latencies.append((time.perf_counter() - started) * 1000)
        assert len(found) == 1
        assert len(found[0]["identifier_keys"]) == 3
    return latencies


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="cg-bench-"))
    store = await open_graph_store(
        GraphConfig(url="falkordb-embedded://", data_dir=data_dir, fsync=args.fsync)
    )
    try:
        sizes = [int(s) for s in args.batch_sizes.split(",")]
        runs = []
        for size in sizes:  # each batch size starts from an empty graph, so runs compare
            await store.write("admin/delete_all")
            runs.append(await _write(store, f"b{size}", args.rows, size))
        best = max(runs, key=lambda r: r["rows_per_s"])
        latencies = await _lookups(store, f"b{sizes[-1]}", args.rows, args.lookups)
        endpoint = EmbeddedFalkorDB(data_dir / "falkordb").running()
        rss_mb = psutil.Process(endpoint.pid).memory_info().rss / 2**20 if endpoint else None
    finally:
        await store.close()
    base = runs[0]["rows_per_s"]
    return {
        "benchmark": "store",
        "backend": "falkordb-embedded",
        "fsync": args.fsync,
        "rows": args.rows,
        "nodes_per_row": 4,
        "relationships_per_row": 3,
        "write_rows_per_s": best["rows_per_s"],
        "write_best_batch_size": best["batch_size"],
        "write_runs": [{**r, "ratio_to_first": round(r["rows_per_s"] / base, 2)} for r in runs],
        "lookups": args.lookups,
        "lookup_p50_ms": round(statistics.median(latencies), 3),
        "lookup_p99_ms": round(_percentile(latencies, 0.99), 3),
        "lookup_mean_ms": round(statistics.fmean(latencies), 3),
        "server_rss_mb": round(rss_mb, 1) if rss_mb else None,
        "machine": machine_info(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-sizes", default="500,2000,5000")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--fsync", choices=["always", "everysec"], default="always")
    parser.add_argument("--data-dir", default=None, help="default: a new temporary folder")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
