"""GraphSAGE against popularity, item-kNN, matrix factorisation (and more) in one run.

    python benchmarks/recs.py --dataset demo
    python benchmarks/recs.py --dataset retail
    python benchmarks/recs.py --interactions u.data --sep tab --columns user,item,rating,timestamp
    python benchmarks/recs.py --dataset demo --variant nobias:item_bias=false

`--set KEY=VALUE` overrides a recipe key; each `--variant NAME:KEY=VALUE,...` also trains
GraphSAGE with those overrides on the same split (A/B in one run, reported under `variants`).

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
from gnn.comparison import MAIN_METRIC, compare, comparison_table, train_and_score
from gnn.config import GnnConfig, load_config


def _value(text: str) -> object:
    """A JSON literal (true, 0.5, "x") or else the plain string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_overrides(text: str) -> dict[str, object]:
    """``key=value,key=value`` as a dict of typed values (empty text: no overrides)."""
    overrides: dict[str, object] = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"override {part!r}: expected KEY=VALUE")
        overrides[key.strip()] = _value(value.strip())
    return overrides


def parse_variant(text: str, base: GnnConfig) -> tuple[str, dict[str, object], GnnConfig]:
    """``NAME:key=value,...`` as its name, overrides and the resulting config."""
    name, sep, rest = text.partition(":")
    if not sep or not name:
        raise SystemExit(f"--variant {text!r}: expected NAME:KEY=VALUE,...")
    overrides = parse_overrides(rest)
    return name, overrides, base.with_overrides(**overrides)


def main() -> None:
    """Run the comparison and print the table (stderr) and the JSON line (stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_dataset_arguments(parser)
    parser.add_argument("--config", type=Path, help="GraphSAGE hyper-parameter TOML file")
    parser.add_argument("--max-epochs", type=int, help="override the config's max_epochs")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe key"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE,...",
        help="also train GraphSAGE with these recipe overrides on the same split",
    )
    args = parser.parse_args()
    config = load_config(args.config, preset="demo" if args.dataset == "demo" else "default")
    if args.max_epochs:
        config = config.with_overrides(max_epochs=args.max_epochs)
    config = config.with_overrides(**parse_overrides(",".join(args.set)))
    variants = [parse_variant(text, config) for text in args.variant]
    load_before = os.getloadavg()[0]
    data = load_dataset(args)
    started = time.perf_counter()
    comparison = compare(data, config, progress=log)
    for row in comparison_table(comparison):
        log("  ".join(f"{cell:>12}" for cell in row))
    summary = comparison.summary(data)
    best = comparison.metrics[comparison.best_baseline][MAIN_METRIC]
    summary["variants"] = {}
    for name, overrides, variant_config in variants:
        log(f"variant {name}: {overrides}")
        run, metrics = train_and_score(comparison.split, variant_config, log)
        summary["variants"][name] = {
            "overrides": overrides,
            **{k: round(float(v), 5) for k, v in metrics.items()},
            "over_best_baseline": round(metrics[MAIN_METRIC] / best, 4) if best > 0 else None,
            "train_seconds": round(run.seconds, 2),
            "best_epoch": run.best_epoch,
            "user_id_scale": run.model.user_id_scale,
        }
        log(f"variant {name}: ndcg@20 {metrics[MAIN_METRIC]:.4f} in {run.seconds:.1f}s")
    result = {
        "benchmark": "recs",
        "dataset": args.dataset or str(args.interactions),
        **{name: values for name, values in summary.pop("models").items()},
        **summary,
        "target_ratio": 1.10,
        "total_seconds": round(time.perf_counter() - started, 1),
        "config": config.model_dump(),
        # 1-minute load average at the start and the end: the machine is shared
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "machine": machine_info(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
