"""Per-request latency of GNN recommendation serving (gnn.serving), in process.

Builds a synthetic but well-formed artifact (random embeddings clustered by category,
random layer inputs and convolution weights, Zipf-like item popularity, 5-50 training items
per user) with `--items` items, `--users` users, dimension `--dim` and `--layers` layers,
saves it through `gnn.registry.GnnRegistry` in a temporary directory, promotes it, loads it
with `RecommendationService` and times `--requests` requests per case after a warm-up:

- ``known_k10`` / ``known_k20``: known users, their training items excluded;
- ``known_category_k20``: the same with a one-category filter;
- ``inductive_k20``: users unknown to the model with 10 interactions each;
- ``popularity_k20``: anonymous users (popularity fallback);
- ``similar_items_k20``: cosine neighbours of an item.

The artifact carries an ``item_bias`` array (added to user scores) unless ``--no-item-bias``.

BLAS runs single-threaded unless ``OPENBLAS_NUM_THREADS`` is set (reported in the output).
``cpu_*`` is the calling thread's CPU time (insensitive to other load on a shared machine,
but blind to BLAS worker threads). Last stdout line: one JSON object; ``p50_ms`` and
``p99_ms`` at the top are the ``known_k20`` case.

    python benchmarks/serving.py --items 100000 --users 10000 --dim 64 --requests 2000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
# One BLAS thread per request unless told otherwise: on a shared 2-core machine two OpenBLAS
# threads made the 100k x 64 matvec 3-4x slower (spinning threads competing for the cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np

from benchmarks.machine import machine_info
from benchmarks.timing import time_calls
from gnn.artifact_contract import seen_csr
from gnn.registry import GnnRegistry
from gnn.serving import RecommendationService

CATEGORIES = 40
FEATURES = 256


def synthetic_artifact(
    n_items: int, n_users: int, dim: int, layers: int, seed: int, item_bias: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and meta of the right names, shapes and dtypes (values random, not trained);
    with `item_bias`, a per-item score term like the shipped recipes' (log-popularity)."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    sizes = rng.dirichlet(np.full(CATEGORIES, 2.0))
    codes = rng.choice(CATEGORIES, size=n_items, p=sizes).astype(np.int32)
    centroids = rng.normal(0, 1, (CATEGORIES, dim))
    items = (centroids[codes] + rng.normal(0, 0.7, (n_items, dim))) / np.sqrt(dim)
    popularity_weights = 1.0 / np.arange(1, n_items + 1) ** 0.8
    popularity_weights = rng.permutation(popularity_weights / popularity_weights.sum())
    counts = rng.integers(5, 51, n_users)
    cdf = np.cumsum(popularity_weights)
    drawn = np.minimum(np.searchsorted(cdf, rng.random(int(counts.sum()))), n_items - 1)
    indptr, indices = seen_csr(np.repeat(np.arange(n_users), counts), drawn, n_users)
    taste = rng.choice(CATEGORIES, size=n_users)
    users = (centroids[taste] + rng.normal(0, 1.0, (n_users, dim))) / np.sqrt(dim)

    def matrix(rows: int) -> np.ndarray:
        return rng.normal(0, 1 / np.sqrt(dim), (rows, dim)).astype(f32)

    arrays: dict[str, np.ndarray] = {
        "user_embeddings": users.astype(f32),
        "item_embeddings": items.astype(f32),
        "item_popularity": np.bincount(indices, minlength=n_items).astype(f32),
        "unknown_user_x0": np.zeros(dim, f32),
        "item_feature_w": matrix(FEATURES),
        "item_feature_b": np.zeros(dim, f32),
        "unknown_item_x0": np.zeros(dim, f32),
        "seen_indptr": indptr,
        "seen_indices": indices,
        "item_category_codes": codes,
    }
    if item_bias:
        arrays["item_bias"] = (0.1 * np.log1p(arrays["item_popularity"])).astype(f32)
    for layer in range(layers):
        arrays[f"user_layer_{layer}"] = matrix(n_users)
        arrays[f"item_layer_{layer}"] = matrix(n_items)
        for side in ("user", "item"):
            arrays[f"{side}_conv_{layer}_wn"] = matrix(dim)
            arrays[f"{side}_conv_{layer}_bn"] = np.zeros(dim, f32)
            arrays[f"{side}_conv_{layer}_ws"] = matrix(dim)
    meta = {
        "user_ids": [f"user-{u:06d}" for u in range(n_users)],
        "item_ids": [f"item-{i:07d}" for i in range(n_items)],
        "data_hash": f"synthetic-{seed}",
        "categories": [f"category-{c:02d}" for c in range(CATEGORIES)],
        "activation": "relu",
        "aggregation": "mean",
        "combine": "mean",
        "metrics": {"synthetic": True},
    }
    return arrays, meta


def _timings(run: Callable[[int], object], requests: int, warmup: int) -> dict[str, float]:
    """Wall-clock and calling-thread CPU p50/p99/mean per request."""
    for index in range(warmup):
        run(index)
    return time_calls((partial(run, index) for index in range(requests)), "requests")


def main() -> None:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-item-bias", action="store_true", help="an artifact without the item_bias array"
    )
    args = parser.parse_args()
    load_before = os.getloadavg()

    started = time.perf_counter()
    arrays, meta = synthetic_artifact(
        args.items, args.users, args.dim, args.layers, args.seed, not args.no_item_bias
    )
    build_s = time.perf_counter() - started
    rng = np.random.default_rng(args.seed + 1)
    n = args.requests + args.warmup
    users = [meta["user_ids"][u] for u in rng.integers(0, args.users, n)]
    item_ids = meta["item_ids"]
    categories = [meta["categories"][c] for c in rng.integers(0, CATEGORIES, n)]
    histories = [
        [(item_ids[i], 1.0) for i in rng.choice(args.items, 10, replace=False)] for _ in range(n)
    ]
    anchors = [item_ids[i] for i in rng.integers(0, args.items, n)]

    with tempfile.TemporaryDirectory() as tmp:
        registry = GnnRegistry(Path(tmp))
        started = time.perf_counter()
        saved = registry.save(arrays, {"state_dict.pt": b""}, meta)
        save_s = time.perf_counter() - started
        artifact_mb = sum(p.stat().st_size for p in saved.path.iterdir()) / 2**20
        started = time.perf_counter()
        registry.promote(saved.version)
        promote_s = time.perf_counter() - started
        del arrays
        started = time.perf_counter()
        service = RecommendationService(Path(tmp), reload_check_seconds=1.0)
        load_s = time.perf_counter() - started

        def known(k: int) -> Callable[[int], object]:
            return lambda i: service.recommend(users[i], k)

        cases: dict[str, Callable[[int], object]] = {
            "known_k10": known(10),
            "known_k20": known(20),
            "known_category_k20": lambda i: service.recommend(
                users[i], 20, categories={categories[i]}
            ),
            "inductive_k20": lambda i: service.recommend(None, 20, interactions=histories[i]),
            "popularity_k20": lambda i: service.recommend(None, 20),
            "similar_items_k20": lambda i: service.similar_items(anchors[i], 20),
        }
        checks = {
            "known": service.recommend(users[0], 20).source,
            "inductive": service.recommend(None, 20, interactions=histories[0]).source,
            "popularity": service.recommend(None, 20).source,
        }
        assert checks == {"known": "model", "inductive": "inductive", "popularity": "popularity"}
        results = {name: _timings(run, args.requests, args.warmup) for name, run in cases.items()}

    main_case = results["known_k20"]
    print(
        json.dumps(
            {
                "benchmark": "serving",
                "items": args.items,
                "users": args.users,
                "dim": args.dim,
                "layers": args.layers,
                "item_bias": not args.no_item_bias,
                "p50_ms": main_case["p50_ms"],
                "p99_ms": main_case["p99_ms"],
                "target_p99_ms": 5.0,
                "cases": results,
                "build_s": round(build_s, 2),
                "save_s": round(save_s, 2),
                "promote_verify_s": round(promote_s, 2),
                "load_s": round(load_s, 2),
                "artifact_mb": round(artifact_mb, 1),
                "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
                "openblas_num_threads": os.environ["OPENBLAS_NUM_THREADS"],
                "machine": {**machine_info(), "numpy": np.__version__},
            }
        )
    )


if __name__ == "__main__":
    main()
