"""What encrypting personal data costs: the same work with CG_ENCRYPT_PII on and off.

In one run, on the same demo world, each mode (encrypted, plain) in turn and then again
in reverse order (the load of a shared machine drifts): ingest the records file through the
pipeline into an empty store, read every record as identity resolution does, and read
customer profiles one at a time as the API does. Prints per-mode timings and the
encrypted/plain ratios; the last stdout line is one JSON object.

    python benchmarks/privacy.py --people 2000 --world-dir /tmp/world-2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [
    str(_ROOT),
    *(p for p in sys.path if Path(p or ".").resolve() != _ROOT / "benchmarks"),
]
import demo_world  # noqa: E402
from benchmarks.machine import machine_info  # noqa: E402
from customer_graph.runtime import build_pipeline, graph_store  # noqa: E402
from customer_graph.settings import Settings  # noqa: E402
from identity import graph_reads  # noqa: E402
from ingestion.file_import import FileKind, import_file  # noqa: E402


async def one_mode(world: Path, encrypt: bool, profiles: int) -> dict[str, float]:
    """Timings of one mode in a fresh data dir."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), encrypt_pii=encrypt)
        async with graph_store(settings) as store:
            pipeline = build_pipeline(settings, store)
            try:
                start = time.perf_counter()
                report = await import_file(pipeline, world / "records.csv", FileKind.RECORDS)
                ingest = time.perf_counter() - start
            finally:
                pipeline.close()
            start = time.perf_counter()
            records = await graph_reads.all_records(store)
            read_all = time.perf_counter() - start
            keys = [r.key for r in records[:profiles]]
            singles = []
            for key in keys:
                begin = time.perf_counter()
                await store.read("records/get_records", {"keys": [key]})
                singles.append(time.perf_counter() - begin)
        return {
            "records": float(report.accepted),
            "ingest_s": ingest,
            "ingest_records_per_s": report.accepted / ingest,
            "read_all_s": read_all,
            "read_one_p50_ms": median(singles) * 1000,
        }


async def run(world: Path, profiles: int) -> dict[str, Any]:
    """Both modes, twice, interleaved (on, off, off, on)."""
    runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for encrypt in (True, False, False, True):
        runs[encrypt].append(await one_mode(world, encrypt, profiles))
    modes = {
        ("encrypted" if encrypt else "plain"): {
            key: median(r[key] for r in found) for key in found[0]
        }
        for encrypt, found in runs.items()
    }
    enc, plain = modes["encrypted"], modes["plain"]
    return {
        "benchmark": "privacy",
        "machine": machine_info(),
        "world_records": int(enc["records"]),
        "modes": modes,
        "ratios_encrypted_over_plain": {
            "ingest_s": enc["ingest_s"] / plain["ingest_s"],
            "read_all_s": enc["read_all_s"] / plain["read_all_s"],
            "read_one_p50_ms": enc["read_one_p50_ms"] / plain["read_one_p50_ms"],
        },
    }


def main() -> None:
    """Parse arguments, generate or reuse the world, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--world-dir", type=Path, default=None)
    parser.add_argument("--profiles", type=int, default=300, help="single-record reads")
    args = parser.parse_args()
    world = args.world_dir or Path(tempfile.mkdtemp(prefix="privacy-world-"))
    if not (world / "records.csv").is_file():
        config = demo_world.DemoWorldConfig(seed=args.seed, people=args.people, output_dir=world)
        demo_world.generate(config)
    result = asyncio.run(run(world, args.profiles))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
