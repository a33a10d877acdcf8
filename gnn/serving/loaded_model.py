"""A registry version loaded for serving: verified, checked and laid out for fast scoring."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gnn.artifact_contract import artifact_problems, count_layers
from gnn.model_version import (
    ARRAYS_FILE,
    IDS_FILE,
    ModelVersion,
    RegistryError,
    load_arrays,
    parse_ids,
)
from gnn.registry import GnnRegistry


class ModelLoadError(RegistryError):
    """A version cannot be served (corrupt, incomplete or not fitting the contract)."""


@dataclass(frozen=True)
class Conv:
    """One direction of one SAGEConv layer, weights pre-transposed: ``x @ wn_t == x @ Wn.T``."""

    wn_t: np.ndarray  # (d, d) float64
    bn: np.ndarray  # (d,) float64
    ws_t: np.ndarray  # (d, d) float64


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """Everything serving reads, immutable once built (swapped whole on reload).

    ``item_embeddings_t`` is the item matrix transposed and C-contiguous (float32): scoring
    every item is one ``query @ item_embeddings_t`` (OpenBLAS's column-wise gemv kernel,
    measured ~30 % faster than ``item_embeddings @ query`` at 100k x 64); the row-major
    ``item_embeddings`` serves gathers of candidate subsets.
    """

    version: str
    meta: dict[str, Any]
    dim: int
    layers: int
    activation: str
    combine: str
    normalize: bool  # final embeddings L2-normalised (meta ``normalize_output``)
    user_ids: list[str]
    item_ids: list[str]
    user_index: dict[str, int]
    item_index: dict[str, int]
    user_embeddings: np.ndarray  # (U, d) float32
    item_embeddings: np.ndarray  # (I, d) float32, C-contiguous: rows gathered for subsets
    item_embeddings_t: np.ndarray  # (d, I) float32, C-contiguous: the full-catalogue matvec
    item_popularity: np.ndarray  # (I,) float32
    item_bias: np.ndarray | None  # (I,) float32 added to user scores; None when absent or zero
    item_norms: np.ndarray  # (I,) float32, for cosine similarity
    user_layers: list[np.ndarray]  # x^l, l = 0..L-1, (U, d)
    item_layers: list[np.ndarray]  # x^l, l = 0..L-1, (I, d)
    user_convs: list[Conv]  # user side update of layer l+1
    item_convs: list[Conv]
    unknown_user_x0: np.ndarray  # (d,)
    item_feature_w: np.ndarray  # (F, d)
    item_feature_b: np.ndarray  # (d,)
    unknown_item_x0: np.ndarray  # (d,)
    seen_indptr: np.ndarray  # (U+1,) int64
    seen_indices: np.ndarray  # (nnz,) int64
    seen_weights: np.ndarray | None  # (nnz,) float32 user neighbour-mean weights; None: equal
    item_category_codes: np.ndarray  # (I,) int32, -1 = none
    categories: list[str]
    category_items: dict[str, np.ndarray]  # name -> sorted item indices
    item_features_encoder: str | None  # `ItemFeatureEncoder.to_json()` text
    load_seconds: float = field(default=0.0)
    # The optional item-item relation: per layer Wii.T (d, d) float64 (empty: none), and
    # each item's neighbours with their mean weights (CSR over items).
    item_item_convs: list[np.ndarray] = field(default_factory=list)
    item_item_indptr: np.ndarray | None = None  # (I+1,) int64
    item_item_indices: np.ndarray | None = None  # (nnz,) int64
    item_item_weights: np.ndarray | None = None  # (nnz,) float32, each row sums to 1

    @property
    def n_users(self) -> int:
        """Users known at training time."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Items known at training time."""
        return len(self.item_ids)

    def seen_items(self, user: int) -> np.ndarray:
        """Indices of the items a known user interacted with in training (int64)."""
        return self.seen_indices[self.seen_indptr[user] : self.seen_indptr[user + 1]]

    def seen_item_weights(self, user: int) -> np.ndarray | None:
        """The weights of a known user's training items in their neighbour mean (aligned with
        `seen_items`), None when the model's user mean is unweighted."""
        if self.seen_weights is None:
            return None
        return self.seen_weights[self.seen_indptr[user] : self.seen_indptr[user + 1]]

    def item_neighbours(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """A known item's item-item neighbours and their mean weights (empty without the
        relation)."""
        if self.item_item_indptr is None or self.item_item_indices is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        assert self.item_item_weights is not None
        start, end = self.item_item_indptr[item], self.item_item_indptr[item + 1]
        return self.item_item_indices[start:end], self.item_item_weights[start:end]

    def category_of(self, item: int) -> str | None:
        """The category name of an item index, None when it has none."""
        code = int(self.item_category_codes[item])
        return None if code < 0 else self.categories[code]


def load_version(registry: GnnRegistry | Path, version: str | None = None) -> LoadedModel:
    """Verify and load a version (default: the current one).

    Every file of the manifest is checked against its sha256 first; the bytes of
    ``arrays.npz`` and ``ids.json`` are hashed as read and used from memory, so what is
    served is exactly what was verified. Raises `ModelLoadError` (or `RegistryError` for an
    unknown version); a version that fails is never returned.
    """
    started = time.perf_counter()
    registry = registry if isinstance(registry, GnnRegistry) else GnnRegistry(registry)
    if version is None:
        version = registry.current_name()
        if version is None:
            raise ModelLoadError(f"no GNN model version is current in {registry.root}")
    try:
        found = registry.verify(version, skip=frozenset({ARRAYS_FILE, IDS_FILE}))
        arrays = load_arrays(registry.read_verified(found, ARRAYS_FILE))
        user_ids, item_ids = parse_ids(registry.read_verified(found, IDS_FILE))
    except (OSError, ValueError, KeyError) as broken:
        raise ModelLoadError(f"GNN model version {version} cannot be read: {broken}") from broken
    except RegistryError as broken:
        raise ModelLoadError(str(broken)) from broken
    return build(found, arrays, user_ids, item_ids, started)


def build(
    found: ModelVersion,
    arrays: dict[str, np.ndarray],
    user_ids: list[str],
    item_ids: list[str],
    started: float | None = None,
) -> LoadedModel:
    """The serving structures for checked-in arrays (`ModelLoadError` if they are malformed)."""
    started = time.perf_counter() if started is None else started
    meta = found.meta
    categories = [str(c) for c in meta.get("categories", [])]
    problems = artifact_problems(arrays, len(user_ids), len(item_ids), categories, meta)
    if problems:
        raise ModelLoadError(f"GNN model version {found.version} is malformed: {problems}")
    layers = count_layers(arrays)

    def conv(prefix: str) -> Conv:
        return Conv(
            np.ascontiguousarray(arrays[f"{prefix}_wn"].T, dtype=np.float64),
            arrays[f"{prefix}_bn"].astype(np.float64),
            np.ascontiguousarray(arrays[f"{prefix}_ws"].T, dtype=np.float64),
        )

    items = np.ascontiguousarray(arrays["item_embeddings"], dtype=np.float32)
    items_t = np.ascontiguousarray(items.T)
    codes = arrays["item_category_codes"]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(categories) + 1))
    category_items = {
        name: np.sort(order[bounds[code] : bounds[code + 1]]).astype(np.int64)
        for code, name in enumerate(categories)
    }
    for array in (*arrays.values(), items, items_t):
        array.setflags(write=False)
    return LoadedModel(
        version=found.version,
        meta=meta,
        dim=int(items.shape[1]),
        layers=layers,
        activation=str(meta["activation"]),
        combine=str(meta["combine"]),
        normalize=bool(meta.get("normalize_output", False)),
        user_ids=user_ids,
        item_ids=item_ids,
        user_index={user: index for index, user in enumerate(user_ids)},
        item_index={item: index for index, item in enumerate(item_ids)},
        user_embeddings=arrays["user_embeddings"],
        item_embeddings=items,
        item_embeddings_t=items_t,
        item_popularity=arrays["item_popularity"],
        item_bias=_nonzero(arrays.get("item_bias")),
        item_norms=np.linalg.norm(items, axis=1).astype(np.float32),
        user_layers=[arrays[f"user_layer_{layer}"] for layer in range(layers)],
        item_layers=[arrays[f"item_layer_{layer}"] for layer in range(layers)],
        user_convs=[conv(f"user_conv_{layer}") for layer in range(layers)],
        item_convs=[conv(f"item_conv_{layer}") for layer in range(layers)],
        unknown_user_x0=arrays["unknown_user_x0"],
        item_feature_w=arrays["item_feature_w"],
        item_feature_b=arrays["item_feature_b"],
        unknown_item_x0=arrays["unknown_item_x0"],
        seen_indptr=arrays["seen_indptr"],
        seen_indices=arrays["seen_indices"],
        seen_weights=arrays.get("seen_weights"),
        item_category_codes=codes,
        categories=categories,
        category_items=category_items,
        item_features_encoder=_encoder_json(meta.get("item_features_encoder")),
        load_seconds=time.perf_counter() - started,
        item_item_convs=[
            np.ascontiguousarray(arrays[f"item_item_conv_{layer}_w"].T, dtype=np.float64)
            for layer in range(layers)
            if f"item_item_conv_{layer}_w" in arrays
        ],
        item_item_indptr=arrays.get("item_item_indptr"),
        item_item_indices=arrays.get("item_item_indices"),
        item_item_weights=arrays.get("item_item_weights"),
    )


def _nonzero(array: np.ndarray | None) -> np.ndarray | None:
    """The array, or None when absent or all zero (nothing to add)."""
    return None if array is None or not np.any(array) else array


def _encoder_json(saved: Any) -> str | None:
    """The encoder as JSON text whether meta holds the text or the parsed object."""
    if saved is None or isinstance(saved, str):
        return saved
    return json.dumps(saved)
