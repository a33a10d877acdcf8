"""The serving artifact's contract: which arrays a GraphSAGE version holds, and how they
are checked (numpy only).

The model the arrays describe (bipartite user-item GraphSAGE, fixed contract): layer 0 is
``item x⁰ = E_item[i] + F[i] @ item_feature_w + item_feature_b`` and ``user x⁰ = s · E_user[u]``
(``s`` = the recipe's scoring-time ``user_id_scale``, meta ``user_id_scale``, already applied to
``user_layer_0`` and ``unknown_user_x0``);
for ``l < L`` each side takes the unweighted mean of its neighbours' ``x^l`` (zero without
neighbours; a user's mean is weighted by ``seen_weights`` when meta
``user_recency_half_life_days`` > 0, see `gnn.recency.user_recency`):
``x^{l+1} = act_l(mean @ Wn.T + bn + x^l @ Ws.T)``, ``act_l`` = ``activation`` for
``l < L-1`` and identity for the last layer; the final embedding is the mean of
``x⁰..x^L`` (``combine: "mean"``) or ``x^L`` (``"last"``), L2-normalised when
``normalize_output`` is true; score(u, i) = inner product + ``item_bias[i]`` (the optional
``item_bias`` array: the learned per-item term and popularity prior of the decoder, zero
when absent; it ranks a user's items, item-to-item similarity does not use it).
With the optional item-item relation (``item_item_indptr`` / ``_indices`` / ``_weights``: each
item's neighbours and mean weights, rows summing to 1, and ``item_item_conv_{l}_w``), an
item's update also adds ``(Σ_j w_ij item x^l_j) @ item_item_conv_l_w.T`` inside ``act_l``.

`required_arrays` names the arrays of ``arrays.npz``; `artifact_problems` checks their
shapes, dtypes and values against the counts and the contract fields of ``meta.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

FORMAT = "gnn-sage-bipartite/1"
ACTIVATIONS = ("relu", "identity")
AGGREGATIONS = ("mean",)
COMBINES = ("mean", "last")


def seen_csr(users: np.ndarray, items: np.ndarray, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    """``(seen_indptr, seen_indices)``: each user's distinct training items, sorted (int64)."""
    pairs = np.unique(np.stack([np.asarray(users, np.int64), np.asarray(items, np.int64)]), axis=1)
    indptr = np.zeros(n_users + 1, np.int64)
    np.add.at(indptr, pairs[0] + 1, 1)
    return np.cumsum(indptr), np.ascontiguousarray(pairs[1])


def category_codes(labels: list[str] | None, n_items: int) -> tuple[np.ndarray, list[str]]:
    """``(item_category_codes, categories)`` from one label per item ("" or None: no
    category, code -1); categories sorted by name."""
    if labels is None:
        return np.full(n_items, -1, np.int32), []
    if len(labels) != n_items:
        raise ValueError(f"{len(labels)} category labels for {n_items} items")
    categories = sorted({label for label in labels if label})
    index = {name: code for code, name in enumerate(categories)}
    codes = np.fromiter((index.get(label, -1) if label else -1 for label in labels), np.int32)
    return codes, categories


def required_arrays(layers: int) -> list[str]:
    """Names every artifact must hold for a model with `layers` layers."""
    names = [
        "user_embeddings",
        "item_embeddings",
        "item_popularity",
        "unknown_user_x0",
        "item_feature_w",
        "item_feature_b",
        "unknown_item_x0",
        "seen_indptr",
        "seen_indices",
        "item_category_codes",
    ]
    for layer in range(layers):
        names += [f"user_layer_{layer}", f"item_layer_{layer}"]
        for side in ("user", "item"):
            names += [f"{side}_conv_{layer}_{part}" for part in ("wn", "bn", "ws")]
    return names


def count_layers(arrays: Mapping[str, np.ndarray]) -> int:
    """L, from the ``user_conv_{l}_wn`` arrays present."""
    layers = 0
    while f"user_conv_{layers}_wn" in arrays:
        layers += 1
    return layers


