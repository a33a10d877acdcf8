"""Per-call latency of an in-process function: wall clock and the calling thread's CPU time."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def time_calls(calls: Iterable[Callable[[], object]], count_key: str = "calls") -> dict[str, float]:
    """p50/p99/mean milliseconds per call, wall clock and CPU (CPU time is what a shared,
    noisy machine does not inflate), and how many calls ran under `count_key`."""
    wall, cpu = [], []
    for call in calls:
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(wall), 3),
        "p99_ms": round(p99(wall), 3),
        "mean_ms": round(statistics.fmean(wall), 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "cpu_p99_ms": round(p99(cpu), 3),
        count_key: len(wall),
    }
