"""GNN serving: rankings, filters, inductive and cold users, similar items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gnn.registry import GnnRegistry
from gnn.serving import (
    LoadedModel,
    RecommendationService,
    UnknownItemError,
    embed_user,
)
from tests.gnn.serving_reference import (
    Graph,
    Params,
    artifact,
    save_random,
)


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
