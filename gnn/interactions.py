"""The interaction table every recommender here trains on: one row per (user, item) pair."""

from __future__ import annotations

from dataclasses import dataclass, field
from hashlib import sha256

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class ItemFeatures:
    """Item side information as a sparse matrix, one row per item, named columns."""

    matrix: sp.csr_matrix  # (n_items, n_features), float32, rows L2-normalised per block
    names: list[str]


@dataclass(frozen=True)
class Interactions:
    """Aggregated implicit feedback: `users[k]` interacted with `items[k]` with `weights[k]`,
    first at `first_at[k]` and last at `last_at[k]` (epoch ms). Indices point into `user_ids`
    and `item_ids`; each (user, item) pair occurs once."""

    users: np.ndarray  # int64
    items: np.ndarray  # int64
    weights: np.ndarray  # float32, > 0
    first_at: np.ndarray  # int64 epoch ms
    last_at: np.ndarray  # int64 epoch ms
    user_ids: list[str]
    item_ids: list[str]
    item_features: ItemFeatures | None = None
    item_categories: list[str] | None = None  # one label per item ("" when unknown)
    source: str = field(default="")

    @property
    def n_users(self) -> int:
        """Number of users (rows of the user index)."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Number of items (rows of the item index)."""
        return len(self.item_ids)

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def matrix(self, binary: bool = False) -> sp.csr_matrix:
        """The user-by-item matrix of weights (or ones)."""
        data = np.ones(len(self), np.float32) if binary else self.weights.astype(np.float32)
        return sp.csr_matrix(
            (data, (self.users, self.items)), shape=(self.n_users, self.n_items), dtype=np.float32
        )

    def subset(self, mask: np.ndarray) -> Interactions:
        """The rows where `mask` is true, with the same user and item index."""
        return Interactions(
            self.users[mask],
            self.items[mask],
            self.weights[mask],
            self.first_at[mask],
            self.last_at[mask],
            self.user_ids,
            self.item_ids,
            self.item_features,
            self.item_categories,
            self.source,
        )

    def content_hash(self) -> str:
        """A hash of the ids and every row: equal hashes mean the same training data."""
        digest = sha256()
        for ids in (self.user_ids, self.item_ids):
            digest.update("\x1f".join(ids).encode())
            digest.update(b"\x1e")
        order = np.lexsort((self.items, self.users))
        for column in (self.users, self.items, self.weights, self.first_at, self.last_at):
            digest.update(np.ascontiguousarray(column[order]).tobytes())
        if self.item_features is not None:
            features = self.item_features.matrix
            for part in (features.indptr, features.indices, features.data):
                digest.update(np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()[:16]


def aggregate(
    user_keys: np.ndarray,
    item_keys: np.ndarray,
    weights: np.ndarray,
    times: np.ndarray,
    source: str = "",
) -> Interactions:
    """Build `Interactions` from raw log rows (one per event): pairs are summed, first and
    last times kept; users and items are indexed in sorted key order (deterministic)."""
    user_ids, users = np.unique(user_keys.astype(str), return_inverse=True)
    item_ids, items = np.unique(item_keys.astype(str), return_inverse=True)
    pair = users.astype(np.int64) * len(item_ids) + items.astype(np.int64)
    unique_pairs, inverse = np.unique(pair, return_inverse=True)
    summed = np.zeros(len(unique_pairs), np.float64)
    np.add.at(summed, inverse, weights.astype(np.float64))
    first = np.full(len(unique_pairs), np.iinfo(np.int64).max, np.int64)
    last = np.full(len(unique_pairs), np.iinfo(np.int64).min, np.int64)
    np.minimum.at(first, inverse, times.astype(np.int64))
    np.maximum.at(last, inverse, times.astype(np.int64))
    return Interactions(
        (unique_pairs // len(item_ids)).astype(np.int64),
        (unique_pairs % len(item_ids)).astype(np.int64),
        summed.astype(np.float32),
        first,
        last,
        [str(u) for u in user_ids],
        [str(i) for i in item_ids],
        source=source,
    )
