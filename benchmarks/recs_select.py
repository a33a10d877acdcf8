"""Choose recipe values without the test split: GraphSAGE variants on an inner temporal split.

    python benchmarks/recs_select.py --dataset retail --variant a:user_id_scale=0.5 ...

The outer split (`gnn.split.temporal_split`, the one `benchmarks/recs.py` reports test figures
on) is made as usual and only its *training* rows are used: they are split again per user
with the same fractions, so the inner test items come after an inner validation window, the
gap structure of the outer test (targets after interactions the model never learned from).
Each variant trains on the inner training rows (early stop on the inner validation) and is
scored on the inner test; the outer validation and test rows are never read. The last stdout
line is JSON: per variant NDCG@20 on the inner test (also at each `--scales` value of
user_id_scale, rescoring the same trained model), train seconds and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from benchmarks.recs import parse_overrides, parse_variant
from benchmarks.recs_datasets import add_dataset_arguments, load_dataset, log
from gnn.comparison import MAIN_METRIC, embedding_scores, train_and_score
from gnn.config import load_config
from gnn.metrics import ranking_metrics
from gnn.split import Split, temporal_split
from gnn.training import TrainingRun


def inner_split(data_split: Split) -> Split:
    """The outer split's training rows, split again by time per user (same fractions)."""
    return temporal_split(data_split.train)


def scores_at(run: TrainingRun, split: Split, scales: list[float]) -> dict[str, float]:
    """Test NDCG@20 of `split` with the model's user_id_scale set to each value (restored)."""
    kept = run.model.user_id_scale
    out: dict[str, float] = {}
    for scale in scales:
        run.model.user_id_scale = scale
        scores = embedding_scores(*run.scoring_embeddings())
        out[f"{scale:g}"] = round(ranking_metrics(scores, split, ks=(20,))[MAIN_METRIC], 5)
    run.model.user_id_scale = kept
    return out


def main() -> None:
    """Train every variant on the inner split and print the inner-test figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_dataset_arguments(parser)
    parser.add_argument("--config", type=Path, help="GraphSAGE hyper-parameter TOML file")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE,...")
    parser.add_argument(
        "--scales", default="1,0.75,0.5,0.3", help="user_id_scale values to rescore at"
    )
    args = parser.parse_args()
    config = load_config(args.config, preset="demo" if args.dataset == "demo" else "default")
    config = config.with_overrides(**parse_overrides(",".join(args.set)))
    variants = [parse_variant(text, config) for text in args.variant or ["recipe:"]]
    scales = [float(value) for value in args.scales.split(",") if value]
    inner = inner_split(temporal_split(load_dataset(args)))
    log(f"inner split: {len(inner.train)} train, {len(inner.valid)} valid, {len(inner.test)} test")
    results = {}
    for name, overrides, variant_config in variants:
        load_before, cpu_before = os.getloadavg()[0], time.process_time()
        run, metrics = train_and_score(inner, variant_config, log)
        results[name] = {
            "overrides": overrides,
            "inner_test_ndcg@20": round(metrics[MAIN_METRIC], 5),
            "user_id_scale": run.model.user_id_scale,
            "inner_test_at_user_id_scale": scores_at(run, inner, scales),
            "best_epoch": run.best_epoch,
            "train_seconds": round(run.seconds, 2),
            "cpu_seconds": round(time.process_time() - cpu_before, 1),
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        log(f"variant {name}: inner test ndcg@20 {metrics[MAIN_METRIC]:.4f} in {run.seconds:.1f}s")
    print(json.dumps({"benchmark": "recs_select", "variants": results}))


if __name__ == "__main__":
    main()
