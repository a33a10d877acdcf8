"""Per-call latency of scoring one new record against 1, 50 and 200 candidates.

Trains a Splink model on a generated demo world (as tests/identity/splink_demo_model.py
does), then per candidate-set size times, on the same inputs in the same run: the compiled
scorer (identity.fast_scoring, Python levels with DuckDB fallback), the same scorer with
every level in DuckDB (engine="duckdb"), and Splink's own ``score_pairs`` and
``predict_between``. Candidates are the new record's blocked candidates (same last name,
email, phone or postcode) topped up with random records. ``cpu_*`` is the calling
thread's CPU time: insensitive to other load for the Python scorer, but blind to DuckDB's
worker threads (so not meaningful for Splink). Last stdout line: one JSON object.

    python benchmarks/fast_scoring.py --people 1000 --calls 300 --splink-calls 20
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
import pandas as pd

from benchmarks.machine import machine_info
from benchmarks.timing import time_calls
from identity.fast_scoring import CompiledModel
from tests.identity.splink_demo_model import DemoModel, demo_frame, to_frame, train_demo_model

SIZES = (1, 50, 200)
BLOCKING_KEYS = ("last_name", "email", "phone", "postcode")
Inputs = list[tuple[dict[str, Any], list[dict[str, Any]]]]
Runner = Callable[[dict[str, Any], list[dict[str, Any]]], object]


def _inputs(records: list[dict[str, Any]], size: int, calls: int, seed: int) -> Inputs:
    rng = random.Random(seed)
    found = []
    for _ in range(calls):
        new = rng.choice(records)
        blocked = [
            r
            for r in records
            if r is not new and any(new[k] is not None and r[k] == new[k] for k in BLOCKING_KEYS)
        ]
        others = [r for r in rng.sample(records, size + 1) if r is not new]
        found.append((new, (blocked + others)[:size]))
    return found


def _timings(run: Runner, inputs: Inputs) -> dict[str, float]:
    """Wall-clock p50/p99/mean per call, and the calling thread's CPU time (load-proof)."""
    run(*inputs[0])  # warm-up: first-use caches, lazy imports
    return time_calls(partial(run, new, candidates) for new, candidates in inputs)


def _splink_runs(demo: DemoModel) -> dict[str, Runner]:
    inference, db_api = demo.linker.inference, demo.db_api

    def score_pairs(new: dict[str, Any], candidates: list[dict[str, Any]]) -> object:
        return to_frame(inference.score_pairs([new], candidates))

    def predict_between(new: dict[str, Any], candidates: list[dict[str, Any]]) -> object:
        left = db_api.register(pd.DataFrame([new]))
        right = db_api.register(pd.DataFrame(candidates))
        return to_frame(inference.predict_between(left, right, warning_mode="never"))

    return {"splink_score_pairs": score_pairs, "splink_predict_between": predict_between}


def _largest_difference(model: CompiledModel, demo: DemoModel, inputs: Inputs) -> float:
    """Max |match weight| difference between the scorer and Splink's score_pairs."""
    worst = 0.0
    for new, candidates in inputs:
        ours = {s.right_id: s.match_weight for s in model.score(new, candidates)}
        theirs = to_frame(demo.linker.inference.score_pairs([new], candidates))
        for right, weight in zip(theirs["unique_id_r"], theirs["match_weight"], strict=True):
            worst = max(worst, abs(ours[right] - weight))
    return worst


def main() -> None:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--splink-calls", type=int, default=20)
    args = parser.parse_args()
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as tmp:
        frame = demo_frame(Path(tmp), people=args.people)
    started = time.perf_counter()
    demo = train_demo_model(frame)
    trained_s = time.perf_counter() - started
    started = time.perf_counter()
    model = CompiledModel.from_settings(demo.settings, demo.term_frequencies)
    compile_ms = (time.perf_counter() - started) * 1000
    reference = CompiledModel.from_settings(demo.settings, demo.term_frequencies, engine="duckdb")
    records = list(demo.records.values())

    sizes: dict[str, dict[str, Any]] = {}
    for size in SIZES:
        inputs = _inputs(records, size, args.calls, seed=size)
        few = inputs[: args.splink_calls]
        result: dict[str, Any] = {
            "fast": _timings(model.score, inputs),
            "fast_duckdb_engine": _timings(reference.score, few),
        }
        for name, run in _splink_runs(demo).items():
            result[name] = _timings(run, few)
        fast_p50 = result["fast"]["p50_ms"]
        for name in ("splink_score_pairs", "splink_predict_between"):
            result[f"{name}_p50_over_fast_p50"] = round(result[name]["p50_ms"] / fast_p50, 1)
        result["max_abs_match_weight_diff_vs_score_pairs"] = _largest_difference(
            model, demo, few[:5]
        )
        sizes[str(size)] = result

    print(
        json.dumps(
            {
                "benchmark": "fast_scoring",
                "people": args.people,
                "records": len(records),
                "comparisons": len(model.terms.comparisons),
                "python_comparisons": len(model.python_comparisons),
                "train_s": round(trained_s, 2),
                "compile_ms": round(compile_ms, 1),
                "sizes": sizes,
                "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
                "machine": machine_info(),
            }
        )
    )


if __name__ == "__main__":
    main()
