"""Recency-weighted user neighbourhoods (`user_recency_half_life_days`): trained, exported,
served and erased consistently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gnn.artifact import artifact_meta, model_arrays
from gnn.erasure import erase_users
from gnn.interactions import Interactions
from gnn.model_version import RegistryError
from gnn.recency import DAY_MS, decay, user_recency
from gnn.registry import GnnRegistry
from gnn.serving import RecommendationService, embed_user, load_version
from gnn.serving.loaded_model import LoadedModel
from gnn.training import TrainingRun, train_graphsage
from tests.gnn.test_decoder_options import with_times
from tests.gnn.test_training import FAST, planted

RECENT = FAST.with_overrides(user_recency_half_life_days=3.0, item_bias=True, max_epochs=6)


@pytest.fixture(scope="module")
def recent() -> tuple[Interactions, TrainingRun]:
    data = planted(users=60)
    # Spread each user's items over weeks so the weights differ a lot.
    spread = with_times(data, data.last_at + (data.first_at % 13) * DAY_MS)
    return spread, train_graphsage(spread, RECENT)


def test_user_recency_is_relative_to_each_users_latest_interaction() -> None:
    data = planted(users=8)
    weights = user_recency(data, 2.0)
    for user in range(data.n_users):
        rows = data.users == user
        latest = data.last_at[rows].max()
        np.testing.assert_allclose(
            weights[rows], 0.5 ** ((latest - data.last_at[rows]) / 2 / DAY_MS)
        )
        assert weights[rows].max() == 1.0
    np.testing.assert_array_equal(decay(np.array([5 * DAY_MS]), 0.0), [1.0])


def test_served_embeddings_follow_the_weighted_mean(
    recent: tuple[Interactions, TrainingRun], tmp_path: Path
) -> None:
    data, run = recent
    registry = GnnRegistry(tmp_path)
    version = registry.save(model_arrays(run.model, data), {}, artifact_meta(data, run.model))
    registry.promote(version.version)
    loaded = load_version(registry, version.version)
    assert loaded.seen_weights is not None
    for user in (0, 21, 59):
        items, weights = loaded.seen_items(user), loaded.seen_item_weights(user)
        assert weights is not None
        assert weights.max() == pytest.approx(1.0)
        assert weights.min() < 0.5  # the spread made some items weeks older
        x0 = loaded.user_layers[0][user]
        again = embed_user(loaded, items, weights, x0=x0)
        np.testing.assert_allclose(again, loaded.user_embeddings[user], atol=2e-4)
        unweighted = embed_user(loaded, items, x0=x0)
        assert not np.allclose(unweighted, loaded.user_embeddings[user], atol=1e-3)
    # A known user with a new item: training items keep their weights, the new one counts 1.
    served, items, weights = served_with_a_new_item(tmp_path, loaded, data.user_ids[21])
    expected = embed_user(loaded, items, weights, x0=loaded.user_layers[0][21])
    np.testing.assert_allclose(served, expected, rtol=1e-6)


def test_the_contract_needs_seen_weights_and_erasure_keeps_them_aligned(
    recent: tuple[Interactions, TrainingRun], tmp_path: Path
) -> None:
    data, run = recent
    arrays, meta = model_arrays(run.model, data), artifact_meta(data, run.model)
    registry = GnnRegistry(tmp_path)
    without = {k: v for k, v in arrays.items() if k != "seen_weights"}
    with pytest.raises(RegistryError, match="needs the seen_weights array"):
        registry.save(without, {}, meta)
    with pytest.raises(RegistryError, match="seen_weights must be finite and positive"):
        registry.save({**arrays, "seen_weights": np.zeros_like(arrays["seen_weights"])}, {}, meta)
    version = registry.save(arrays, {}, meta)
    before = load_version(registry, version.version)
    gone = [data.user_ids[3], data.user_ids[40]]
    assert erase_users(tmp_path, gone) == 2
    after = load_version(registry, version.version)
    assert after.n_users == before.n_users - 2
    for user_id in (data.user_ids[0], data.user_ids[41], data.user_ids[59]):
        old, new = before.user_index[user_id], after.user_index[user_id]
        np.testing.assert_array_equal(after.seen_items(new), before.seen_items(old))
        np.testing.assert_array_equal(after.seen_item_weights(new), before.seen_item_weights(old))


def test_recency_at_inference_only_trains_on_plain_means(
    recent: tuple[Interactions, TrainingRun], tmp_path: Path
) -> None:
    """`user_recency_in_training = false`: the weights are the plain-mean model's (same seed,
    same steps), while the run's graph (evaluation, export, serving) is recency-weighted."""
    data, weighted_run = recent
    config = RECENT.with_overrides(user_recency_in_training=False)
    run = train_graphsage(data, config)
    plain = train_graphsage(data, RECENT.with_overrides(user_recency_half_life_days=0.0))
    for name, value in run.model.state_dict().items():
        torch.testing.assert_close(value, plain.model.state_dict()[name])
    dense = run.graph.user_from_items.forward_matrix.to_dense()
    torch.testing.assert_close(dense, weighted_run.graph.user_from_items.forward_matrix.to_dense())
    # Its scores use the weighted means, and serving reproduces them.
    users, _ = run.embeddings()
    plain_users, _ = plain.embeddings()
    assert not np.allclose(users, plain_users, atol=1e-3)
    registry = GnnRegistry(tmp_path)
    version = registry.save(model_arrays(run.model, data), {}, artifact_meta(data, run.model))
    loaded = load_version(registry, version.version)
    np.testing.assert_allclose(loaded.user_embeddings, users, atol=2e-4)


def served_with_a_new_item(
    model_dir: Path, loaded: LoadedModel, user_id: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A known user served (inductively) with one item they never had: the served vector,
    and the items and weights serving must have aggregated (the new item weighs 1)."""
    service = RecommendationService(model_dir, reload_check_seconds=0)
    user = loaded.user_index[user_id]
    seen, weights = loaded.seen_items(user), loaded.seen_item_weights(user)
    assert weights is not None
    new = int(np.setdiff1d(np.arange(loaded.n_items), seen)[0])
    vector = service.embed_user_vector(user_id, interactions=[(loaded.item_ids[new], 1)])
    assert vector is not None
    assert vector.source == "inductive"
    return vector.vector, np.append(seen, new), np.append(weights, 1.0)
