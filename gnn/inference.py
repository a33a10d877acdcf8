"""Trained GraphSAGE weights applied to a graph: embeddings without retraining (inductive)."""

from __future__ import annotations

import numpy as np
import torch

from gnn.interactions import Interactions
from gnn.model import GraphSage, GraphTensors, graph_tensors


def graph_of(model: GraphSage, data: Interactions) -> GraphTensors:
    """`data` as the model's input graph (item features only when the model uses them)."""
    features = data.item_features.matrix if data.item_features is not None else None
    if model.item_feature is None:
        features = None
    return graph_tensors(data.users, data.items, data.n_users, data.n_items, features)


def embed(model: GraphSage, data: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """Final user and item embeddings over `data`'s interactions (float32)."""
    model.eval()
    with torch.no_grad():
        users, items = model(graph_of(model, data))
    return users.numpy().astype(np.float32), items.numpy().astype(np.float32)
