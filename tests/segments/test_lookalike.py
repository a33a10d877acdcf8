"""Lookalike audiences from the served recommendation model's user embeddings: a real
artifact written through the GNN registry (as tests/gnn does), served by
`RecommendationService`, composed with the segments by `customer_graph.runtime`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from customer_graph.runtime import lookalike_service
from gnn.registry import GnnRegistry
from gnn.serving import RecommendationService
from graph.port import GraphStore
from segments.lookalike import EmbeddingsUnavailable, LookalikeService
from segments.service import SegmentService
from tests.contract.query_cases import seed_customers
from tests.contract.query_cases_more import seed_segment
from tests.gnn.serving_reference import Graph, artifact, random_params
from tests.segments.conftest import NOW

# Garden-like customers point along e0, kitchen-like ones along e1 (with a little of e2 to
# order them); G5 and N1 have no embedding; R1 is retired; an anonymous model user lies
# right on the seed and must never be picked.
VECTORS = {
    "G1": [1.0, 0.1, 0.0],
    "G2": [1.0, 0.0, 0.1],
    "G3": [0.9, 0.2, 0.0],
    "G4": [0.8, 0.0, 0.4],
    "K1": [0.1, 1.0, 0.0],
    "K2": [0.0, 1.0, 0.3],
    "K3": [-0.2, 1.0, 0.0],
    "R1": [1.0, 0.05, 0.05],
    "identifier:cookie:x": [1.0, 0.05, 0.05],
}
DIM = 8


def served_model(
    root: Path, vectors: dict[str, list[float]] | None = None
) -> RecommendationService:
    """An artifact whose user embeddings are `vectors` (default `VECTORS`, at most 8
    numbers each), saved, promoted and served."""
    vectors = VECTORS if vectors is None else vectors
    rng = np.random.default_rng(3)
    users = list(vectors)
    graph = Graph(
        users=np.arange(len(users), dtype=np.int64),
        items=np.arange(len(users), dtype=np.int64) % 4,
        n_users=len(users),
        n_items=5,
        user_ids=users,
    )
    arrays, meta = artifact(random_params(rng, graph, dim=DIM, layers=1, n_features=3), graph)
    embeddings = np.zeros((len(users), DIM), dtype=np.float32)
    for row, user in enumerate(users):
        embeddings[row, : len(vectors[user])] = vectors[user]
    arrays["user_embeddings"] = embeddings
    registry = GnnRegistry(root)
    registry.promote(registry.save(arrays, {}, meta).version)
    return RecommendationService(root, reload_check_seconds=0)


@pytest.fixture
async def lookalikes(store: GraphStore, tmp_path: Path) -> LookalikeService:
    """The world: the customers above plus G5 and N1, R1 retired, `seed` = G1, G2, G5."""
    await seed_customers(store, "G1", "G2", "G3", "G4", "G5", "K1", "K2", "K3", "N1", "R1")
    retired = [{"id": "R1", "merged_into": "G1", "at": 3}]
    await store.write_batch("customers/retire_customers", retired)
    await seed_segment(store, "seed")
    rows = [
        {"customer_id": c, "segment_id": "seed", "since": 1, "score": 1.0}
        for c in ("G1", "G2", "G5")
    ]
    await store.write_batch("segments/set_memberships", rows)
    service = SegmentService(store, clock=lambda: NOW)
    return lookalike_service(service, served_model(tmp_path / "gnn"))


def expected_ranking(seed: list[str], candidates: list[str]) -> list[tuple[str, float]]:
    """Cosine of each candidate to the normalised mean of the normalised seed vectors."""
    unit = {c: np.array(v) / np.linalg.norm(v) for c, v in VECTORS.items()}
    centroid = np.mean([unit[c] for c in seed], axis=0)
    centroid /= np.linalg.norm(centroid)
    scores = [(c, round(float(unit[c] @ centroid), 6)) for c in candidates]
    return sorted(scores, key=lambda cs: (-cs[1], cs[0]))


async def test_the_closest_non_seed_customers_with_embeddings(
    lookalikes: LookalikeService,
) -> None:
    report = await lookalikes.build("seed", 2)
    assert report.segment_id == "lookalike:seed:2"
    assert (report.members, report.seed_members, report.seed_without_embedding) == (2, 3, 1)
    assert (report.candidates, report.candidates_without_embedding) == (5, 1), "N1 skipped"
    ranking = expected_ranking(["G1", "G2"], ["G3", "G4", "K1", "K2", "K3"])
    members = await lookalikes.segments.members("lookalike:seed:2")
    assert [(m.customer_id, m.score) for m in members] == sorted(ranking[:2])
    assert [c for c, _ in ranking[:2]] == ["G3", "G4"]
    info = await lookalikes.segments.get("lookalike:seed:2")
    assert info is not None
    assert info.kind == "lookalike"
    definition = json.loads(info.definition)
    assert (definition["seed"], definition["size"]) == ("seed", 2)
    assert definition["model_version"] == report.model_version
    assert definition["candidates_without_embedding"] == 1


async def test_fewer_candidates_than_asked_and_a_rebuild_writes_the_differences(
    lookalikes: LookalikeService, store: GraphStore
) -> None:
    everyone = await lookalikes.build("seed", 10)
    assert everyone.members == 5, "every active non-seed customer with an embedding"
    got = [m.customer_id for m in await lookalikes.segments.members("lookalike:seed:10")]
    assert sorted(got) == ["G3", "G4", "K1", "K2", "K3"], "not R1 (retired), not the cookie"
    # G3 joins the seed: it leaves the audience and nothing takes its place (none left).
    row = {"customer_id": "G3", "segment_id": "seed", "since": 2, "score": 1.0}
    await store.write_batch("segments/set_memberships", [row])
    again = await lookalikes.build("seed", 10)
    assert (again.members, again.added, again.removed) == (4, 0, 1)
    ranking = expected_ranking(["G1", "G2", "G3"], ["G4", "K1", "K2", "K3"])
    members = await lookalikes.segments.members("lookalike:seed:10")
    assert sorted((m.customer_id, m.score) for m in members) == sorted(ranking)


async def test_bad_requests_name_the_argument(
    lookalikes: LookalikeService, store: GraphStore, tmp_path: Path
) -> None:
    with pytest.raises(KeyError, match="seedSegmentId: no segment 'nope'"):
        await lookalikes.build("nope", 5)
    with pytest.raises(ValueError, match="size: must be between 1 and 100,000"):
        await lookalikes.build("seed", 0)
    await seed_segment(store, "unembedded")
    row = {"customer_id": "N1", "segment_id": "unembedded", "since": 1, "score": 1.0}
    await store.write_batch("segments/set_memberships", [row])
    with pytest.raises(ValueError, match="none of the 1 members of 'unembedded' has an"):
        await lookalikes.build("unembedded", 5)
    no_model = RecommendationService(tmp_path / "empty")
    with pytest.raises(EmbeddingsUnavailable, match="no version was promoted"):
        await lookalike_service(lookalikes.segments, no_model).build("seed", 5)
