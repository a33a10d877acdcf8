"""`user_id_scale`: a user's id x⁰ scaled at evaluation and serving, not in training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gnn.artifact import artifact_meta, model_arrays
from gnn.comparison import (
    choose_user_id_scale,
    embedding_scores,
    late_validation_scores,
    train_and_score,
)
from gnn.config import GnnConfig, load_config
from gnn.metrics import ranking_metrics
from gnn.model import GraphSage, graph_tensors
from gnn.recency import DAY_MS
from gnn.registry import GnnRegistry
from gnn.serving import embed_user, load_version
from gnn.split import late_validation, temporal_split
from gnn.training import train_graphsage
from tests.gnn.test_decoder_options import with_times
from tests.gnn.test_training import FAST, planted
from tests.gnn.test_user_recency import served_with_a_new_item


def test_the_scale_applies_in_evaluation_only() -> None:
    data = planted(users=30, per_user=6)
    graph = graph_tensors(data.users, data.items, data.n_users, data.n_items, None)
    model = GraphSage(data.n_users, data.n_items, 0, dim=8, user_id_scale=0.25)
    ids = model.user_embedding.weight.detach()
    model.train()
    torch.testing.assert_close(model.layer_zero(graph)[0], ids)
    model.eval()
    torch.testing.assert_close(model.layer_zero(graph)[0], ids * 0.25)
    with pytest.raises(ValueError, match="user_id_scale"):
        GnnConfig.model_validate({"user_id_scale": -0.5})


def test_training_is_unchanged_and_serving_reproduces_the_scaled_scores(tmp_path: Path) -> None:
    data = planted(users=50, per_user=8)
    data = with_times(data, data.last_at + (data.first_at % 11) * DAY_MS)
    config = FAST.with_overrides(
        max_epochs=4,
        user_recency_half_life_days=3.0,
        user_recency_in_training=False,
        user_id_scale=1.0,
    )
    plain = train_graphsage(data, config)
    scaled = train_graphsage(data, config.with_overrides(user_id_scale=0.5))
    for name, value in scaled.model.state_dict().items():
        torch.testing.assert_close(value, plain.model.state_dict()[name])
    users, items = scaled.embeddings()
    # Both sides change: items aggregate their users' x⁰ in the first layer.
    assert not np.allclose(users, plain.embeddings()[0], atol=1e-3)
    assert not np.allclose(items, plain.embeddings()[1], atol=1e-3)
    # Exported and served exactly as evaluated.
    registry = GnnRegistry(tmp_path)
    arrays, meta = model_arrays(scaled.model, data), artifact_meta(data, scaled.model)
    assert meta["user_id_scale"] == 0.5
    version = registry.save(arrays, {}, meta)
    registry.promote(version.version)
    loaded = load_version(registry, version.version)
    np.testing.assert_allclose(loaded.user_embeddings, users, atol=2e-4)
    ids = scaled.model.user_embedding.weight.detach().numpy()
    np.testing.assert_allclose(loaded.user_layers[0], ids * 0.5, rtol=1e-6)
    for user in (0, 17, 49):
        items_seen, weights = loaded.seen_items(user), loaded.seen_item_weights(user)
        again = embed_user(loaded, items_seen, weights, x0=loaded.user_layers[0][user])
        np.testing.assert_allclose(again, loaded.user_embeddings[user], atol=2e-4)
    # A known user with a new item starts from the scaled x⁰ too.
    served, items_served, weights = served_with_a_new_item(tmp_path, loaded, data.user_ids[17])
    expected = embed_user(loaded, items_served, weights, x0=ids[17] * 0.5)
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-6)


def test_late_validation_splits_each_users_validation_items_in_time() -> None:
    data = planted(users=40, per_user=30)
    split = temporal_split(data)
    seen, truth = late_validation(split)
    assert len(seen) + len(truth) == len(split.train) + len(split.valid)
    valid_pairs = set(zip(split.valid.users, split.valid.items, strict=True))
    late = set(zip(truth.users, truth.items, strict=True))
    assert late <= valid_pairs
    for user in range(data.n_users):
        mine = split.valid.users == user
        n = int(mine.sum())
        later = truth.users == user
        assert int(later.sum()) == n // 2  # the earlier half, rounded up, is history
        if later.any():
            late_items = set(truth.items[later].tolist())
            earlier = [
                t
                for i, t in zip(split.valid.items[mine], split.valid.first_at[mine], strict=True)
                if int(i) not in late_items
            ]
            assert truth.first_at[later].min() >= max(earlier)
    one_item = temporal_split(planted(users=10, per_user=5))  # one validation item each
    assert len(late_validation(one_item)[1]) == 0
    kept = FAST.with_overrides(max_epochs=1, user_id_scale=0.75)
    run = train_graphsage(one_item.train, kept)
    assert choose_user_id_scale(run, one_item, [0.5], lambda _message: None) == 0.75


def test_the_scale_is_chosen_on_late_validation_and_recorded() -> None:
    data = planted(users=60, per_user=20)
    split = temporal_split(data)
    grid = [1.0, 0.5, 0.0]
    run = train_graphsage(split.train, FAST.with_overrides(max_epochs=3))
    chosen = choose_user_id_scale(run, split, grid, lambda _message: None)
    assert set(run.user_id_scale_scores) == set(grid)
    assert run.user_id_scale_scores[chosen] == max(run.user_id_scale_scores.values())
    assert run.model.user_id_scale == chosen
    seen_and_truth = late_validation(split)
    for scale, recorded in run.user_id_scale_scores.items():
        run.model.user_id_scale = scale
        again = ranking_metrics(embedding_scores(*run.scoring_embeddings()), seen_and_truth)
        assert again["ndcg@20"] == pytest.approx(recorded)


def test_early_stopping_on_late_validation_scores_the_best_scale_of_the_grid() -> None:
    split = temporal_split(planted(users=60, per_user=20))
    grid = [1.0, 0.5]
    config = FAST.with_overrides(
        max_epochs=3, early_stopping="late_validation", user_id_scale_grid=grid
    )
    assert load_config().early_stopping == "valid"
    run, _ = train_and_score(split, config)
    assert run.model.user_id_scale in grid
    # The last epoch's figure is the best late-validation NDCG@20 over the grid.
    last = train_graphsage(split.train, config.with_overrides(max_epochs=run.best_epoch))
    scores = late_validation_scores(last, late_validation(split), grid)
    recorded = run.history[run.best_epoch - 1]["valid"]
    assert recorded == pytest.approx(max(scores.values()))
