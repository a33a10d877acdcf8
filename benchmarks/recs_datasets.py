"""Datasets for the recommendation benchmark (`benchmarks/recs.py`): options and loading.

    --dataset demo        the generated demo world (oracle identity), cached by seed and size
    --dataset retail      Online Retail II 2009-2010 (real purchases)
    --dataset graph       the configured graph store: resolved customers x items
    --interactions PATH   any interaction log: --sep, --columns, --items, --min-rating, ...

Column specs: `gnn.column_specs`; weighting rules: `gnn.loaders`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks.*` as a script
import demo_world
from customer_graph.runtime import graph_store
from customer_graph.settings import get_settings
from gnn.dataset import export_graph
from gnn.demo_loader import load_demo_world
from gnn.interactions import Interactions
from gnn.loaders import load_interactions
from gnn.retail_loader import default_retail_path, load_online_retail

RETAIL_PATH = default_retail_path()


def log(message: str) -> None:
    """Progress of the recommendation benchmark, on stderr."""
    print(f"[recs-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def default_cache_dir() -> Path:
    """``$CG_DATA_DIR/benchmarks`` (``data/benchmarks`` when unset), shared with identity."""
    return Path(os.environ.get("CG_DATA_DIR", "data")) / "benchmarks"


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the dataset options (--dataset or --interactions and their companions)."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--dataset",
        choices=("demo", "retail", "graph"),
        help="a built-in dataset; graph = a snapshot of the configured store (resolved "
        "customers, e.g. after make demo)",
    )
    source.add_argument(
        "--interactions", metavar="PATH", help="an interaction log (CSV, TSV, .dat, parquet)"
    )
    group = parser.add_argument_group("dataset options")
    group.add_argument("--people", type=int, default=5000, help="demo world size")
    group.add_argument("--seed", type=int, default=42, help="demo world seed")
    group.add_argument(
        "--cache-dir", help="generated demo worlds (default: $CG_DATA_DIR/benchmarks)"
    )
    group.add_argument(
        "--retail-path", default=str(RETAIL_PATH), help="the Online Retail II parquet file"
    )
    group.add_argument(
        "--sep", help="separator: tab, comma, semicolon, pipe, space, colons (::) or literal"
    )
    group.add_argument(
        "--columns",
        help="role=column,... for header files (user=userId,item=movieId,rating=rating,"
        "timestamp=timestamp) or bare role names in order for headerless files "
        "(user,item,rating,timestamp)",
    )
    group.add_argument("--header", action="store_true", help="bare --columns over a header row")
    group.add_argument("--min-rating", type=float, help="drop ratings below this")
    group.add_argument("--items", metavar="PATH", help="item metadata file")
    group.add_argument(
        "--item-columns", help="role=column,... of --items (id, category, text, brand, price)"
    )
    group.add_argument("--items-sep", help="separator of --items (as --sep)")


async def _graph_snapshot() -> Interactions:
    settings = get_settings()
    async with graph_store(settings) as store:
        data, _ = await export_graph(store)
    return data


def load_dataset(args: argparse.Namespace) -> Interactions:
    """The interactions the options name (the demo world is generated into the cache once)."""
    started = time.perf_counter()
    if args.interactions:
        data = load_interactions(
            args.interactions,
            sep=args.sep,
            columns=args.columns,
            header=True if args.header else None,
            min_rating=args.min_rating,
            items_path=args.items,
            item_columns=args.item_columns,
            items_sep=args.items_sep,
        )
    elif args.dataset == "retail":
        data = load_online_retail(args.retail_path)
    elif args.dataset == "graph":
        data = asyncio.run(_graph_snapshot())
    elif args.dataset == "demo":
        cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
        directory = cache / f"demo-seed{args.seed}-people{args.people}"
        config = demo_world.DemoWorldConfig(
            seed=args.seed, people=args.people, output_dir=directory
        )
        demo_world.ensure(config)
        log(f"demo world ready in {directory} ({time.perf_counter() - started:.1f}s)")
        data = load_demo_world(directory)
    else:
        raise SystemExit("give --dataset or --interactions")
    log(
        f"{data.source}: {len(data)} pairs, {data.n_users} users, {data.n_items} items "
        f"({time.perf_counter() - started:.1f}s)"
    )
    return data
