"""`user_id_dropout`: training-only row dropout of the user id embeddings."""

from __future__ import annotations

import numpy as np
import torch

from gnn.model import GraphSage, graph_tensors
from gnn.training import train_graphsage
from tests.gnn.test_training import FAST, planted


def test_user_ids_are_dropped_per_row_in_training_only() -> None:
    data = planted(users=50, per_user=6)
    graph = graph_tensors(data.users, data.items, data.n_users, data.n_items, None)
    model = GraphSage(data.n_users, data.n_items, 0, dim=8, user_id_dropout=0.5)
    ids = model.user_embedding.weight.detach()
    torch.manual_seed(0)
    model.train()
    users, _ = model.layer_zero(graph)
    dropped = (users == 0).all(dim=1)
    assert 10 < int(dropped.sum()) < 40  # about half of 50 rows, whole rows at a time
    torch.testing.assert_close(users[~dropped], ids[~dropped] * 2.0)
    model.eval()
    users, _ = model.layer_zero(graph)
    torch.testing.assert_close(users, ids)


def test_training_with_user_id_dropout_differs_but_scores_with_the_ids() -> None:
    data = planted(users=40, per_user=8)
    config = FAST.with_overrides(max_epochs=4)
    plain = train_graphsage(data, config)
    dropout = train_graphsage(data, config.with_overrides(user_id_dropout=0.5))
    assert dropout.model.user_id_dropout == 0.5
    assert not np.allclose(dropout.embeddings()[0], plain.embeddings()[0], atol=1e-3)
    # Evaluation is deterministic: the ids are all used.
    np.testing.assert_array_equal(dropout.embeddings()[0], dropout.embeddings()[0])
