"""Embeddings for users and items that arrived after training, without retraining.

Follows the layer equations of the artifact contract (see `gnn.artifact_contract`) with the stored
layer inputs of the other side: a new user's ``x_user^{l+1}`` aggregates the stored
``item_layer_l`` rows of the items they interacted with. The stored rows were computed on
the training graph, so the new node's own effect on its neighbours is not propagated back
(the usual inductive approximation); for a node that *was* in the training graph, with its
training neighbours and its stored ``x⁰``, the result is its stored final embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from gnn.serving.loaded_model import Conv, LoadedModel


class SparseRow(Protocol):
    """A scipy sparse matrix or array with one row (what `ItemFeatures.matrix[i]` gives)."""

    shape: tuple[int, ...]

    def tocsr(self) -> Any:
        """The row in CSR form (``indices`` and ``data``)."""


@dataclass(frozen=True)
class SameSide:
    """A second relation to nodes of the node's own side (the item-item edges): per layer the
    neighbours' stored rows (``same_layers``) meaned with `weights`, times ``convs[l]``."""

    same_layers: Sequence[np.ndarray]
    convs: Sequence[np.ndarray]  # per layer W.T, (d, d)
    neighbours: np.ndarray
    weights: np.ndarray  # sums to 1


def _propagate(
    x0: np.ndarray,
    neighbour_layers: Sequence[np.ndarray],
    convs: Sequence[Conv],
    neighbours: np.ndarray,
    weights: np.ndarray | None,
    activation: str,
    combine: str,
    normalize: bool = False,
    same: SameSide | None = None,
) -> np.ndarray:
    x = np.asarray(x0, np.float64)
    outputs = [x]
    layers = len(convs)
    for layer, conv in enumerate(convs):
        if len(neighbours) == 0:
            mean = np.zeros_like(x)
        else:
            rows = neighbour_layers[layer][neighbours].astype(np.float64)
            mean = rows.mean(axis=0) if weights is None else weights @ rows
        extra = 0.0
        if same is not None and len(same.neighbours):
            rows = same.same_layers[layer][same.neighbours].astype(np.float64)
            extra = (same.weights.astype(np.float64) @ rows) @ same.convs[layer]
        x = mean @ conv.wn_t + conv.bn + x @ conv.ws_t + extra
        if layer < layers - 1 and activation == "relu":
            x = np.maximum(x, 0.0)
        outputs.append(x)
    final = np.mean(outputs, axis=0) if combine == "mean" else outputs[-1]
    if normalize:  # the model L2-normalised its final embeddings (meta normalize_output)
        final = final / max(float(np.linalg.norm(final)), 1e-12)
    return np.asarray(final, np.float32)


def _neighbours(
    indices: Sequence[int] | np.ndarray, weights: Sequence[float] | np.ndarray | None, size: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Valid indices and normalised weights (None: the unweighted mean of the contract)."""
    found = np.asarray(indices, np.int64).reshape(-1)
    if len(found) and (found.min() < 0 or found.max() >= size):
        raise IndexError(f"neighbour index out of range 0..{size - 1}")
    if weights is None:
        return found, None
    w = np.asarray(weights, np.float64).reshape(-1)
    if w.shape != found.shape:
        raise ValueError(f"{len(w)} weights for {len(found)} neighbours")
    if np.any(w < 0) or (len(w) and w.sum() <= 0):
        raise ValueError("weights must be non-negative with a positive sum")
    return found, (w / w.sum() if len(w) else None)


def embed_user(
    model: LoadedModel,
    item_indices: Sequence[int] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    x0: np.ndarray | None = None,
) -> np.ndarray:
    """The final embedding (float32, ``[d]``) of a user who interacted with `item_indices`.

    ``x_user⁰`` is `x0` when given (a known user's stored ``user_layer_0`` row), else
    ``unknown_user_x0``. Without `weights` the neighbour mean is unweighted, exactly as in
    training; `weights` make it a weighted mean (a deliberate departure, e.g. for recency).
    Repeated indices count repeatedly: pass each item once to match training.
    """
    neighbours, w = _neighbours(item_indices, weights, model.n_items)
    start = model.unknown_user_x0 if x0 is None else x0
    layers, convs = model.item_layers, model.user_convs
    return _propagate(
        start, layers, convs, neighbours, w, model.activation, model.combine, model.normalize
    )


def item_x0(model: LoadedModel, feature_row: np.ndarray | SparseRow) -> np.ndarray:
    """Layer-0 input of a new item: ``features @ item_feature_w + item_feature_b +
    unknown_item_x0`` (float64, ``[d]``). `feature_row` is a dense ``[F]`` vector or a
    one-row scipy sparse matrix."""
    n_features = model.item_feature_w.shape[0]
    if hasattr(feature_row, "tocsr"):
        csr = feature_row.tocsr()
        if csr.shape != (1, n_features):
            raise ValueError(f"feature row has shape {csr.shape}, expected (1, {n_features})")
        data = np.asarray(csr.data, np.float64)
        projected = data @ model.item_feature_w[np.asarray(csr.indices)].astype(np.float64)
    else:
        dense = np.asarray(feature_row, np.float64).reshape(-1)
        if dense.shape != (n_features,):
            raise ValueError(f"feature row has {dense.shape[0]} values, expected {n_features}")
        projected = dense @ model.item_feature_w.astype(np.float64)
    return np.asarray(
        projected + model.item_feature_b + model.unknown_item_x0.astype(np.float64), np.float64
    )


def embed_item(
    model: LoadedModel,
    feature_row: np.ndarray | SparseRow,
    user_indices: Sequence[int] | np.ndarray = (),
    *,
    x0: np.ndarray | None = None,
    item_neighbours: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The final embedding (float32, ``[d]``) of an item added after training, from its
    features and the (known) users who interacted with it so far (may be none).

    `x0` replaces the layer-0 input (e.g. a known item's stored ``item_layer_0`` row); the
    feature row is then ignored. With a model that has the item-item relation,
    `item_neighbours` (indices, mean weights; e.g. `LoadedModel.item_neighbours` of a known
    item) adds its term; a new item has no item-item edges until the next training (they are
    computed from the training graph), so by default the term is zero.
    """
    neighbours, _ = _neighbours(user_indices, None, model.n_users)
    start = item_x0(model, feature_row) if x0 is None else x0
    same = None
    if model.item_item_convs and item_neighbours is not None:
        found, w = _neighbours(item_neighbours[0], item_neighbours[1], model.n_items)
        if w is not None:
            same = SameSide(model.item_layers, model.item_item_convs, found, w)
    return _propagate(
        start,
        model.user_layers,
        model.item_convs,
        neighbours,
        None,
        model.activation,
        model.combine,
        model.normalize,
        same,
    )


def embed_item_from_row(
    model: LoadedModel, row: dict[str, Any], user_indices: Sequence[int] | np.ndarray = ()
) -> np.ndarray:
    """`embed_item` for a raw catalogue row (category, brand, price, text), encoded with the
    item feature encoder stored in the version's meta (``item_features_encoder``)."""
    if model.item_features_encoder is None:
        raise ValueError(f"GNN model version {model.version} stores no item feature encoder")
    from gnn.item_features import ItemFeatureEncoder  # only when raw rows are embedded

    encoder = ItemFeatureEncoder.from_json(model.item_features_encoder)
    return embed_item(model, encoder.encode([row]).matrix[0], user_indices)
