"""The incremental benchmark's per-step breakdown: time in flight and between calls."""

from __future__ import annotations

from benchmarks.store_timing import StepTimes, busy


def test_concurrent_calls_count_once() -> None:
    calls = [("a", 0.0, 0.010), ("b", 0.005, 0.010), ("c", 0.030, 0.005)]
    assert abs(busy(calls) - 0.020) < 1e-12  # 0-15 ms and 30-35 ms
    assert busy([]) == 0.0


def test_summary_per_step_and_between_calls() -> None:
    steps = StepTimes()
    steps.add(0.030, [("read", 0.0, 0.010), ("read", 0.010, 0.010)])
    steps.add(0.010, [("write", 0.0, 0.004)])
    summary = steps.summary()
    assert summary["read"]["calls_per_record"] == 1.0
    assert summary["read"]["mean_ms"] == 10.0
    assert summary["read"]["ms_per_record"] == 10.0
    assert summary["write"]["ms_per_record"] == 2.0
    between = summary["between calls"]  # 30 - 20 ms, then 10 - 4 ms
    assert (between["mean_ms"], between["calls_per_record"]) == (8.0, 1.0)
