"""The frontend's GraphQL query under load: the API as its own process, driven over loopback.

    make demo                                   # a demo world, a resolved graph, a GNN model
    python benchmarks/api.py --rate 200 --seconds 20

Starts `customer-graph serve` on a free port over the data dir's store and models, then sends
the frontend query (profile + recommendations; segments and next-best-action join the query
when the schema has them) for random demo customers at a fixed rate (open loop: latency is
measured from each request's scheduled time, so a slow server cannot hide queueing). Bounded
by `--seconds` and `--max-requests`. The last stdout line is JSON with `rps`, `p50_ms`,
`p99_ms`, `errors`, the query parts, the data size, CPU per request of the API processes,
the embedded graph server and the load generator (`cpu_ms_per_request_*`, over the
measured requests), the load average and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

import aiohttp
import numpy as np

from benchmarks.machine import machine_info

PROFILE = "id profile { firstName lastName city country piiRedacted }"
RECOMMENDATIONS = "recommendations(first: 10) { source modelVersion items { itemId score } }"
OPTIONAL_PARTS = {
    "segments": "segments { segmentId name }",
    "nextBestAction": "nextBestAction { id }",
}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


class CpuMeter:
    """CPU seconds of the API (the server process and its workers), of the embedded graph
    server (its pid from the data dir's `falkordb/server.json`) and of this load generator."""

    def __init__(self, server_pid: int, data_dir: Path) -> None:
        self.server_pid = server_pid
        self.state = data_dir / "falkordb" / "server.json"

    def _graph_pid(self) -> int | None:
        try:
            return int(json.loads(self.state.read_text(encoding="utf-8"))["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def sample(self) -> dict[str, float]:
        """Cumulative CPU seconds per part."""
        api = [self.server_pid, *_children(self.server_pid)]
        graph = self._graph_pid()
        times = os.times()
        return {
            "api": sum(_cpu_seconds(pid) for pid in api if pid != graph),
            "graph": _cpu_seconds(graph) if graph is not None else 0.0,
            "loadgen": times.user + times.system,
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _customers(data_dir: Path, count: int, seed: int) -> list[str]:
    """Random customers of the served recommendation model (they exist in the graph)."""
    root = data_dir / "models" / "gnn"
    current = (root / "current").read_text(encoding="utf-8").strip()
    ids = json.loads((root / current / "ids.json").read_text(encoding="utf-8"))["user_ids"]
    customers = [user for user in ids if user.startswith("cus_")]
    rng = np.random.default_rng(seed)
    return [customers[i] for i in rng.integers(0, len(customers), count)]


async def _wait_ready(session: aiohttp.ClientSession, base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the API did not become ready in time")


async def _schema_fields(session: aiohttp.ClientSession, base: str, key: str) -> set[str]:
    query = '{ __type(name: "Customer") { fields { name } } }'
    async with session.post(
        f"{base}/graphql", json={"query": query}, headers={"X-API-Key": key}
    ) as response:
        body = await response.json()
    return {field["name"] for field in body["data"]["__type"]["fields"]}


async def _drive(args: argparse.Namespace, base: str, key: str, meter: CpuMeter) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await _wait_ready(session, base, time.monotonic() + 120)
        fields = await _schema_fields(session, base, key)
        parts = [PROFILE, RECOMMENDATIONS]
        optional = [n for n in OPTIONAL_PARTS if n in fields and n not in args.without]
        parts += [OPTIONAL_PARTS[name] for name in optional]
        query = "query($id: ID!) { customer(id: $id) { " + " ".join(parts) + " } }"
        total = min(args.max_requests, int(args.rate * args.seconds))
        customers = _customers(args.data_dir, total + args.warmup, args.seed)
        headers = {"X-API-Key": key}

        async def one(customer: str, scheduled: float, latencies: list[float]) -> bool:
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            payload = {"query": query, "variables": {"id": customer}}
            try:
                async with session.post(f"{base}/graphql", json=payload, headers=headers) as r:
                    body = await r.json()
                    ok = r.status == 200 and not body.get("errors") and body["data"]["customer"]
            except (aiohttp.ClientError, ValueError, KeyError, TypeError):
                ok = False
            latencies.append((time.perf_counter() - scheduled) * 1000)
            return bool(ok)

        warm: list[float] = []
        start = time.perf_counter()
        await asyncio.gather(
            *(one(c, start + i / args.rate, warm) for i, c in enumerate(customers[: args.warmup]))
        )
        latencies: list[float] = []
        cpu_before = meter.sample()
        start = time.perf_counter() + 0.05
        results = await asyncio.gather(
            *(
                one(c, start + i / args.rate, latencies)
                for i, c in enumerate(customers[args.warmup :])
            )
        )
        elapsed = time.perf_counter() - start
        cpu_after = meter.sample()
    values = np.array(latencies)
    cpu = {
        f"cpu_ms_per_request_{part}": round((cpu_after[part] - cpu_before[part]) * 1000 / total, 2)
        for part in cpu_before
    }
    return {
        "requests": total,
        "rps": round(total / elapsed, 1),
        "target_rps": args.rate,
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p90_ms": round(float(np.percentile(values, 90)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "max_ms": round(float(values.max()), 2),
        "errors": int(sum(1 for ok in results if not ok)),
        "query_parts": ["profile", "recommendations", *optional],
        "customers": len(set(customers)),
        **cpu,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    """Start the server, drive it, stop it, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("CG_DATA_DIR", "data"))
    )
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64, help="open connections at most")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="API worker processes")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=sorted(OPTIONAL_PARTS),
        help="leave an optional part out of the query (to see what it costs); repeatable",
    )
    args = parser.parse_args()
    if not (args.data_dir / "models" / "gnn" / "current").is_file():
        raise SystemExit(f"no promoted recommendation model under {args.data_dir}: run make demo")
    key = "bench-" + secrets.token_hex(12)
    port = _free_port()
    env = {
        **os.environ,
        "CG_DATA_DIR": str(args.data_dir),
        "CG_API_KEYS": json.dumps({key: "frontend"}),
        "CG_LOG_LEVEL": "WARNING",
        "OPENBLAS_NUM_THREADS": "1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "customer_graph",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        meter = CpuMeter(server.pid, args.data_dir)
        figures = asyncio.run(_drive(args, f"http://127.0.0.1:{port}", key, meter))
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "benchmark": "api",
        **figures,
        "workers": args.workers,
        "target_p99_ms": 25.0,
        "machine": machine_info(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
