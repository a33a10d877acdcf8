"""Ranking metrics: hand-computed values, masking of seen items, user selection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gnn.interactions import Interactions
from gnn.metrics import ScoresFn, evaluate_models, ranking_metrics
from gnn.split import Split

ITEMS = [f"i{k}" for k in range(6)]


def table(pairs: list[tuple[int, int]], users: int = 2) -> Interactions:
    """Interactions with the given (user, item) pairs, weight 1, over a fixed index."""
    u = np.asarray([p[0] for p in pairs], np.int64)
    i = np.asarray([p[1] for p in pairs], np.int64)
    zeros = np.zeros(len(pairs), np.int64)
    return Interactions(
        u, i, np.ones(len(pairs), np.float32), zeros, zeros, [f"u{k}" for k in range(users)], ITEMS
    )


def fixed(scores: list[list[float]]) -> ScoresFn:
    """A scores_fn returning fixed rows per user."""
    matrix = np.asarray(scores, np.float32)
    return lambda users: matrix[users]


def test_hand_computed_recall_ndcg_hitrate_coverage() -> None:
    seen = table([(0, 0)])
    truth = table([(0, 2), (0, 4)])
    # user 0 ranks (after masking item 0): 1, 2, 3, 4, 5; user 1 has no truth: not evaluated
    scores = fixed([[10, 5, 4, 3, 2, 1], [0, 0, 0, 0, 0, 0]])
    out = ranking_metrics(scores, (seen, truth), ks=(2, 4))
    d = 1 / math.log2(3)
    assert out["users"] == 1
    assert out["recall@2"] == pytest.approx(1 / 2)
    assert out["ndcg@2"] == pytest.approx(d / (1 + d))
    assert out["hitrate@2"] == 1.0
    assert out["coverage@2"] == pytest.approx(2 / 6)
    assert out["recall@4"] == pytest.approx(1.0)
    assert out["ndcg@4"] == pytest.approx((d + 1 / math.log2(5)) / (1 + d))
    assert out["coverage@4"] == pytest.approx(4 / 6)


def test_recall_denominator_is_capped_at_k() -> None:
    truth = table([(0, k) for k in range(1, 6)])  # 5 held-out items
    scores = fixed([[0, 5, 4, 3, 2, 1], [0] * 6])
    out = ranking_metrics(scores, (table([]), truth), ks=(2,))
    assert out["recall@2"] == 1.0
    assert out["ndcg@2"] == pytest.approx(1.0)


def test_seen_items_are_never_recommended() -> None:
    seen = table([(0, 0), (0, 1), (1, 2)])
    truth = table([(0, 5), (1, 3)])
    loud = fixed([[100, 90, 1, 2, 3, 4], [5, 6, 100, 1, 0, 0]])  # seen items scored highest
    quiet = fixed([[-100, -90, 1, 2, 3, 4], [5, 6, -100, 1, 0, 0]])
    a = ranking_metrics(loud, (seen, truth), ks=(1, 3))
    b = ranking_metrics(quiet, (seen, truth), ks=(1, 3))
    assert a == b
    assert a["hitrate@1"] == 0.5  # user 0: item 5 ranks first once 0 and 1 are masked
    # a user who has seen everything but one item is recommended only that item
    nearly_all = table([(0, k) for k in range(5)])
    out = ranking_metrics(
        fixed([[9] * 6, [0] * 6]),
        (nearly_all, table([(0, 5)])),
        ks=(3,),
    )
    assert out["coverage@3"] == pytest.approx(1 / 6)
    assert out["recall@3"] == 1.0


def test_split_selects_seen_and_truth_and_users() -> None:
    train = table([(0, 0), (1, 0)])
    valid = table([(0, 1), (1, 1)])
    test = table([(0, 2), (1, 3)])
    split = Split(train, valid, test)
    scores = fixed([[6, 5, 4, 3, 2, 1], [6, 5, 4, 3, 2, 1]])
    on_test = ranking_metrics(scores, split, ks=(1,))
    assert on_test["recall@1"] == 0.5  # valid item 1 masked: user 0 gets 2 (hit), user 1 too
    on_valid = ranking_metrics(scores, split, ks=(1,), on="valid")
    assert on_valid["recall@1"] == 1.0  # only train masked: both get item 1
    only_one = ranking_metrics(scores, split, users=np.array([1]), ks=(1,))
    assert only_one["users"] == 1
    assert only_one["recall@1"] == 0.0


class Constant:
    """A fitted stand-in model: fixed scores for everyone."""

    name = "constant"

    def fit(self, train: Interactions) -> None:
        """Nothing to learn."""

    def scores(self, users: np.ndarray) -> np.ndarray:
        """Item index order, reversed."""
        return np.tile(np.arange(6, 0, -1, dtype=np.float32), (len(users), 1))


def naive_metrics(
    scores: np.ndarray, seen: Interactions, truth: Interactions, k: int
) -> tuple[float, float, float]:
    """NDCG, recall and coverage with per-user loops, written the textbook way."""
    ndcgs, recalls = [], []
    shown: set[int] = set()
    for user in range(truth.n_users):
        wanted = set(truth.items[truth.users == user].tolist())
        if not wanted:
            continue
        masked = set(seen.items[seen.users == user].tolist())
        ranked = [int(i) for i in np.argsort(-scores[user], kind="stable") if i not in masked][:k]
        shown.update(ranked)
        gains = [1 / math.log2(rank + 2) for rank, i in enumerate(ranked) if i in wanted]
        ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(wanted))))
        ndcgs.append(sum(gains) / ideal)
        recalls.append(len(gains) / min(k, len(wanted)))
    return float(np.mean(ndcgs)), float(np.mean(recalls)), len(shown) / truth.n_items


def test_vectorised_metrics_match_a_naive_loop() -> None:
    rng = np.random.default_rng(1)
    n_users, n_items = 300, 120
    cells = rng.choice(n_users * n_items, 6000, replace=False)
    users, items = cells // n_items, cells % n_items
    times = rng.integers(0, 10_000, len(cells))
    data = Interactions(
        users, items, np.ones(len(cells), np.float32), times, times,
        [str(u) for u in range(n_users)], [str(i) for i in range(n_items)],
    )  # fmt: skip
    seen, truth = data.subset(times < 7000), data.subset(times >= 7000)
    # scores favour low item indices, so coverage is below 1 and grows with k
    scores = (rng.normal(size=(n_users, n_items)) - np.arange(n_items) / 10).astype(np.float32)
    out = ranking_metrics(lambda u: scores[u], (seen, truth), ks=(5, 20), batch=64)
    for k in (5, 20):
        ndcg, recall, coverage = naive_metrics(scores, seen, truth, k)
        assert out[f"ndcg@{k}"] == pytest.approx(ndcg)
        assert out[f"recall@{k}"] == pytest.approx(recall)
        assert out[f"coverage@{k}"] == pytest.approx(coverage)
    assert out["coverage@5"] < out["coverage@20"] < 1


def test_evaluate_models_uses_the_test_part() -> None:
    small = Split(table([(0, 0)]), table([]), table([(0, 1), (1, 5)]))
    both = evaluate_models({"constant": Constant()}, small, ks=(1,))
    assert both["constant"]["recall@1"] == 0.5  # user 0 gets item 1 (hit), user 1 item 0
