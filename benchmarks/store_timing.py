"""Where one operation's time goes: a GraphStore wrapper that times every call it passes on.

The incremental benchmark resolves each held-out record through a `TimedStore`, so its JSON
can say, per step (query, or unit of work), how many calls a record makes and how long they
take, how much time is spent between calls (Python: scoring, clustering, sealing), and what
the slowest records did.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.port import GraphStore, Params, Row, ServerInfo, Statement, WriteResult, WriteSummary
from graph.queries import QueryRef

Call = tuple[str, float, float]  # step name, start (s, perf_counter), duration (s)


def _name(query: QueryRef) -> str:
    return query if isinstance(query, str) else query.name


class TimedStore(GraphStore):
    """Passes every call to `inner`, recording (step, start, duration) in `calls`."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.queries = inner.queries
        self.batch_size = inner.batch_size
        self.calls: list[Call] = []

    async def read(self, query: QueryRef, params: Params | None = None) -> list[Row]:
        """The inner store's read, timed."""
        started = time.perf_counter()
        try:
            return await self.inner.read(query, params)
        finally:
            self.calls.append((_name(query), started, time.perf_counter() - started))

    async def write(self, query: QueryRef, params: Params | None = None) -> WriteResult:
        """The inner store's write, timed."""
        started = time.perf_counter()
        try:
            return await self.inner.write(query, params)
        finally:
            self.calls.append((_name(query), started, time.perf_counter() - started))

    async def _commit(self, statements: Sequence[Statement]) -> WriteSummary:
        started = time.perf_counter()
        try:
            return await self.inner._commit(statements)
        finally:
            names = "+".join(dict.fromkeys(_name(s.ref) for s in statements))
            self.calls.append((f"unit of work: {names}", started, time.perf_counter() - started))

    async def ensure_schema(self) -> None:
        """The inner store's schema."""
        await self.inner.ensure_schema()

    async def ping(self) -> ServerInfo:
        """The inner store's answer."""
        return await self.inner.ping()

    async def close(self) -> None:
        """Nothing: the inner store belongs to the caller."""


def busy(calls: Sequence[Call]) -> float:
    """Seconds during which at least one call was in flight (concurrent calls count once)."""
    total, end = 0.0, float("-inf")
    for start, duration in sorted((s, d) for _, s, d in calls):
        stop = start + duration
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


@dataclass
class StepTimes:
    """Per-operation call records, summarised per step."""

    operations: list[tuple[float, list[Call]]] = field(default_factory=list)  # total s, calls

    def add(self, total: float, calls: list[Call]) -> None:
        """One operation: its wall time and the calls it made."""
        self.operations.append((total, calls))

    def summary(self) -> dict[str, Any]:
        """Per step: calls per operation, mean/p50/p99 ms per call and ms per operation;
        `between calls`: each operation's time with no call in flight."""
        count = len(self.operations)
        durations: dict[str, list[float]] = {}
        for _, calls in self.operations:
            for name, _, seconds in calls:
                durations.setdefault(name, []).append(seconds * 1000)
        between = [1000 * (total - busy(calls)) for total, calls in self.operations]
        steps = {name: _stats(values, count) for name, values in sorted(durations.items())}
        return steps | {"between calls": _stats(between, count)}


def _stats(values: list[float], operations: int) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "calls_per_record": round(len(values) / operations, 2),
        "mean_ms": round(statistics.fmean(values), 2),
        "p50_ms": round(statistics.median(values), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "ms_per_record": round(sum(values) / operations, 2),
    }
