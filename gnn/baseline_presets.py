"""Baseline hyper-parameters per dataset (tuned once on validation splits) and the grid search.

`PRESETS["default"]` stays within ~10 % of the best on both tuned datasets; `tune` repeats
the search on a new dataset's own validation part (`GRIDS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from gnn.baselines import EASE, CategoryPopularity, ItemKNN, MatrixFactorization, Popularity
from gnn.metrics import ranking_metrics
from gnn.recommender import Recommender
from gnn.split import Split

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "default": {
        "popularity": {"by": "users"},
        "category_popularity": {"smoothing": 0.25},
        "itemknn": {"neighbours": 200, "weighting": "binary", "shrink": 50.0},
        "mf": {"factors": 64, "regularization": 30.0, "alpha": 3.0, "iterations": 15},
        "ease": {"l2": 500.0},
    },
    "demo": {
        "popularity": {"by": "users"},
        "category_popularity": {"smoothing": 0.25},
        "itemknn": {"neighbours": 2000, "weighting": "binary", "shrink": 100.0},
        "mf": {"factors": 64, "regularization": 30.0, "alpha": 3.0, "iterations": 15},
        "ease": {"l2": 1000.0},
    },
    "retail": {
        "popularity": {"by": "users"},
        "category_popularity": {"smoothing": 0.25},
        "itemknn": {"neighbours": 10, "weighting": "log", "shrink": 0.0},
        "mf": {"factors": 128, "regularization": 30.0, "alpha": 3.0, "iterations": 15},
        "ease": {"l2": 250.0},
    },
}
GRIDS: dict[str, dict[str, Sequence[Any]]] = {
    "popularity": {"by": ["users", "weight"]},
    "category_popularity": {"smoothing": [0.1, 0.25, 0.5, 1.0, 2.0]},
    "itemknn": {
        "neighbours": [10, 20, 50, 200, 2000],
        "weighting": ["binary", "log"],
        "shrink": [0.0, 10.0, 50.0, 100.0],
    },
    "mf": {
        "factors": [64, 128],
        "regularization": [1.0, 10.0, 30.0],
        "alpha": [1.0, 3.0, 10.0],
    },
    "ease": {"l2": [100.0, 250.0, 500.0, 1000.0, 2000.0]},
}
FACTORIES: dict[str, Callable[..., Recommender]] = {
    "popularity": Popularity,
    "category_popularity": CategoryPopularity,
    "itemknn": ItemKNN,
    "mf": MatrixFactorization,
    "ease": EASE,
}


def make_baselines(
    preset: str = "default",
    names: Sequence[str] = ("popularity", "category_popularity", "itemknn", "mf", "ease"),
) -> dict[str, Recommender]:
    """Unfitted baselines with a preset's hyper-parameters ("default", "demo", "retail")."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r} (known: {', '.join(PRESETS)})")
    return {name: FACTORIES[name](**PRESETS[preset][name], name=name) for name in names}


@dataclass(frozen=True)
class Tuned:
    """The outcome of a grid search: best parameters and every (parameters, score) tried."""

    params: dict[str, Any]
    score: float
    trials: list[tuple[dict[str, Any], float]]


def tune(
    name: str,
    split: Split,
    grid: Mapping[str, Sequence[Any]] | None = None,
    metric: str = "ndcg@20",
) -> Tuned:
    """Grid search of one baseline: fit on `split.train`, score `metric` on `split.valid`."""
    factory = FACTORIES[name]
    space = dict(grid if grid is not None else GRIDS[name])
    keys = list(space)
    k = int(metric.split("@")[1])
    trials: list[tuple[dict[str, Any], float]] = []
    for values in product(*(space[key] for key in keys)):
        params = dict(zip(keys, values, strict=True))
        model = factory(**params)
        model.fit(split.train)
        score = ranking_metrics(model.scores, split, ks=(k,), on="valid")[metric]
        trials.append((params, score))
    best, score = max(trials, key=lambda trial: trial[1])
    return Tuned(best, score, trials)
