"""The decoder and input options of the GraphSAGE recipe: item bias, popularity prior, recency
weighting and user category features; the bias is served exactly as trained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.recs import parse_overrides, parse_variant
from gnn.artifact import artifact_meta, model_arrays
from gnn.comparison import embedding_scores
from gnn.interactions import Interactions
from gnn.metrics import ranking_metrics
from gnn.model_version import RegistryError
from gnn.registry import GnnRegistry
from gnn.serving import RecommendationService, load_version
from gnn.split import temporal_split
from gnn.training import TrainingRun, item_prior, recency, train_graphsage
from gnn.user_features import category_features
from tests.gnn.serving_reference import artifact, random_graph, random_params
from tests.gnn.test_training import FAST, planted

DAY_MS = 86_400_000
BIASED = FAST.with_overrides(item_bias=True, popularity_prior=True, max_epochs=12)


def with_times(data: Interactions, last_at: np.ndarray) -> Interactions:
    """`data` with other last-interaction times."""
    return Interactions(
        data.users,
        data.items,
        data.weights,
        data.first_at,
        last_at,
        data.user_ids,
        data.item_ids,
        data.item_features,
        data.item_categories,
        data.source,
    )


@pytest.fixture(scope="module")
def biased() -> tuple[Interactions, TrainingRun]:
    data = planted()
    split = temporal_split(data)

    def validate(users: np.ndarray, items: np.ndarray) -> float:
        scores = embedding_scores(users, items)
        return ranking_metrics(scores, split, ks=(20,), on="valid")["ndcg@20"]

    return data, train_graphsage(split.train, BIASED, validate)


def test_recency_halves_a_weight_per_half_life() -> None:
    data = planted(users=10)
    latest = int(data.last_at.max())
    ages = np.arange(len(data)) % 3  # 0, 1 or 2 half-lives of 10 days
    aged = with_times(data, latest - ages * 10 * DAY_MS)
    decay = recency(aged, FAST.with_overrides(recency_half_life_days=10.0))
    np.testing.assert_allclose(decay, 0.5**ages)
    np.testing.assert_array_equal(recency(aged, FAST), np.ones(len(data)))
    # From each user's own latest interaction instead: user 0's ages shift by a half-life.
    per_user = with_times(aged, aged.last_at - (aged.users == 0) * 10 * DAY_MS)
    config = FAST.with_overrides(recency_half_life_days=10.0, recency_reference="user")
    user_latest = np.full(data.n_users, np.iinfo(np.int64).min, np.int64)  # times may be < 0
    np.maximum.at(user_latest, per_user.users, per_user.last_at)
    expected = 0.5 ** ((user_latest[per_user.users] - per_user.last_at) / (10 * DAY_MS))
    np.testing.assert_allclose(recency(per_user, config), expected)
    assert not np.allclose(
        recency(per_user, config),
        recency(per_user, config.with_overrides(recency_reference="global")),
    )


def test_the_popularity_prior_is_log_users_per_item_and_decays_with_recency() -> None:
    data = planted(users=30)
    assert item_prior(data, FAST) is None
    prior = item_prior(data, FAST.with_overrides(popularity_prior=True))
    assert prior is not None
    np.testing.assert_allclose(prior, np.log1p(np.bincount(data.items, minlength=data.n_items)))
    old = with_times(data, data.last_at - 365 * DAY_MS * (data.users % 2))
    decayed = item_prior(old, FAST.with_overrides(popularity_prior=True, recency_half_life_days=1))
    assert decayed is not None
    assert np.all(decayed <= prior + 1e-6)
    assert decayed.sum() < prior.sum()


def test_user_category_features_are_shares_or_smoothed_log_shares() -> None:
    data = planted(users=20)
    shares = category_features(data, "shares")
    assert shares is not None
    assert shares.shape == (data.n_users, 4)
    np.testing.assert_allclose(np.asarray(shares.sum(axis=1)).ravel(), 1.0, rtol=1e-6)
    logs = category_features(data, "log_shares")
    assert logs is not None
    assert np.isfinite(logs.toarray()).all()
    assert np.all(logs.toarray() < 0)
    with pytest.raises(ValueError, match="user category features must be"):
        category_features(data, "counts")
    bare = Interactions(
        data.users, data.items, data.weights, data.first_at, data.last_at,
        data.user_ids, data.item_ids,
    )  # fmt: skip
    assert category_features(bare, "shares") is None
    with pytest.raises(ValueError, match="user_category_features"):
        train_graphsage(bare, FAST.with_overrides(user_category_features="shares", max_epochs=1))


def test_user_category_features_train_but_are_not_exported_for_serving() -> None:
    data = planted(users=40)
    config = FAST.with_overrides(user_category_features="shares", max_epochs=3)
    run = train_graphsage(data, config)
    assert run.model.user_feature is not None
    assert run.graph.user_features is not None
    with torch.no_grad():
        users_x0, _ = run.model.layer_zero(run.graph)
        # x⁰ = id embedding + shares @ W: users with other tastes start elsewhere
        assert not torch.allclose(users_x0, run.model.user_embedding.weight)
    with pytest.raises(ValueError, match="user_category_features"):
        model_arrays(run.model, data)


def test_the_bias_is_learned_and_scores_are_embeddings_plus_bias(
    biased: tuple[Interactions, TrainingRun],
) -> None:
    data, run = biased
    bias = run.model.score_bias()
    assert bias is not None
    assert bias.shape == (data.n_items,)
    assert run.model.prior_weight is not None
    assert float(run.model.prior_weight.detach()) != 0.0
    assert run.model.item_bias is not None
    assert float(run.model.item_bias.detach().abs().sum()) > 0
    users, items = run.embeddings()
    scoring_users, scoring_items = run.scoring_embeddings()
    expected = users @ items.T + bias.detach().numpy()[None, :]
    np.testing.assert_allclose(scoring_users @ scoring_items.T, expected, rtol=1e-5, atol=1e-5)
    split = temporal_split(data)
    learned = ranking_metrics(embedding_scores(scoring_users, scoring_items), split, ks=(20,))
    assert learned["ndcg@20"] > 0.3  # planted tastes: popularity alone is far below


def test_serving_ranks_a_known_user_by_the_trained_score_with_bias(
    biased: tuple[Interactions, TrainingRun], tmp_path: Path
) -> None:
    data, run = biased
    registry = GnnRegistry(tmp_path)
    version = registry.save(model_arrays(run.model, data), {}, artifact_meta(data, run.model))
    registry.promote(version.version)
    loaded = load_version(registry, version.version)
    bias = run.model.score_bias()
    assert bias is not None
    assert loaded.item_bias is not None
    np.testing.assert_allclose(loaded.item_bias, bias.detach().numpy(), rtol=1e-6)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    for user in (0, 33, 120):
        scores = loaded.user_embeddings[user].astype(np.float64) @ loaded.item_embeddings.T.astype(
            np.float64
        ) + loaded.item_bias.astype(np.float64)
        scores[loaded.seen_items(user)] = -np.inf
        expected = [loaded.item_ids[i] for i in np.argsort(-scores, kind="stable")[:10]]
        answer = service.recommend(data.user_ids[user], k=10)
        assert answer.item_ids == expected
        np.testing.assert_allclose(
            [s for _, s in answer.items], np.sort(scores)[::-1][:10], rtol=1e-4, atol=1e-4
        )
    # The bias ranks a user's items only: item-to-item similarity is the embeddings' cosine.
    similar = service.similar_items(data.item_ids[0], k=3, metric="dot")
    vector = loaded.item_embeddings[0]
    top = [s for _, s in similar.items]
    assert top[0] == pytest.approx(
        float(np.max(np.delete(loaded.item_embeddings @ vector, 0))), rel=1e-4
    )


def test_artifacts_without_a_bias_still_load_and_a_bad_bias_is_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    graph = random_graph(rng, 12, 20, 4)
    arrays, meta = artifact(random_params(rng, graph, dim=4, layers=2, n_features=3), graph)
    registry = GnnRegistry(tmp_path)
    old = registry.save(arrays, {}, meta)  # saved before item_bias existed
    assert load_version(registry, old.version).item_bias is None
    with pytest.raises(RegistryError, match=r"item_bias has shape \(19,\), expected \(20,\)"):
        registry.save({**arrays, "item_bias": np.zeros(19, np.float32)}, {}, meta)
    with pytest.raises(RegistryError, match="item_bias holds NaN"):
        registry.save({**arrays, "item_bias": np.full(20, np.nan, np.float32)}, {}, meta)


def test_the_bias_parameters_get_gradients_from_every_loss() -> None:
    data = planted(users=30)
    for loss in ("multinomial", "softmax", "bpr"):
        config = BIASED.with_overrides(loss=loss, max_epochs=1, batch_size=64)
        run = train_graphsage(data, config)
        assert run.model.item_bias is not None
        assert torch.count_nonzero(run.model.item_bias.detach()) > 0, loss


def test_benchmark_overrides_and_variants_are_typed() -> None:
    assert parse_overrides("item_bias=true,dim=32,user_category_features=shares") == {
        "item_bias": True,
        "dim": 32,
        "user_category_features": "shares",
    }
    name, overrides, config = parse_variant("half:recency_half_life_days=30.5", FAST)
    assert (name, overrides) == ("half", {"recency_half_life_days": 30.5})
    assert config.recency_half_life_days == 30.5
    assert config.dim == FAST.dim
    with pytest.raises(SystemExit, match="expected KEY=VALUE"):
        parse_overrides("item_bias")
    with pytest.raises(SystemExit, match="expected NAME:KEY=VALUE"):
        parse_variant("item_bias=true", FAST)
