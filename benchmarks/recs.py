"""GraphSAGE against popularity, item-kNN, matrix factorisation (and more) in one run.

    python benchmarks/recs.py --dataset demo
    python benchmarks/recs.py --dataset retail
    python benchmarks/recs.py --interactions u.data --sep tab --columns user,item,rating,timestamp

Every model is fit on the same training split (last interactions per user held out), GraphSAGE
early-stops on the validation split, and all are scored on the test split with the same
candidates (already-seen items excluded). The last stdout line is JSON: per-model metrics,
`best_baseline`, `graphsage_over_best_baseline` (NDCG@20 ratio), `train_seconds`, sizes and
the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit's ALS asks for it

from benchmarks.machine import machine_info
from benchmarks.recs_datasets import add_dataset_arguments, load_dataset, log
from gnn.comparison import compare, comparison_table
from gnn.config import load_config


def main() -> None:
    """Run the comparison and print the table (stderr) and the JSON line (stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_dataset_arguments(parser)
    parser.add_argument("--config", type=Path, help="GraphSAGE hyper-parameter TOML file")
    parser.add_argument("--max-epochs", type=int, help="override the config's max_epochs")
    args = parser.parse_args()
    data = load_dataset(args)
    config = load_config(args.config, preset="demo" if args.dataset == "demo" else "default")
    if args.max_epochs:
        config = config.with_overrides(max_epochs=args.max_epochs)
    started = time.perf_counter()
    comparison = compare(data, config, progress=log)
    for row in comparison_table(comparison):
        log("  ".join(f"{cell:>12}" for cell in row))
    summary = comparison.summary(data)
    result = {
        "benchmark": "recs",
        "dataset": args.dataset or str(args.interactions),
        **{name: values for name, values in summary.pop("models").items()},
        **summary,
        "target_ratio": 1.10,
        "total_seconds": round(time.perf_counter() - started, 1),
        "config": config.model_dump(),
        "machine": machine_info(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
