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
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

import numpy as np

from benchmarks.loopback_client import HttpError, LoopbackClient
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


async def _wait_ready(client: LoopbackClient, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if (await client.get("/readyz")).status == 200:
                return
        except HttpError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the API did not become ready in time")


async def _post(client: LoopbackClient, document: dict[str, Any], key: str) -> Any:
    answer = await client.post_json("/graphql", json.dumps(document).encode(), {"X-API-Key": key})
    return answer.status, json.loads(answer.body)


async def _schema_fields(client: LoopbackClient, key: str) -> set[str]:
    query = '{ __type(name: "Customer") { fields { name } } }'
    _status, body = await _post(client, {"query": query}, key)
    return {field["name"] for field in body["data"]["__type"]["fields"]}


async def _open_loop(
    customers: list[str],
    rate: float,
    send: Callable[[str], Awaitable[bool]],
    latencies: list[float],
) -> tuple[list[bool], float]:
    """Start one request per customer at `start + i / rate` (a task each, started on time
    whatever the earlier ones are doing); latency counts from the scheduled time."""

    async def one(customer: str, scheduled: float) -> bool:
        ok = await send(customer)
        latencies.append((time.perf_counter() - scheduled) * 1000)
        return bool(ok)

    tasks = []
    start = time.perf_counter() + 0.01
    for i, customer in enumerate(customers):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(customer, scheduled)))
    results = await asyncio.gather(*tasks)
    return results, time.perf_counter() - start


async def _drive(args: argparse.Namespace, port: int, key: str, meter: CpuMeter) -> dict[str, Any]:
    client = LoopbackClient("127.0.0.1", port, args.concurrency)
    try:
        await _wait_ready(client, time.monotonic() + 120)
        fields = await _schema_fields(client, key)
        parts = [PROFILE, RECOMMENDATIONS]
        optional = [n for n in OPTIONAL_PARTS if n in fields and n not in args.without]
        parts += [OPTIONAL_PARTS[name] for name in optional]
        query = "query($id: ID!) { customer(id: $id) { " + " ".join(parts) + " } }"
        total = min(args.max_requests, int(args.rate * args.seconds))
        customers = _customers(args.data_dir, total + args.warmup, args.seed)

        error_kinds: Counter[str] = Counter()

        async def send(customer: str) -> bool:
            try:
                status, body = await _post(
                    client, {"query": query, "variables": {"id": customer}}, key
                )
            except (HttpError, ValueError) as error:
                error_kinds[type(error).__name__ + ": " + str(error)[:80]] += 1
                return False
            if status != 200 or not isinstance(body, dict) or body.get("errors"):
                error_kinds[f"status {status}: {str(body)[:80]}"] += 1
                return False
            if not (body.get("data") or {}).get("customer"):
                error_kinds["no customer in the answer"] += 1
                return False
            return True

        await _open_loop(customers[: args.warmup], args.rate, send, [])
        latencies: list[float] = []
        cpu_before = meter.sample()
        results, elapsed = await _open_loop(customers[args.warmup :], args.rate, send, latencies)
        cpu_after = meter.sample()
    finally:
        await client.close()
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
        "error_kinds": dict(error_kinds.most_common(5)),
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
        figures = asyncio.run(_drive(args, port, key, meter))
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
