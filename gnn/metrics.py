"""Top-k ranking metrics over full-catalogue scores, identical for every model.

For each evaluated user (one with at least one held-out item) every item is scored; items the
user has already interacted with (train and valid when testing, train when validating) are
set to -inf, so no model can recommend them, and the top k are taken. Per user, with T the
held-out items and H the hits among the top k:

- ``recall@k`` = |H| / min(k, |T|)  (so a perfect list scores 1 even when |T| > k);
- ``ndcg@k`` = DCG / IDCG with binary relevance, DCG = Σ_hits 1 / log2(rank + 1) (rank from 1),
  IDCG over min(k, |T|) hits;
- ``hitrate@k`` = 1 when |H| ≥ 1;

each averaged over users; ``coverage@k`` = distinct items recommended to any evaluated user /
n_items. ``users`` is the number of evaluated users.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from gnn.interactions import Interactions
from gnn.recommender import Recommender
from gnn.split import Split

ScoresFn = Callable[[np.ndarray], np.ndarray]


def _binary(data: Interactions) -> sp.csr_matrix:
    matrix = data.matrix(binary=True)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _seen_and_truth(
    data: Split | tuple[Interactions, Interactions], on: str
) -> tuple[Interactions, Interactions]:
    if isinstance(data, Split):
        if on == "test":
            return data.train_and_valid(), data.test
        if on == "valid":
            return data.train, data.valid
        raise ValueError(f"on must be 'test' or 'valid', not {on!r}")
    seen, truth = data
    return seen, truth


def ranking_metrics(
    scores_fn: ScoresFn,
    data: Split | tuple[Interactions, Interactions],
    users: np.ndarray | None = None,
    ks: Sequence[int] = (10, 20),
    batch: int = 1024,
    on: str = "test",
) -> dict[str, float]:
    """Recall, NDCG, hit rate and coverage at each k. `data` is a `Split` (evaluated `on` test
    or valid) or an explicit `(seen, truth)` pair; `users` restricts the evaluated users."""
    seen_rows, truth_rows = _seen_and_truth(data, on)
    n_items = truth_rows.n_items
    if seen_rows.n_items != n_items or seen_rows.n_users != truth_rows.n_users:
        raise ValueError("seen and truth interactions must share one index")
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ValueError("ks must be positive integers")
    seen = _binary(seen_rows)
    truth = _binary(truth_rows)
    n_truth = np.diff(truth.indptr)
    candidates = np.flatnonzero(n_truth > 0)
    if users is not None:
        candidates = np.intersect1d(candidates, np.asarray(users, np.int64))
    k_max = min(ks[-1], n_items)
    discount = 1.0 / np.log2(np.arange(2, k_max + 2, dtype=np.float64))
    ideal = np.concatenate(([0.0], np.cumsum(discount)))  # ideal[m] = IDCG of m hits
    sums = {f"{name}@{k}": 0.0 for k in ks for name in ("recall", "ndcg", "hitrate")}
    covered = {k: np.zeros(n_items, bool) for k in ks}

    for start in range(0, len(candidates), batch):
        block = candidates[start : start + batch]
        scores = np.array(scores_fn(block), dtype=np.float32, copy=True)
        if scores.shape != (len(block), n_items):
            raise ValueError(
                f"scores_fn returned shape {scores.shape}, expected {(len(block), n_items)}"
            )
        scores[np.isnan(scores)] = -np.inf
        sub = seen[block]
        scores[np.repeat(np.arange(len(block)), np.diff(sub.indptr)), sub.indices] = -np.inf
        if k_max < n_items:
            top = np.argpartition(-scores, k_max - 1, axis=1)[:, :k_max]
        else:
            top = np.broadcast_to(np.arange(n_items), (len(block), n_items)).copy()
        rows = np.arange(len(block))[:, None]
        top_scores = scores[rows, top]
        ranking = np.lexsort((top, -top_scores), axis=1)  # by score, ties by item index
        top = top[rows, ranking]
        valid = np.isfinite(scores[rows, top])  # -inf items are never "recommended"

        wanted = truth[block]
        relevant = np.zeros((len(block), n_items), bool)
        relevant[np.repeat(np.arange(len(block)), np.diff(wanted.indptr)), wanted.indices] = True
        hits = relevant[rows, top] & valid
        count = n_truth[block]
        for k in ks:
            kk = min(k, k_max)
            hit_k = hits[:, :kk]
            found = hit_k.sum(axis=1)
            best = np.minimum(count, k)
            dcg = (hit_k * discount[:kk]).sum(axis=1)
            sums[f"recall@{k}"] += float((found / best).sum())
            sums[f"ndcg@{k}"] += float((dcg / ideal[np.minimum(best, k_max)]).sum())
            sums[f"hitrate@{k}"] += float((found > 0).sum())
            covered[k][top[:, :kk][valid[:, :kk]]] = True

    evaluated = len(candidates)
    out: dict[str, float] = {}
    for k in ks:
        for name in ("recall", "ndcg", "hitrate"):
            key = f"{name}@{k}"
            out[key] = sums[key] / evaluated if evaluated else 0.0
        out[f"coverage@{k}"] = float(covered[k].sum() / n_items) if n_items else 0.0
    out["users"] = float(evaluated)
    return out


def evaluate_models(
    models: Mapping[str, Recommender],
    split: Split,
    ks: Sequence[int] = (10, 20),
    users: np.ndarray | None = None,
    on: str = "test",
) -> dict[str, dict[str, float]]:
    """`ranking_metrics` of already fitted models on the split's test (or valid) part."""
    return {
        name: ranking_metrics(model.scores, split, users=users, ks=ks, on=on)
        for name, model in models.items()
    }