def artifact_problems(
    arrays: Mapping[str, np.ndarray],
    n_users: int,
    n_items: int,
    categories: list[str],
    contract: Mapping[str, Any],
) -> list[str]:
    """Everything wrong with an artifact's arrays and contract fields (empty when well formed)."""
    problems: list[str] = []
    for key, allowed in (
        ("activation", ACTIVATIONS),
        ("aggregation", AGGREGATIONS),
        ("combine", COMBINES),
    ):
        if contract.get(key) not in allowed:
            problems.append(f"meta {key!r} is {contract.get(key)!r}, expected one of {allowed}")
    layers = count_layers(arrays)
    if layers < 1:
        return [*problems, "no layers: user_conv_0_wn is missing"]
    missing = [name for name in required_arrays(layers) if name not in arrays]
    if missing:
        return [*problems, f"missing arrays: {', '.join(missing)}"]
    dim = int(arrays["user_embeddings"].shape[-1]) if arrays["user_embeddings"].ndim == 2 else -1
    n_features = arrays["item_feature_w"].shape[0] if arrays["item_feature_w"].ndim == 2 else 0
    expected: dict[str, tuple[int, ...]] = {
        "user_embeddings": (n_users, dim),
        "item_embeddings": (n_items, dim),
        "item_popularity": (n_items,),
        "unknown_user_x0": (dim,),
        "item_feature_w": (n_features, dim),
        "item_feature_b": (dim,),
        "unknown_item_x0": (dim,),
        "seen_indptr": (n_users + 1,),
        "item_category_codes": (n_items,),
    }
    if "item_bias" in arrays:
        expected["item_bias"] = (n_items,)
    weighted = float(contract.get("user_recency_half_life_days") or 0.0) > 0
    if weighted and "seen_weights" not in arrays:
        problems.append("meta user_recency_half_life_days > 0 needs the seen_weights array")
    for layer in range(layers):
        expected[f"user_layer_{layer}"] = (n_users, dim)
        expected[f"item_layer_{layer}"] = (n_items, dim)
        for side in ("user", "item"):
            expected[f"{side}_conv_{layer}_wn"] = (dim, dim)
            expected[f"{side}_conv_{layer}_bn"] = (dim,)
            expected[f"{side}_conv_{layer}_ws"] = (dim, dim)
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            problems.append(f"{name} has shape {arrays[name].shape}, expected {shape}")
    floats = [name for name in expected if not name.startswith(("seen_", "item_category"))]
    for name in floats:
        if arrays[name].dtype != np.float32:
            problems.append(f"{name} is {arrays[name].dtype}, expected float32")
        elif not np.isfinite(arrays[name]).all():
            problems.append(f"{name} holds NaN or infinite values")
    for name in ("seen_indptr", "seen_indices"):
        if arrays[name].dtype != np.int64:
            problems.append(f"{name} is {arrays[name].dtype}, expected int64")
    if "seen_weights" in arrays:
        weights = arrays["seen_weights"]
        if weights.dtype != np.float32 or weights.shape != arrays["seen_indices"].shape:
            problems.append("seen_weights must be float32, one per seen_indices entry")
        elif not (np.isfinite(weights).all() and np.all(weights > 0)):
            problems.append("seen_weights must be finite and positive")
    problems += _item_item_problems(arrays, n_items, dim, layers)
    if arrays["item_category_codes"].dtype != np.int32:
        problems.append(f"item_category_codes is {arrays['item_category_codes'].dtype}, not int32")
    if problems:
        return problems
    indptr, indices = arrays["seen_indptr"], arrays["seen_indices"]
    if indices.ndim != 1 or indptr[0] != 0 or indptr[-1] != len(indices):
        problems.append("seen_indptr does not span seen_indices (CSR)")
    elif np.any(np.diff(indptr) < 0):
        problems.append("seen_indptr is not non-decreasing")
    if len(indices) and (indices.min() < 0 or indices.max() >= n_items):
        problems.append("seen_indices holds item indices out of range")
    codes = arrays["item_category_codes"]
    if len(codes) and (codes.min() < -1 or codes.max() >= len(categories)):
        problems.append(f"item_category_codes outside -1..{len(categories) - 1} (meta categories)")
    return problems


def _item_item_problems(
    arrays: Mapping[str, np.ndarray], n_items: int, dim: int, layers: int
) -> list[str]:
    """What is wrong with the optional item-item relation (empty when absent or well formed)."""
    names = ["item_item_indptr", "item_item_indices", "item_item_weights"]
    names += [f"item_item_conv_{layer}_w" for layer in range(layers)]
    present = [name for name in names if name in arrays]
    if not present:
        return []
    if len(present) < len(names):
        return [f"item-item relation incomplete: missing {sorted(set(names) - set(present))}"]
    problems: list[str] = []
    indptr, indices = arrays["item_item_indptr"], arrays["item_item_indices"]
    weights = arrays["item_item_weights"]
    if indptr.dtype != np.int64 or indices.dtype != np.int64 or weights.dtype != np.float32:
        problems.append("item_item_indptr/indices must be int64 and item_item_weights float32")
    elif indptr.shape != (n_items + 1,) or indptr[0] != 0 or indptr[-1] != len(indices):
        problems.append("item_item_indptr does not span item_item_indices (CSR)")
    elif np.any(np.diff(indptr) < 0) or weights.shape != indices.shape:
        problems.append("item_item_indptr must be non-decreasing, one weight per index")
    elif len(indices) and (indices.min() < 0 or indices.max() >= n_items):
        problems.append("item_item_indices holds item indices out of range")
    elif not (np.isfinite(weights).all() and np.all(weights > 0)):
        problems.append("item_item_weights must be finite and positive")
    for layer in range(layers):
        w = arrays[f"item_item_conv_{layer}_w"]
        if w.shape != (dim, dim) or w.dtype != np.float32 or not np.isfinite(w).all():
            problems.append(f"item_item_conv_{layer}_w must be finite float32 ({dim}, {dim})")
    return problems
