"""The graph a trained GraphSAGE model runs on: any interactions, not only its training data."""

from __future__ import annotations

from gnn.interactions import Interactions
from gnn.model import GraphSage, GraphTensors, graph_tensors


def graph_of(model: GraphSage, data: Interactions) -> GraphTensors:
    """`data` as the model's input graph (item features only when the model uses them)."""
    features = data.item_features.matrix if data.item_features is not None else None
    if model.item_feature is None:
        features = None
    return graph_tensors(data.users, data.items, data.n_users, data.n_items, features)
