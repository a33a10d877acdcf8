"""Item-item co-occurrence edges (`item_item_neighbours`): the neighbours and the extra term."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from gnn.artifact import artifact_meta, model_arrays
from gnn.artifact_contract import artifact_problems
from gnn.config import GnnConfig, load_config
from gnn.inference import graph_of
from gnn.interactions import Interactions
from gnn.item_item import item_neighbours
from gnn.model import GraphSage, graph_tensors
from gnn.registry import GnnRegistry
from gnn.serving import embed_item, embed_user, load_version
from gnn.training import train_graphsage
from tests.gnn.test_training import FAST, planted


def _pairs(users: list[int], items: list[int], n_users: int, n_items: int) -> Interactions:
    rows = len(users)
    return Interactions(
        np.asarray(users, np.int64),
        np.asarray(items, np.int64),
        np.ones(rows, np.float32),
        np.zeros(rows, np.int64),
        np.zeros(rows, np.int64),
        [f"u{u}" for u in range(n_users)],
        [f"i{i}" for i in range(n_items)],
    )


def test_neighbours_are_the_most_similar_other_items_by_cosine() -> None:
    # Item 0: users 0, 1, 2; item 1: users 0, 1; item 2: user 2; item 3: user 3; item 4: none.
    data = _pairs([0, 1, 2, 0, 1, 2, 3], [0, 0, 0, 1, 1, 2, 3], 4, 5)
    top1 = item_neighbours(data, 1).toarray()
    expected = np.zeros((5, 5), np.float32)
    expected[0, 1] = 2 / np.sqrt(3 * 2)  # beats item 2's 1 / sqrt(3)
    expected[1, 0] = 2 / np.sqrt(2 * 3)
    expected[2, 0] = 1 / np.sqrt(1 * 3)
    np.testing.assert_allclose(top1, expected, rtol=1e-6)  # items 3, 4: nothing in common
    every = item_neighbours(data, 10).toarray()
    assert every[0, 2] == pytest.approx(1 / np.sqrt(3))
    assert np.all(np.diag(every) == 0)
    assert every[4].sum() == 0
    shrunk = item_neighbours(data, 1, shrink=1.0).toarray()
    assert shrunk[0, 1] == pytest.approx(2 / (np.sqrt(6) + 1.0))
    assert item_neighbours(data, 0).nnz == 0


def test_off_by_default_and_the_term_starts_at_zero() -> None:
    assert load_config().item_item_neighbours == 0
    assert GnnConfig.model_validate({}).item_item_neighbours == 0
    data = planted(users=40, per_user=6)
    near = item_neighbours(data, 5)
    plain_graph = graph_tensors(data.users, data.items, data.n_users, data.n_items, None)
    graph = graph_tensors(data.users, data.items, data.n_users, data.n_items, None, item_item=near)
    torch.manual_seed(0)
    plain = GraphSage(data.n_users, data.n_items, 0, dim=8)
    torch.manual_seed(0)
    with_term = GraphSage(data.n_users, data.n_items, 0, dim=8, item_item_neighbours=5)
    assert plain.item_item_lins is None
    assert with_term.item_item_lins is not None
    plain.eval()
    with_term.eval()
    # Zero-initialised: the untrained model computes exactly the plain one.
    for a, b in zip(plain(plain_graph), with_term(graph), strict=True):
        torch.testing.assert_close(a, b)


def test_training_learns_the_term_and_inference_rebuilds_the_neighbours() -> None:
    data = planted(users=60, per_user=8)
    config = FAST.with_overrides(max_epochs=3, item_item_neighbours=5, item_item_weighted=True)
    run = train_graphsage(data, config)
    lins = run.model.item_item_lins
    assert lins is not None
    assert all(isinstance(lin, torch.nn.Linear) and lin.weight.abs().sum() > 0 for lin in lins)
    assert run.graph.item_from_items is not None
    users, items = run.embeddings()
    run.model.eval()
    with torch.no_grad():
        again = run.model(graph_of(run.model, data))
    np.testing.assert_allclose(again[0].numpy(), users, atol=1e-6)
    np.testing.assert_allclose(again[1].numpy(), items, atol=1e-6)
    # Without the item-item edges the embeddings differ: the term is in use.
    without = graph_tensors(data.users, data.items, data.n_users, data.n_items, None)
    with torch.no_grad():
        plain_items = run.model(without)[1].numpy()
    assert not np.allclose(plain_items, items, atol=1e-4)


def test_serving_reproduces_the_trained_embeddings_and_a_new_item_has_no_item_term(
    tmp_path: Path,
) -> None:
    data = planted(users=60, per_user=8)
    config = FAST.with_overrides(max_epochs=3, item_item_neighbours=4)
    run = train_graphsage(data, config)
    users, items = run.embeddings()  # the training graph is all of `data`: as evaluated
    registry = GnnRegistry(tmp_path)
    arrays, meta = model_arrays(run.model, data), artifact_meta(data, run.model)
    assert meta["item_item_neighbours"] == 4
    version = registry.save(arrays, {}, meta)
    loaded = load_version(registry, version.version)
    assert len(loaded.item_item_convs) == config.layers
    np.testing.assert_allclose(loaded.user_embeddings, users, atol=2e-5)
    np.testing.assert_allclose(loaded.item_embeddings, items, atol=2e-5)
    features = data.item_features.matrix if data.item_features else None
    assert features is not None
    for user in (0, 31, 59):
        again = embed_user(loaded, loaded.seen_items(user), x0=loaded.user_layers[0][user])
        np.testing.assert_allclose(again, users[user], atol=2e-5)
    for item in range(0, data.n_items, 7):
        neighbours = loaded.item_neighbours(item)
        assert len(neighbours[0]) > 0
        who = data.users[data.items == item]
        x0 = loaded.item_layers[0][item]
        again = embed_item(loaded, features[item], who, x0=x0, item_neighbours=neighbours)
        np.testing.assert_allclose(again, items[item], atol=2e-5)
        # Without its item-item neighbours (a new item's case) the term is zero.
        alone = embed_item(loaded, features[item], who, x0=x0)
        bare = embed_item(replace(loaded, item_item_convs=[]), features[item], who, x0=x0)
        np.testing.assert_allclose(alone, bare, atol=1e-7)
        assert not np.allclose(alone, items[item], atol=1e-4)
    new = embed_item(loaded, features[0], [3, 4])
    plain = replace(loaded, item_item_convs=[])
    np.testing.assert_allclose(new, embed_item(plain, features[0], [3, 4]), atol=1e-7)


def test_the_contract_checks_the_item_item_arrays(tmp_path: Path) -> None:
    data = planted(users=30, per_user=6)
    run = train_graphsage(data, FAST.with_overrides(max_epochs=1, item_item_neighbours=3))
    arrays, meta = model_arrays(run.model, data), artifact_meta(data, run.model)
    assert artifact_problems(arrays, data.n_users, data.n_items, meta["categories"], meta) == []
    missing = {k: v for k, v in arrays.items() if k != "item_item_conv_1_w"}
    problems = artifact_problems(missing, data.n_users, data.n_items, meta["categories"], meta)
    assert problems
    assert "incomplete" in problems[0]
    bad = {**arrays, "item_item_indices": arrays["item_item_indices"] + data.n_items}
    problems = artifact_problems(bad, data.n_users, data.n_items, meta["categories"], meta)
    assert problems == ["item_item_indices holds item indices out of range"]
