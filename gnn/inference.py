"""The graph a trained GraphSAGE model runs on: any interactions, not only its training data."""

from __future__ import annotations

from gnn.interactions import Interactions
from gnn.item_item import item_neighbours
from gnn.model import GraphSage, GraphTensors, graph_tensors
from gnn.recency import user_recency
from gnn.user_features import category_features


def graph_of(model: GraphSage, data: Interactions) -> GraphTensors:
    """`data` as the model's input graph (item features only when the model uses them)."""
    features = data.item_features.matrix if data.item_features is not None else None
    if model.item_feature is None:
        features = None
    users = None
    if model.user_feature is not None:
        users = category_features(data, model.user_feature_kind)
        if users is None or users.shape[1] != model.user_feature.in_features:
            raise ValueError(
                "user_category_features: the data's categories do not match the model's"
            )
    weights = None
    if model.user_recency_half_life_days > 0:
        weights = user_recency(data, model.user_recency_half_life_days)
    item_item = None
    if model.item_item_neighbours > 0:
        item_item = item_neighbours(data, model.item_item_neighbours, model.item_item_shrink)
    return graph_tensors(
        data.users,
        data.items,
        data.n_users,
        data.n_items,
        features,
        users,
        weights,
        item_item,
        model.item_item_weighted,
    )
