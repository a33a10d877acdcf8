"""GNN serving: the artifact contract (numpy reference forward pass), inductive users and
items, filters, popularity fallback, and hot reload through the registry."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gnn.artifact_contract import seen_csr
from gnn.model_version import ARRAYS_FILE, ModelVersion, VerificationError
from gnn.registry import GnnRegistry
from gnn.serving import (
    LoadedModel,
    ModelLoadError,
    ModelNotAvailable,
    RecommendationService,
    UnknownItemError,
    embed_item,
    embed_item_from_row,
    embed_user,
    load_version,
)

# ---- a numpy reference of the contract (what the torch model must also compute) ----------


@dataclass
class Params:
    """Every learned tensor of the contract, in artifact orientation (``x @ W`` for features,
    ``x @ W.T`` for convolutions, like torch ``Linear``)."""

    user_emb: np.ndarray  # (U, d)
    item_emb: np.ndarray  # (I, d)
    features: np.ndarray  # (I, F) dense
    feature_w: np.ndarray  # (F, d)
    feature_b: np.ndarray  # (d,)
    user_convs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (wn, bn, ws) per layer
    item_convs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    unknown_user_x0: np.ndarray
    unknown_item_x0: np.ndarray
    activation: str = "relu"
    combine: str = "mean"


@dataclass
class Graph:
    """Training edges (one per (user, item) pair) and the id lists."""

    users: np.ndarray
    items: np.ndarray
    n_users: int
    n_items: int
    user_ids: list[str] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.user_ids = self.user_ids or [f"u{u}" for u in range(self.n_users)]
        self.item_ids = self.item_ids or [f"i{i}" for i in range(self.n_items)]


def random_graph(rng: np.random.Generator, n_users: int, n_items: int, per_user: int) -> Graph:
    """Each user but the last interacted with up to `per_user` random items (the last user and
    some items have no neighbours: the zero-mean case)."""
    pairs = {
        (u, int(i))
        for u in range(n_users - 1)
        for i in rng.choice(n_items - 2, size=int(rng.integers(1, per_user + 1)), replace=False)
    }
    users, items = (np.array(column, np.int64) for column in zip(*sorted(pairs), strict=True))
    return Graph(users, items, n_users, n_items)


def random_params(
    rng: np.random.Generator, graph: Graph, dim: int, layers: int, n_features: int, **kw: Any
) -> Params:
    def conv() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scale = 1 / np.sqrt(dim)
        return (
            rng.normal(0, scale, (dim, dim)),
            rng.normal(0, 0.1, dim),
            rng.normal(0, scale, (dim, dim)),
        )

    features = (rng.random((graph.n_items, n_features)) < 0.3).astype(np.float64)
    return Params(
        user_emb=rng.normal(0, 1, (graph.n_users, dim)),
        item_emb=rng.normal(0, 1, (graph.n_items, dim)),
        features=features,
        feature_w=rng.normal(0, 0.5, (n_features, dim)),
        feature_b=rng.normal(0, 0.1, dim),
        user_convs=[conv() for _ in range(layers)],
        item_convs=[conv() for _ in range(layers)],
        unknown_user_x0=rng.normal(0, 0.1, dim),
        unknown_item_x0=rng.normal(0, 0.1, dim),
        **kw,
    )


def reference_forward(p: Params, g: Graph) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """x⁰..x^L for users and items, float64, straight from the contract's equations."""
    adjacency = np.zeros((g.n_users, g.n_items))
    adjacency[g.users, g.items] = 1.0
    user_mean = adjacency / np.maximum(adjacency.sum(1, keepdims=True), 1)  # zero when isolated
    item_mean = adjacency.T / np.maximum(adjacency.T.sum(1, keepdims=True), 1)
    x_user = p.user_emb
    x_item = p.item_emb + p.features @ p.feature_w + p.feature_b
    user_layers, item_layers = [x_user], [x_item]
    layers = len(p.user_convs)
    for layer, ((uwn, ubn, uws), (iwn, ibn, iws)) in enumerate(
        zip(p.user_convs, p.item_convs, strict=True)
    ):
        new_user = (user_mean @ x_item) @ uwn.T + ubn + x_user @ uws.T
        new_item = (item_mean @ x_user) @ iwn.T + ibn + x_item @ iws.T
        if layer < layers - 1 and p.activation == "relu":
            new_user, new_item = np.maximum(new_user, 0), np.maximum(new_item, 0)
        x_user, x_item = new_user, new_item
        user_layers.append(x_user)
        item_layers.append(x_item)
    return user_layers, item_layers


