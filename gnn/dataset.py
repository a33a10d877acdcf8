"""Snapshot of the customer graph for training: resolved customers by items, with features."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import torch
from torch_geometric.data import HeteroData

from gnn.interactions import Interactions, aggregate
from gnn.item_features import ItemFeatureEncoder
from gnn.item_metadata import with_item_attributes
from gnn.serving.model_users import ANONYMOUS_PREFIX, model_user, owning_customer
from graph.port import GraphStore
from privacy.consent import PERSONALISATION
from privacy.consent_store import ConsentService, UserConsent


def customer_of(row: dict[str, Any]) -> str:
    """The user an identifier's interactions count for (`gnn.serving.model_users`)."""
    owner = owning_customer(row.get("direct_ids") or [], row.get("via_ids") or [])
    return model_user(str(row["id_key"]), owner)


def item_attributes(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Catalogue rows keyed by item id, in the shape the feature encoder reads."""
    return {
        str(item["id"]): {
            "category": item.get("category"),
            "brand": item.get("brand"),
            "price": item.get("price"),
            "text": " ".join(str(item.get(k) or "") for k in ("title", "description")).strip(),
        }
        for item in items
    }


def consenting(users: np.ndarray, consent: UserConsent) -> np.ndarray:
    """Which model users (customer ids, `identifier:<key>`) may be trained on: those whose
    effective personalisation consent is granted (or the default grants it)."""
    verdict: dict[str, bool] = {}
    for user in np.unique(users).tolist():
        if user.startswith(ANONYMOUS_PREFIX):
            verdict[user] = consent.allows_identifier(user[len(ANONYMOUS_PREFIX) :])
        else:
            verdict[user] = consent.allows_customer(user)
    return np.fromiter((verdict[u] for u in users.tolist()), dtype=bool, count=len(users))


async def export_graph(
    store: GraphStore, consent: ConsentService | None = None
) -> tuple[Interactions, ItemFeatureEncoder]:
    """Read interactions, identifier → customer links and the catalogue from the graph and
    build customer-item interactions (all identifiers of a customer pooled). Customers and
    anonymous identifiers without personalisation consent are left out (`consent`: the
    configured service; default: one with the default consent rules)."""
    consent = consent if consent is not None else ConsentService(store)
    rows = await store.read("gnn/interactions")
    owners = {
        row["id_key"]: customer_of(row) for row in await store.read("gnn/identifier_customers")
    }
    items = await store.read("gnn/items")
    if not rows:
        raise ValueError("the graph has no interactions to train on (ingest events first)")
    users = np.array(
        [
            owners.get(row["id_key"], model_user(str(row["id_key"]), None))
            for row in rows
            for _ in row["items"]
        ]
    )
    keep = consenting(users, await consent.by_user(PERSONALISATION))
    if not keep.any():
        raise ValueError("no customer with interactions consents to personalisation")
    data = aggregate(
        users[keep],
        np.array([str(item) for row in rows for item in row["items"]])[keep],
        np.array([float(w or 0.0) for row in rows for w in row["weights"]], np.float64)[keep],
        np.array([int(t or 0) for row in rows for t in row["first_ats"]], np.int64)[keep],
        source="graph",
    )
    attributes = item_attributes(items)
    encoder = ItemFeatureEncoder().fit([attributes.get(i, {}) for i in data.item_ids])
    return with_item_attributes(data.subset(data.weights > 0), attributes, encoder), encoder


def summary(data: Interactions) -> dict[str, Any]:
    """Sizes and the content hash of a dataset."""
    return {
        "users": data.n_users,
        "items": data.n_items,
        "interactions": len(data),
        "anonymous_users": sum(1 for u in data.user_ids if u.startswith(ANONYMOUS_PREFIX)),
        "top_categories": Counter(data.item_categories or []).most_common(5),
        "data_hash": data.content_hash(),
    }


def to_hetero_data(data: Interactions) -> HeteroData:
    """The dataset as a PyG `HeteroData`: customer and item nodes, weighted timestamped
    `interacted` edges and their reverse, item feature matrix as `x`."""
    hetero = HeteroData()
    hetero["customer"].num_nodes = data.n_users
    hetero["item"].num_nodes = data.n_items
    if data.item_features is not None:
        hetero["item"].x = torch.from_numpy(data.item_features.matrix.toarray())
    edges = torch.from_numpy(np.vstack([data.users, data.items]))
    hetero["customer", "interacted", "item"].edge_index = edges
    hetero["customer", "interacted", "item"].edge_weight = torch.from_numpy(data.weights)
    hetero["customer", "interacted", "item"].time = torch.from_numpy(data.first_at)
    hetero["item", "rev_interacted", "customer"].edge_index = edges.flip(0)
    return hetero
