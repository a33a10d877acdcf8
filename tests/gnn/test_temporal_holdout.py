"""Temporal target hold-out (`temporal_holdout`): train on each user's past to predict their
latest training items; inference keeps every edge."""

from __future__ import annotations

import numpy as np
import pytest

from gnn.holdout import recent_edges, temporal_holdout
from gnn.interactions import Interactions, aggregate
from gnn.model import graph_tensors
from gnn.training import _targets, train_graphsage
from tests.gnn.test_training import FAST, planted

HOLDOUT = FAST.with_overrides(temporal_holdout=0.3, max_epochs=4)


def test_recent_edges_are_each_users_latest_items_by_first_interaction() -> None:
    data = planted(users=20, per_user=10)
    recent = recent_edges(data, 0.3)
    for user in range(data.n_users):
        rows = np.flatnonzero(data.users == user)
        n_hidden = min(int(np.ceil(0.3 * len(rows) - 1e-9)), len(rows) - 1)
        assert recent[rows].sum() == n_hidden
        # every hidden item was first touched no earlier than every visible one
        assert data.first_at[rows[recent[rows]]].min() >= data.first_at[rows[~recent[rows]]].max()


def test_a_user_with_one_item_keeps_it() -> None:
    data = aggregate(
        np.array(["a", "b", "b", "b"]),
        np.array(["x", "x", "y", "z"]),
        np.ones(4),
        np.array([5, 1, 2, 3]),
    )
    recent = recent_edges(data, 0.5)
    assert not recent[data.users == 0].any()
    # b: ceil(0.5 · 3) = 2 latest of 3 (first touched at 2 and 3)
    assert {data.item_ids[i] for i in data.items[recent]} == {"y", "z"}


def _graph_edges(data: Interactions) -> set[tuple[int, int]]:
    return set(zip(data.users.tolist(), data.items.tolist(), strict=True))


def test_hidden_edges_leave_the_graph_and_become_the_only_targets() -> None:
    data = planted(users=30, per_user=10)
    graph = graph_tensors(data.users, data.items, data.n_users, data.n_items, None)
    step_graph, step_targets = temporal_holdout(data, graph, _targets(data, HOLDOUT), HOLDOUT)
    hidden = recent_edges(data, HOLDOUT.temporal_holdout)
    adjacency = step_graph.user_from_items.forward_matrix.to_dense().numpy()
    assert np.all(adjacency[data.users[hidden], data.items[hidden]] == 0)
    assert np.all(adjacency[data.users[~hidden], data.items[~hidden]] > 0)
    targets = step_targets.toarray()
    assert np.all(targets[data.users[hidden], data.items[hidden]] > 0)
    assert np.all(targets[data.users[~hidden], data.items[~hidden]] == 0)
    mixed = HOLDOUT.with_overrides(temporal_holdout_visible_weight=0.25)
    _, mixed_targets = temporal_holdout(data, graph, _targets(data, mixed), mixed)
    dense = mixed_targets.toarray()
    full = _targets(data, mixed).toarray()
    visible = (data.users[~hidden], data.items[~hidden])
    np.testing.assert_allclose(dense[visible], 0.25 * full[visible], rtol=1e-6)


def test_training_with_temporal_holdout_keeps_every_edge_for_inference() -> None:
    data = planted(users=40, per_user=10)
    run = train_graphsage(data, HOLDOUT)
    adjacency = run.graph.user_from_items.forward_matrix.to_dense().numpy()
    assert np.all(adjacency[data.users, data.items] > 0)  # all edges, hidden ones too
    assert len(run.history) == HOLDOUT.max_epochs
    assert all(np.isfinite(row["loss"]) for row in run.history)
    users, _items = run.embeddings()
    assert users.shape == (data.n_users, HOLDOUT.dim)
    assert np.isfinite(users).all()
    # Later epochs kept moving the embeddings (the hidden targets give a real gradient).
    first_epoch, _ = train_graphsage(data, HOLDOUT.with_overrides(max_epochs=1)).embeddings()
    assert not np.allclose(users, first_epoch, atol=1e-3)


def test_temporal_holdout_needs_the_multinomial_loss() -> None:
    data = planted(users=10, per_user=6)
    with pytest.raises(ValueError, match="temporal_holdout"):
        train_graphsage(data, HOLDOUT.with_overrides(loss="bpr"))
    with pytest.raises(ValueError, match="temporal_holdout"):
        train_graphsage(data, HOLDOUT.with_overrides(edge_holdout=0.2))
