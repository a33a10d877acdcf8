"""Training-only target hold-outs: which edges the model sees while learning to predict others.

`random_holdout` hides a random share of the edges every step (`edge_holdout`);
`temporal_holdout` hides each user's most recent training items (`temporal_holdout`), so the
model learns to predict a user's *next* items from the earlier ones, the task the temporal
evaluation split (and serving) asks of it. Inference always passes messages over all edges.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from gnn.config import GnnConfig
from gnn.interactions import Interactions
from gnn.model import GraphTensors, graph_tensors
from gnn.recency import user_recency

_EPS = 1e-9


def user_edge_weights(data: Interactions, config: GnnConfig) -> np.ndarray | None:
    """Weights of each user's neighbour mean (`user_recency_half_life_days`), None: unweighted."""
    if config.user_recency_half_life_days <= 0:
        return None
    return user_recency(data, config.user_recency_half_life_days)


def recent_edges(data: Interactions, fraction: float) -> np.ndarray:
    """Per edge: true for its user's latest ceil(fraction · n) items by first interaction
    (then last interaction, item index), at most n - 1 of them, so every user keeps one."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"temporal_holdout must be in [0, 1), not {fraction}")
    order = np.lexsort((data.items, data.last_at, data.first_at, data.users))
    users = data.users[order]
    per_user = np.bincount(users, minlength=data.n_users).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(per_user)[:-1]))
    from_end = per_user[users] - 1 - (np.arange(len(data), dtype=np.int64) - starts[users])
    n_hidden = np.minimum(np.ceil(fraction * per_user - _EPS).astype(np.int64), per_user - 1)
    recent = np.empty(len(data), bool)
    recent[order] = from_end < n_hidden[users]
    return recent


def _graph_without(
    train: Interactions, graph: GraphTensors, hidden: np.ndarray, weights: np.ndarray | None
) -> GraphTensors:
    """`graph` with the `hidden` edges removed (the same features; `weights` of the kept
    edges weigh the user neighbour means)."""
    kept = ~hidden
    step_graph = graph_tensors(
        train.users[kept], train.items[kept], train.n_users, train.n_items, None, None, weights
    )
    return replace(
        step_graph,
        item_features=graph.item_features,
        user_features=graph.user_features,
        item_from_items=graph.item_from_items,
    )


def _rows(train: Interactions, mask: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    return sp.csr_matrix((mask.astype(np.float32), (train.users, train.items)), shape=shape)


def random_holdout(
    train: Interactions,
    graph: GraphTensors,
    targets: sp.csr_matrix,
    config: GnnConfig,
    rng: np.random.Generator,
) -> tuple[GraphTensors, sp.csr_matrix]:
    """Hide a random `edge_holdout` share of the edges from message passing and make them the
    targets: the model learns to predict items from the user's *other* items (as at serving
    time), instead of echoing an edge it can see (EASE's zero diagonal, Mult-DAE's dropout)."""
    hidden = rng.random(len(train)) < config.edge_holdout
    step_targets = targets.multiply(_rows(train, hidden, targets.shape)).tocsr()
    step_targets.eliminate_zeros()
    weights = user_edge_weights(train, config)
    kept_weights = None if weights is None else weights[~hidden]
    return _graph_without(train, graph, hidden, kept_weights), step_targets


def temporal_holdout(
    train: Interactions, graph: GraphTensors, targets: sp.csr_matrix, config: GnnConfig
) -> tuple[GraphTensors, sp.csr_matrix]:
    """Hide each user's most recent `temporal_holdout` share of items from message passing;
    targets are those items plus the visible ones weighted `temporal_holdout_visible_weight`
    (users with one item keep it visible and as a full target)."""
    hidden = recent_edges(train, config.temporal_holdout)
    has_hidden = np.bincount(train.users[hidden], minlength=train.n_users) > 0
    visible_weight = np.where(has_hidden[train.users], config.temporal_holdout_visible_weight, 1.0)
    weight = np.where(hidden, 1.0, visible_weight)
    step_targets = targets.multiply(_rows(train, weight, targets.shape)).tocsr()
    step_targets.eliminate_zeros()
    # Recency of the visible edges counts from the user's latest *visible* item, as it will
    # from their latest item at inference.
    weights = user_edge_weights(train.subset(~hidden), config)
    return _graph_without(train, graph, hidden, weights), step_targets
