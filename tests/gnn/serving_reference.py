"""A numpy reference of the serving artifact contract (what the torch model must also
compute), and random artifacts built from it for the serving tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gnn.artifact_contract import seen_csr
from gnn.model_version import ARRAYS_FILE, ModelVersion
from gnn.registry import GnnRegistry

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


def flip_bytes(version: ModelVersion, name: str = ARRAYS_FILE) -> None:
    """Corrupt four bytes in the middle of one of a version's files."""
    path = version.path / name
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4] = bytes(b ^ 0xFF for b in data[middle : middle + 4])
    path.write_bytes(bytes(data))
