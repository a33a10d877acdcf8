"""Real torch training on a planted world; the exported artifact served by the numpy side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from pydantic import ValidationError

from gnn.artifact import artifact_meta, model_arrays, state_dict_bytes
from gnn.comparison import compare, embedding_scores
from gnn.config import load_config
from gnn.dataset import to_hetero_data
from gnn.interactions import Interactions, ItemFeatures, aggregate
from gnn.metrics import ranking_metrics
from gnn.registry import GnnRegistry
from gnn.serving import RecommendationService, embed_user, load_version
from gnn.split import temporal_split
from gnn.training import TrainingRun, train_graphsage

CATEGORIES = 4
ITEMS_PER_CATEGORY = 25
# The shipped recipe (gnn/graphsage.toml), smaller and shorter.
FAST = load_config().with_overrides(dim=16, max_epochs=25, patience=25, user_batch=64)


def planted(users: int = 160, per_user: int = 12, seed: int = 3) -> Interactions:
    """Each user buys mostly from one category; items carry their category as a feature."""
    rng = np.random.default_rng(seed)
    user_keys, item_keys, times = [], [], []
    for user in range(users):
        favourite = user % CATEGORIES
        for step in range(per_user):
            category = favourite if rng.random() < 0.85 else int(rng.integers(CATEGORIES))
            item = category * ITEMS_PER_CATEGORY + int(rng.integers(ITEMS_PER_CATEGORY))
            user_keys.append(f"u{user:03d}")
            item_keys.append(f"i{item:03d}")
            times.append(step * 1000 + int(rng.integers(1000)))
    data = aggregate(np.array(user_keys), np.array(item_keys), np.ones(len(times)), np.array(times))
    categories = [f"c{int(item_id[1:]) // ITEMS_PER_CATEGORY}" for item_id in data.item_ids]
    codes = np.array([int(c[1:]) for c in categories])
    matrix = sp.csr_matrix(
        (np.ones(len(codes), np.float32), (np.arange(len(codes)), codes)),
        shape=(len(codes), CATEGORIES),
    )
    features = ItemFeatures(matrix, [f"category={i}" for i in range(CATEGORIES)])
    return Interactions(
        data.users,
        data.items,
        data.weights,
        data.first_at,
        data.last_at,
        data.user_ids,
        data.item_ids,
        features,
        categories,
        "planted",
    )


@pytest.fixture(scope="module")
def trained() -> tuple[Interactions, TrainingRun]:
    data = planted()
    split = temporal_split(data)

    def validate(users: np.ndarray, items: np.ndarray) -> float:
        return ranking_metrics(embedding_scores(users, items), split, ks=(20,), on="valid")[
            "ndcg@20"
        ]

    return data, train_graphsage(split.train, FAST, validate)


def test_training_learns_the_planted_tastes(trained: tuple[Interactions, TrainingRun]) -> None:
    data, run = trained
    split = temporal_split(data)
    users, items = run.embeddings()
    learned = ranking_metrics(embedding_scores(users, items), split, ks=(20,))["ndcg@20"]
    rng = np.random.default_rng(0)
    random = ranking_metrics(lambda batch: rng.random((len(batch), data.n_items)), split, ks=(20,))[
        "ndcg@20"
    ]
    assert learned > 2.5 * random
    assert run.best_epoch >= 1
    assert len(run.history) >= run.best_epoch
    assert all("loss" in row for row in run.history)


def test_the_same_seed_trains_the_same_model() -> None:
    data = planted(users=40)
    config = FAST.with_overrides(max_epochs=3)
    first, second = (train_graphsage(data, config).embeddings()[1] for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_the_exported_artifact_is_what_the_numpy_serving_side_computes(
    trained: tuple[Interactions, TrainingRun], tmp_path: Path
) -> None:
    data, run = trained
    registry = GnnRegistry(tmp_path)
    version = registry.save(
        model_arrays(run.model, data),
        {"state_dict.pt": state_dict_bytes(run.model)},
        artifact_meta(data, run.model),
    )
    loaded = load_version(registry, version.version)
    user_items = data.matrix(binary=True).tocsr()
    for user in (0, 17, 101):
        items = user_items.indices[user_items.indptr[user] : user_items.indptr[user + 1]]
        again = embed_user(loaded, items, x0=loaded.user_layers[0][user])
        np.testing.assert_allclose(again, loaded.user_embeddings[user], atol=2e-4)


def test_a_new_customer_is_embedded_from_their_interactions_and_gets_their_category(
    trained: tuple[Interactions, TrainingRun], tmp_path: Path
) -> None:
    data, run = trained
    registry = GnnRegistry(tmp_path)
    version = registry.save(model_arrays(run.model, data), {}, artifact_meta(data, run.model))
    registry.promote(version.version)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    shares = {}
    for category in (1, 3):
        touched = [(f"i{category * ITEMS_PER_CATEGORY + k:03d}", 1.0) for k in (0, 4, 9)]
        touched = [(item, w) for item, w in touched if item in data.item_ids]
        result = service.recommend(None, k=10, interactions=touched)
        assert result.source == "inductive"
        shares[category] = np.mean(
            [int(item[1:]) // ITEMS_PER_CATEGORY == category for item in result.item_ids]
        )
    assert shares[1] >= 0.7
    assert shares[3] >= 0.7
    cold = service.recommend(None, k=10)
    assert cold.source == "popularity"
    # Only interactions after the served data can change a known customer's embedding.
    assert service.data_until(data.user_ids[0]) == int(data.last_at.max())
    assert service.data_until("someone-new") is None


def test_comparison_runs_every_model_on_one_split() -> None:
    comparison = compare(
        planted(), FAST.with_overrides(max_epochs=8), baselines=("popularity", "itemknn", "mf")
    )
    assert set(comparison.metrics) == {"graphsage", "popularity", "itemknn", "mf"}
    assert comparison.best_baseline in {"popularity", "itemknn", "mf"}
    summary = comparison.summary(planted())
    assert summary["graphsage_over_best_baseline"] == pytest.approx(comparison.ratio, abs=1e-4)
    assert summary["users"] == 160
    assert summary["interactions"] == len(planted())


def test_hetero_data_has_both_edge_directions_and_item_features() -> None:
    data = planted(users=20)
    hetero = to_hetero_data(data)
    forward = hetero["customer", "interacted", "item"]
    assert forward.edge_index.shape == (2, len(data))
    assert hetero["item", "rev_interacted", "customer"].edge_index.shape == (2, len(data))
    assert hetero["item"].x.shape == (data.n_items, CATEGORIES)


def test_config_file_errors_name_the_problem(tmp_path: Path) -> None:
    assert load_config().dim >= 4
    assert load_config(preset="demo").user_ids is False
    with pytest.raises(ValueError, match="unknown GraphSAGE preset"):
        load_config(preset="nope")
    bad_key = tmp_path / "bad.toml"
    bad_key.write_text("[graphsage]\ndimension = 3\n")
    with pytest.raises(ValidationError, match="dimension"):
        load_config(bad_key)
    bad_value = tmp_path / "value.toml"
    bad_value.write_text("[graphsage]\nlayers = 9\n")
    with pytest.raises(ValidationError, match="layers"):
        load_config(bad_value)
    broken = tmp_path / "broken.toml"
    broken.write_text("[graphsage\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(broken)
