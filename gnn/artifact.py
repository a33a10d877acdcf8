"""Turn a trained GraphSAGE model into the registry's serving artifact (`gnn.artifact_contract`)."""

from __future__ import annotations

import io
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from gnn.artifact_contract import category_codes, seen_csr
from gnn.inference import graph_of
from gnn.interactions import Interactions
from gnn.model import GraphSage
from gnn.recency import user_recency


def _array(tensor: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().numpy().astype(np.float32))


def model_arrays(model: GraphSage, data: Interactions) -> dict[str, np.ndarray]:
    """Every array serving needs, computed over `data`'s whole graph with the trained weights:
    GraphSAGE is inductive, so the served embeddings include interactions that arrived after
    the training split without retraining."""
    if model.user_feature is not None:
        # Serving embeds new users from their items alone (`gnn.serving.inductive`): it has no
        # user features, so such a model would serve unknown users inconsistently.
        raise ValueError(
            "user_category_features: models with user features cannot be exported for serving"
        )
    graph = graph_of(model, data)
    model.eval()
    arrays: dict[str, np.ndarray] = {}
    with torch.no_grad():
        user_layers, item_layers = model.layers(graph)
        users, items = model(graph)
        arrays["user_embeddings"], arrays["item_embeddings"] = _array(users), _array(items)
        for layer in range(model.n_layers):
            arrays[f"user_layer_{layer}"] = _array(user_layers[layer])
            arrays[f"item_layer_{layer}"] = _array(item_layers[layer])
            for side, convs in (("user", model.user_convs), ("item", model.item_convs)):
                conv: Any = convs[layer]  # a MeanSAGEConv (PyG is untyped)
                arrays[f"{side}_conv_{layer}_wn"] = _array(conv.lin_l.weight)
                arrays[f"{side}_conv_{layer}_bn"] = _array(conv.lin_l.bias)
                arrays[f"{side}_conv_{layer}_ws"] = _array(conv.lin_r.weight)
        if model.item_feature is not None:
            arrays["item_feature_w"] = _array(model.item_feature.weight.T)
            arrays["item_feature_b"] = _array(model.item_feature.bias)
        else:
            arrays["item_feature_w"] = np.zeros((0, model.dim), np.float32)
            arrays["item_feature_b"] = np.zeros(model.dim, np.float32)
        bias = model.score_bias()
        arrays["item_bias"] = np.zeros(data.n_items, np.float32) if bias is None else _array(bias)
        # The x⁰ serving starts a new user from, scaled as a known user's (`user_id_scale`).
        arrays["unknown_user_x0"] = _array(model.unknown_user_x0 * model.user_id_scale)
        arrays["unknown_item_x0"] = _array(model.unknown_item_x0)
        if model.item_item_lins is not None and graph.item_from_items is not None:
            arrays.update(_item_item_arrays(model, graph.item_from_items.forward_matrix))
    popularity = np.bincount(data.items, minlength=data.n_items).astype(np.float32)
    arrays["item_popularity"] = popularity
    arrays["seen_indptr"], arrays["seen_indices"] = seen_csr(data.users, data.items, data.n_users)
    if model.user_recency_half_life_days > 0:
        # The user neighbour-mean weights, in seen_csr order (pairs sorted by user, item).
        weights = user_recency(data, model.user_recency_half_life_days)
        order = np.lexsort((data.items, data.users))
        arrays["seen_weights"] = weights[order].astype(np.float32)
    codes, _ = category_codes(data.item_categories, data.n_items)
    arrays["item_category_codes"] = codes
    return arrays


def _item_item_arrays(model: GraphSage, matrix: torch.Tensor) -> dict[str, np.ndarray]:
    """The item-item relation: each item's neighbours with their mean weights (CSR, rows
    sum to 1) and each layer's weight on that mean."""
    assert model.item_item_lins is not None
    arrays = {
        "item_item_indptr": matrix.crow_indices().numpy().astype(np.int64),
        "item_item_indices": matrix.col_indices().numpy().astype(np.int64),
        "item_item_weights": _array(matrix.values()),
    }
    for layer, lin in enumerate(model.item_item_lins):
        arrays[f"item_item_conv_{layer}_w"] = _array(cast(nn.Linear, lin).weight)
    return arrays


def artifact_meta(data: Interactions, model: GraphSage) -> dict[str, Any]:
    """The contract fields and ids the registry needs alongside the arrays."""
    _, categories = category_codes(data.item_categories, data.n_items)
    return {
        "user_ids": data.user_ids,
        "item_ids": data.item_ids,
        "data_hash": data.content_hash(),
        "activation": "relu",
        "aggregation": "mean",
        "combine": model.combine,
        "normalize_output": model.normalize_output,
        "user_ids_learned": model.user_ids,
        "user_recency_half_life_days": model.user_recency_half_life_days,
        # Informational: already applied to user_layer_0 and unknown_user_x0.
        "user_id_scale": model.user_id_scale,
        # Informational: the item-item neighbours are in the item_item_* arrays.
        "item_item_neighbours": model.item_item_neighbours,
        "categories": categories,
        "interactions": len(data),
        # Interactions after this (epoch ms) are news to the served embeddings.
        "data_until": int(data.last_at.max()) if len(data) else 0,
        "source": data.source,
    }


def state_dict_bytes(model: GraphSage) -> bytes:
    """The model's parameters as `torch.save` bytes."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()
