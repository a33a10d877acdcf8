"""Baselines on a planted dataset: each beats random clearly; ItemKNN follows co-consumption."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gnn.baseline_presets import PRESETS, make_baselines, tune
from gnn.baselines import EASE, CategoryPopularity, ItemKNN, MatrixFactorization, Popularity
from gnn.interactions import Interactions, aggregate
from gnn.metrics import evaluate_models
from gnn.recommender import Recommender
from gnn.split import Split, temporal_split

CLUSTERS, PER_CLUSTER, USERS = 5, 30, 400


class RandomScores:
    """Uniform random scores: the floor every baseline must clear."""

    name = "random"

    def __init__(self) -> None:
        self.rng = np.random.default_rng(7)
        self.n_items = 0

    def fit(self, train: Interactions) -> None:
        """Remember the catalogue size."""
        self.n_items = train.n_items

    def scores(self, users: np.ndarray) -> np.ndarray:
        """Fresh noise."""
        return self.rng.random((len(users), self.n_items)).astype(np.float32)


@pytest.fixture(scope="module")
def planted() -> Split:
    """Users each buy ~10 items of their own taste cluster (skewed popularity) + 1 stray."""
    rng = np.random.default_rng(0)
    popularity = 1.0 / np.arange(1, PER_CLUSTER + 1) ** 0.8
    popularity /= popularity.sum()
    users, items, times = [], [], []
    for user in range(USERS):
        cluster = user % CLUSTERS
        picks = rng.choice(PER_CLUSTER, size=10, replace=False, p=popularity)
        chosen = [cluster * PER_CLUSTER + int(p) for p in picks]
        chosen.append(int(rng.integers(CLUSTERS * PER_CLUSTER)))
        for item in chosen:
            users.append(f"u{user:03d}")
            items.append(f"i{item:03d}")
            times.append(int(rng.integers(0, 1_000_000)))
    data = aggregate(
        np.asarray(users), np.asarray(items), rng.integers(1, 4, len(users)), np.asarray(times)
    )
    clusters = [f"c{int(item[1:]) // PER_CLUSTER}" for item in data.item_ids]
    return temporal_split(replace(data, item_categories=clusters))


def test_every_baseline_beats_random_clearly(planted: Split) -> None:
    models: dict[str, Recommender] = {
        "random": RandomScores(),
        "popularity": Popularity(),
        "category_popularity": CategoryPopularity(),
        "itemknn": ItemKNN(),
        "mf": MatrixFactorization(),
        "ease": EASE(),
    }
    for model in models.values():
        model.fit(planted.train)
        scores = model.scores(np.arange(3))
        assert scores.shape == (3, planted.train.n_items)
        assert scores.dtype == np.float32
    results = evaluate_models(models, planted, ks=(10,))
    floor = results["random"]["recall@10"]
    assert floor < 0.15
    assert results["popularity"]["recall@10"] > 1.5 * floor
    for name in ("category_popularity", "itemknn", "mf", "ease"):
        assert results[name]["recall@10"] > max(0.4, 3 * floor), (name, results[name])
        assert results[name]["ndcg@10"] > 3 * results["random"]["ndcg@10"], name
        assert results[name]["recall@10"] > results["popularity"]["recall@10"], name


def test_category_popularity_without_categories_is_popularity(planted: Split) -> None:
    plain = replace(planted.train, item_categories=None)
    by_category, popularity = CategoryPopularity(), Popularity()
    by_category.fit(plain)
    popularity.fit(plain)
    users = np.arange(5)
    a, b = by_category.scores(users), popularity.scores(users)
    assert (np.argsort(-a, axis=1, kind="stable") == np.argsort(-b, axis=1, kind="stable")).all()


def test_itemknn_recommends_co_consumed_items() -> None:
    users, items = [], []
    for k in range(20):  # a and b bought together, c and d bought together
        users += [f"p{k}", f"p{k}", f"q{k}", f"q{k}"]
        items += ["a", "b", "c", "d"]
    users += ["x", "y", "y", "y", "z"]  # x bought a; c, d are the popular pair overall
    items += ["a", "c", "d", "e", "e"]
    data = aggregate(
        np.asarray(users), np.asarray(items), np.ones(len(users)), np.zeros(len(users))
    )
    model = ItemKNN(neighbours=2, shrink=0.0)
    model.fit(data)
    x = data.user_ids.index("x")
    scores = model.scores(np.array([x]))[0]
    assert data.item_ids[int(np.argmax(scores))] == "b"
    assert scores[data.item_ids.index("c")] == 0.0  # never bought with a


def test_presets_and_tuning(planted: Split) -> None:
    models = make_baselines("retail")
    assert list(models) == ["popularity", "category_popularity", "itemknn", "mf", "ease"]
    knn = models["itemknn"]
    assert isinstance(knn, ItemKNN)
    assert knn.neighbours == PRESETS["retail"]["itemknn"]["neighbours"]
    with pytest.raises(ValueError, match="unknown preset"):
        make_baselines("nope")
    tuned = tune("ease", planted, grid={"l2": [0.01, 50.0]})
    assert len(tuned.trials) == 2
    assert tuned.score == max(score for _, score in tuned.trials)
    assert tuned.params in [params for params, _ in tuned.trials]


def test_scores_before_fit_is_an_error() -> None:
    models = (Popularity(), CategoryPopularity(), ItemKNN(), MatrixFactorization(), EASE())
    for model in models:
        with pytest.raises(RuntimeError, match="call fit"):
            model.scores(np.arange(2))