def combine(layers: list[np.ndarray], how: str) -> np.ndarray:
    return np.mean(layers, axis=0) if how == "mean" else layers[-1]


CATEGORIES = ["books", "games", "music"]


def artifact(
    p: Params, g: Graph, codes: np.ndarray | None = None, **meta: Any
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``(arrays, meta)`` for `GnnRegistry.save`, computed by the reference forward pass."""
    user_layers, item_layers = reference_forward(p, g)
    f32 = np.float32
    indptr, indices = seen_csr(g.users, g.items, g.n_users)
    arrays: dict[str, np.ndarray] = {
        "user_embeddings": combine(user_layers, p.combine).astype(f32),
        "item_embeddings": combine(item_layers, p.combine).astype(f32),
        "item_popularity": np.bincount(g.items, minlength=g.n_items).astype(f32),
        "unknown_user_x0": p.unknown_user_x0.astype(f32),
        "item_feature_w": p.feature_w.astype(f32),
        "item_feature_b": p.feature_b.astype(f32),
        "unknown_item_x0": p.unknown_item_x0.astype(f32),
        "seen_indptr": indptr,
        "seen_indices": indices,
        "item_category_codes": (
            np.arange(g.n_items) % len(CATEGORIES) if codes is None else codes
        ).astype(np.int32),
    }
    for layer, (user_conv, item_conv) in enumerate(zip(p.user_convs, p.item_convs, strict=True)):
        arrays[f"user_layer_{layer}"] = user_layers[layer].astype(f32)
        arrays[f"item_layer_{layer}"] = item_layers[layer].astype(f32)
        for side, (wn, bn, ws) in (("user", user_conv), ("item", item_conv)):
            arrays[f"{side}_conv_{layer}_wn"] = wn.astype(f32)
            arrays[f"{side}_conv_{layer}_bn"] = bn.astype(f32)
            arrays[f"{side}_conv_{layer}_ws"] = ws.astype(f32)
    full_meta = {
        "user_ids": g.user_ids,
        "item_ids": g.item_ids,
        "data_hash": "0123456789abcdef",
        "categories": CATEGORIES,
        "activation": p.activation,
        "aggregation": "mean",
        "combine": p.combine,
        "metrics": {"recall@20": 0.25, "ndcg@20": 0.125},
        "config": {"dim": p.user_emb.shape[1], "layers": len(p.user_convs)},
        **meta,
    }
    return arrays, full_meta


def save_random(
    registry: GnnRegistry, seed: int, *, layers: int = 2, combine_how: str = "mean"
) -> tuple[ModelVersion, Params, Graph]:
    rng = np.random.default_rng(seed)
    graph = random_graph(rng, n_users=30, n_items=40, per_user=6)
    params = random_params(rng, graph, dim=8, layers=layers, n_features=5, combine=combine_how)
    arrays, meta = artifact(params, graph)
    files = {"state_dict.pt": b"opaque torch bytes", "report.html": b"<html></html>"}
    return registry.save(arrays, files, meta), params, graph


# ---- the contract ------------------------------------------------------------------------


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


@pytest.fixture
def served(tmp_path: Path) -> tuple[RecommendationService, LoadedModel]:
    registry = GnnRegistry(tmp_path)
    saved, _, _ = save_random(registry, seed=11)
    registry.promote(saved.version)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    return service, service.model()


def brute_force(
    model: LoadedModel, vector: np.ndarray, k: int, allowed: np.ndarray
) -> list[tuple[str, float]]:
    """Rank every allowed item by score (ties by index): what top-k must return."""
    scores = model.item_embeddings.astype(np.float64) @ vector.astype(np.float64)
    candidates = np.flatnonzero(allowed)
    order = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
    return [(model.item_ids[i], float(scores[i])) for i in order]


def assert_same_ranking(got: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    assert [item for item, _ in got] == [item for item, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-5)


def test_known_user_gets_the_stored_embedding_ranking_without_seen_items(
    served: tuple[RecommendationService, LoadedModel],
) -> None:
    service, model = served
    for user in range(5):
        seen = model.seen_items(user)
        answer = service.recommend(f"u{user}", k=7)
        assert answer.source == "model"
        assert answer.version == model.version
        allowed = np.ones(model.n_items, bool)
        allowed[seen] = False
        assert_same_ranking(
            answer.items, brute_force(model, model.user_embeddings[user], 7, allowed)
        )
        assert not {model.item_ids[i] for i in seen} & set(answer.item_ids)
        with_seen = service.recommend(f"u{user}", k=model.n_items, exclude_seen=False)
        assert len(with_seen) == model.n_items


@pytest.mark.parametrize("wanted", [{"games"}, {"books", "music"}, {"music", "no-such"}])
def test_category_blocklist_and_exclusions_are_respected(
    served: tuple[RecommendationService, LoadedModel], wanted: set[str]
) -> None:
    service, model = served
    user = 4
    blocked = {"i1", "i4", "i7", "i10", "i13"}
    excluded = {"i2", "i5", "i8", "not-an-item"}
    answer = service.recommend(
        f"u{user}", k=8, categories=wanted, blocklist=blocked, exclude_items=excluded
    )
    allowed = np.array([model.category_of(i) in wanted for i in range(model.n_items)])
    for item in (*blocked, *excluded):
        if item in model.item_index:
            allowed[model.item_index[item]] = False
    allowed[model.seen_items(user)] = False
    assert_same_ranking(answer.items, brute_force(model, model.user_embeddings[user], 8, allowed))
    assert {model.category_of(model.item_index[i]) for i in answer.item_ids} <= wanted
    assert len(answer) == 8


def test_filters_can_leave_fewer_than_k_or_nothing(
    served: tuple[RecommendationService, LoadedModel],
) -> None:
    service, model = served
    music = [model.item_ids[i] for i in model.category_items["music"]]
    answer = service.recommend("u1", k=50, categories={"music"}, exclude_seen=False)
    assert sorted(answer.item_ids) == sorted(music)
    assert service.recommend("u1", k=5, categories={"music"}, blocklist=set(music)).items == []
    assert service.recommend("u1", k=5, categories=set()).items == []
    assert service.recommend("u1", k=0).items == []
    with pytest.raises(ValueError, match="k must be"):
        service.recommend("u1", k=-1)


def test_unknown_user_with_interactions_is_embedded_inductively(
    served: tuple[RecommendationService, LoadedModel],
) -> None:
    service, model = served
    history = [("i3", 1.0), ("i9", 2.0), ("i20", 1.0), ("gone-item", 1.0), ("i21", 0.0)]
    answer = service.recommend("newcomer", k=6, interactions=history)
    assert answer.source == "inductive"
    vector = embed_user(model, [3, 9, 20])  # i21 has weight 0: seen, not evidence
    allowed = np.ones(model.n_items, bool)
    allowed[[3, 9, 20, 21]] = False
    assert_same_ranking(answer.items, brute_force(model, vector, 6, allowed))
    same = service.embed_user_vector("newcomer", interactions=history)
    assert same is not None
    assert same.source == "inductive"
    np.testing.assert_allclose(same.vector, vector)


def test_known_user_with_new_interactions_combines_training_and_new_items(
    served: tuple[RecommendationService, LoadedModel],
) -> None:
    service, model = served
    user = 2
    training = model.seen_items(user)
    new = next(i for i in range(model.n_items) if i not in training)
    answer = service.recommend(f"u{user}", k=5, interactions=[(model.item_ids[new], 1.0)])
    assert answer.source == "inductive"
    vector = embed_user(model, np.union1d(training, [new]), x0=model.user_layers[0][user])
    allowed = np.ones(model.n_items, bool)
    allowed[[*training, new]] = False
    assert_same_ranking(answer.items, brute_force(model, vector, 5, allowed))
    assert not np.allclose(vector, model.user_embeddings[user], atol=1e-4)
    # Interactions the model already has change nothing.
    again = service.recommend(f"u{user}", k=5, interactions=[(model.item_ids[training[0]], 1.0)])
    assert again.source == "model"
    assert again.items == service.recommend(f"u{user}", k=5).items


def test_cold_users_get_popular_items_with_the_same_filters(
    served: tuple[RecommendationService, LoadedModel],
) -> None:
    service, model = served
    popularity = model.item_popularity
    by_popularity = [model.item_ids[i] for i in np.lexsort((np.arange(40), -popularity))]
    for user_id, interactions in ((None, []), ("stranger", []), ("x", [("unknown", 1.0)])):
        answer = service.recommend(user_id, k=5, interactions=interactions)
        assert answer.source == "popularity"
        assert answer.item_ids == by_popularity[:5]
        assert [s for _, s in answer.items] == sorted((s for _, s in answer.items), reverse=True)
    assert service.embed_user_vector("stranger") is None
    blocked = set(by_popularity[:2])
    filtered = service.recommend(None, k=4, blocklist=blocked, categories={"books", "games"})
    expected = [
        i for i in by_popularity if i not in blocked and model.item_index[i] % 3 != 2
    ]  # music is code 2
    assert filtered.item_ids == expected[:4]
    seen_first = service.recommend(None, k=3, interactions=[(by_popularity[0], 0.0)])
    assert seen_first.source == "popularity"
    assert seen_first.item_ids == by_popularity[1:4]


def test_similar_items_by_cosine(served: tuple[RecommendationService, LoadedModel]) -> None:
    service, model = served
    items = model.item_embeddings.astype(np.float64)
    unit = items / np.linalg.norm(items, axis=1, keepdims=True)
    cosine = unit @ unit[6]
    cosine[6] = -np.inf
    expected = [model.item_ids[i] for i in np.argsort(-cosine, kind="stable")[:5]]
    answer = service.similar_items("i6", k=5)
    assert answer.item_ids == expected
    np.testing.assert_allclose([s for _, s in answer.items], np.sort(cosine)[::-1][:5], rtol=1e-5)
    dot = service.similar_items("i6", k=3, metric="dot", categories={"games"})
    assert all(model.category_of(model.item_index[i]) == "games" for i in dot.item_ids)
    with pytest.raises(UnknownItemError):
        service.similar_items("nope")


def test_a_new_user_who_liked_one_category_gets_that_category(tmp_path: Path) -> None:
    """Categories are separable in embedding space (item id embeddings point along their
    category's axis); popularity favours books. A newcomer who interacted with games items
    is recommended games, a newcomer without interactions books."""
    rng = np.random.default_rng(5)
    n_items, dim = 60, 3
    codes = np.arange(n_items) % 3  # books, games, music
    users = np.repeat(np.arange(30), 4)
    items = np.concatenate(
        [rng.choice(np.flatnonzero(codes == u % 3), 4, False) for u in range(30)]
    )
    # Books are the popular ones.
    extra_users = np.repeat(np.arange(30, 60), 3)
    extra_items = rng.choice(np.flatnonzero(codes == 0), len(extra_users))
    pairs = sorted(set(zip(np.r_[users, extra_users], np.r_[items, extra_items], strict=True)))
    pair_users, pair_items = (np.array(c, np.int64) for c in zip(*pairs, strict=True))
    graph = Graph(pair_users, pair_items, 60, n_items)
    eye = np.eye(dim)
    item_emb = eye[codes] + rng.normal(0, 0.05, (n_items, dim))
    params = Params(
        user_emb=rng.normal(0, 0.05, (60, dim)),
        item_emb=item_emb,
        features=np.zeros((n_items, 0)),
        feature_w=np.zeros((0, dim)),
        feature_b=np.zeros(dim),
        user_convs=[(eye, np.zeros(dim), 0.5 * eye)] * 2,
        item_convs=[(0.2 * eye, np.zeros(dim), eye)] * 2,
        unknown_user_x0=np.zeros(dim),
        unknown_item_x0=np.zeros(dim),
    )
    arrays, meta = artifact(params, graph, codes=codes)
    registry = GnnRegistry(tmp_path)
    registry.promote(registry.save(arrays, {}, meta).version)
    service = RecommendationService(tmp_path)
    games = [f"i{i}" for i in np.flatnonzero(codes == 1)[:3]]

    cold = service.recommend("newcomer", k=10)
    warm = service.recommend("newcomer", k=10, interactions=[(g, 1.0) for g in games])
    assert cold.source == "popularity"
    assert warm.source == "inductive"
    category = service.model().category_of
    assert [category(int(i[1:])) for i in cold.item_ids].count("games") == 0
    assert {category(int(i[1:])) for i in warm.item_ids} == {"games"}
    assert not set(games) & set(warm.item_ids)
    every = service.recommend("newcomer", k=n_items, interactions=[(g, 1.0) for g in games])
    ranks = [r for r, i in enumerate(every.item_ids) if category(int(i[1:])) == "games"]
    assert ranks == list(range(len(ranks)))  # every games item ahead of every other item


# ---- registry and serving together -------------------------------------------------------


def test_promote_and_rollback_switch_what_is_served(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    with pytest.raises(ModelNotAvailable, match="no version was promoted"):
        service.recommend("u1")
    first, _, _ = save_random(registry, seed=21)
    second, _, _ = save_random(registry, seed=22)
    with pytest.raises(ModelNotAvailable):
        service.recommend("u1")  # saved is not promoted
    registry.promote(first.version)
    from_first = service.recommend("u1", k=5)
    assert from_first.version == first.version
    registry.promote(second.version)
    from_second = service.recommend("u1", k=5)
    assert from_second.version == second.version
    assert from_second.items != from_first.items
    assert registry.rollback().version == first.version
    assert service.recommend("u1", k=5) == from_first


def test_reload_waits_for_the_check_interval(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    first, _, _ = save_random(registry, seed=31)
    second, _, _ = save_random(registry, seed=32)
    registry.promote(first.version)
    service = RecommendationService(tmp_path, reload_check_seconds=3600)
    registry.promote(second.version)
    assert service.recommend("u1").version == first.version
    assert service.refresh() is True
    assert service.recommend("u1").version == second.version


def flip_bytes(version: ModelVersion, name: str = ARRAYS_FILE) -> None:
    path = version.path / name
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4] = bytes(b ^ 0xFF for b in data[middle : middle + 4])
    path.write_bytes(bytes(data))


def test_a_corrupt_version_is_refused_and_the_old_model_keeps_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = GnnRegistry(tmp_path)
    good, _, _ = save_random(registry, seed=41)
    bad, _, _ = save_random(registry, seed=42)
    registry.promote(good.version)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    before = service.recommend("u3", k=5)
    flip_bytes(bad)
    with pytest.raises(VerificationError, match=r"arrays\.npz does not match its checksum"):
        registry.promote(bad.version)
    assert registry.current_name() == good.version
    with pytest.raises(ModelLoadError, match="corrupt"):
        load_version(registry, bad.version)
    # Someone points `current` at it anyway: serving warns and keeps the good model.
    (tmp_path / "current").write_text(bad.version)
    with caplog.at_level(logging.WARNING, logger="gnn.serving.recommendations"):
        assert service.recommend("u3", k=5) == before
        assert service.recommend("u3", k=5) == before
    warnings = [r for r in caplog.records if bad.version in r.getMessage()]
    assert len(warnings) == 1  # not retried on every request
    # A fresh process has nothing else to serve: a clear error, never the corrupt model.
    with pytest.raises(ModelNotAvailable, match=f"{bad.version} failed to load"):
        RecommendationService(tmp_path).recommend("u3")
    # Back to a good version: served again.
    registry.promote(good.version)
    assert service.recommend("u3", k=5) == before


def test_a_half_written_version_is_never_listed_or_served(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    good, _, _ = save_random(registry, seed=51)
    half, _, _ = save_random(registry, seed=52)
    (half.path / "meta.json").unlink()
    assert [v.version for v in registry.versions()] == [good.version]
    registry.promote(good.version)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    (tmp_path / "current").write_text(half.version)
    assert service.recommend("u1").version == good.version
    with pytest.raises(ModelLoadError, match="incomplete"):
        load_version(registry, half.version)


def test_a_malformed_artifact_is_refused_at_load(tmp_path: Path) -> None:
    """Checksums match but the arrays do not fit the contract (e.g. edited meta.json)."""
    registry = GnnRegistry(tmp_path)
    saved, _, _ = save_random(registry, seed=61)
    meta = json.loads((saved.path / "meta.json").read_text())
    meta["combine"] = "max"
    (saved.path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="combine"):
        load_version(registry, saved.version)


def test_serving_does_not_import_training_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gnn.serving, gnn.serving.recommendations;"
        "bad = [m for m in ('torch', 'torch_geometric', 'gnn.model', 'gnn.training')"
        " if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
