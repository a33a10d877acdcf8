"""GNN serving: inductive users and items follow the artifact contract exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gnn.registry import GnnRegistry
from gnn.serving import (
    embed_item,
    embed_item_from_row,
    embed_user,
    load_version,
)
from tests.gnn.serving_reference import (
    CATEGORIES,
    Graph,
    artifact,
    combine,
    random_graph,
    random_params,
    reference_forward,
    save_random,
)


@pytest.mark.parametrize(("layers", "how"), [(1, "mean"), (2, "mean"), (3, "mean"), (2, "last")])
def test_inductive_embedding_of_a_known_node_reproduces_its_stored_embedding(
    tmp_path: Path, layers: int, how: str
) -> None:
    registry = GnnRegistry(tmp_path)
    saved, params, graph = save_random(registry, seed=layers, layers=layers, combine_how=how)
    model = load_version(registry, saved.version)
    assert model.layers == layers
    assert model.combine == how
    for user in range(graph.n_users):
        items = model.seen_items(user)
        assert len(items) > 0 or user == graph.n_users - 1
        again = embed_user(model, items, x0=model.user_layers[0][user])
        np.testing.assert_allclose(again, model.user_embeddings[user], atol=1e-5, rtol=1e-5)
    assert np.abs(model.user_embeddings).max() > 0.1  # not trivially zero
    for item in range(graph.n_items):
        users = graph.users[graph.items == item]
        again = embed_item(model, params.features[item], users, x0=model.item_layers[0][item])
        np.testing.assert_allclose(again, model.item_embeddings[item], atol=1e-5, rtol=1e-5)


def test_new_item_without_interactions_matches_the_graph_with_it_added(tmp_path: Path) -> None:
    """A new item's x⁰ is its feature projection plus unknown_item_x0: exactly the item a
    forward pass computes when its id embedding is unknown_item_x0 and it has no edges."""
    registry = GnnRegistry(tmp_path)
    saved, params, graph = save_random(registry, seed=7)
    model = load_version(registry, saved.version)
    rng = np.random.default_rng(1)
    new_features = np.asarray(rng.random(params.features.shape[1]) < 0.5, np.float64)
    bigger = Graph(graph.users, graph.items, graph.n_users, graph.n_items + 1)
    with_item = replace(
        params,
        item_emb=np.vstack([params.item_emb, params.unknown_item_x0]),
        features=np.vstack([params.features, new_features]),
    )
    _, item_layers = reference_forward(with_item, bigger)
    expected = combine(item_layers, params.combine)[-1]
    np.testing.assert_allclose(embed_item(model, new_features), expected, atol=1e-5, rtol=1e-5)


def test_new_item_from_a_raw_catalogue_row_uses_the_stored_encoder(tmp_path: Path) -> None:
    from gnn.item_features import ItemFeatureEncoder

    rows = [
        {"category": CATEGORIES[i % 3], "brand": f"b{i % 4}", "price": 5 + i, "text": f"thing {i}"}
        for i in range(40)
    ]
    encoder = ItemFeatureEncoder(text_buckets=16).fit(rows)
    features = encoder.encode(rows).matrix
    rng = np.random.default_rng(3)
    graph = random_graph(rng, 30, 40, 5)
    params = random_params(rng, graph, dim=8, layers=2, n_features=features.shape[1])
    params.features = np.asarray(features.toarray(), np.float64)
    arrays, meta = artifact(params, graph, item_features_encoder=encoder.to_json())
    registry = GnnRegistry(tmp_path)
    model = load_version(registry, registry.save(arrays, {}, meta).version)
    new = {"category": "games", "brand": "b1", "price": 12.0, "text": "a new thing"}
    dense = np.asarray(encoder.encode([new]).matrix.toarray()[0])
    users = np.array([0, 3, 5])
    from_row = embed_item_from_row(model, new, users)
    np.testing.assert_allclose(from_row, embed_item(model, dense, users), atol=1e-6)
    sparse_row = encoder.encode([new]).matrix[0]
    np.testing.assert_allclose(embed_item(model, sparse_row, users), from_row, atol=1e-6)
    assert not np.allclose(from_row, embed_item(model, dense))  # the users matter


def test_embed_user_validates_its_input(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    model = load_version(registry, save_random(registry, seed=2)[0].version)
    with pytest.raises(IndexError, match="out of range"):
        embed_user(model, [model.n_items])
    with pytest.raises(ValueError, match="weights"):
        embed_user(model, [1, 2], [1.0])
    weighted = embed_user(model, [1, 2], [1.0, 0.0])
    np.testing.assert_allclose(weighted, embed_user(model, [1]), atol=1e-6)
    with pytest.raises(ValueError, match="expected 5"):
        embed_item(model, np.ones(4))


# ---- recommendations ---------------------------------------------------------------------
