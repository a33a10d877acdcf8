"""The interface every recommender (baselines and the GNN) implements for evaluation."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from gnn.interactions import Interactions


@runtime_checkable
class Recommender(Protocol):
    """Fits on training interactions; scores every item for a batch of user indices."""

    name: str

    def fit(self, train: Interactions) -> None:
        """Learn from the training interactions (the index is that of `train`)."""
        ...

    def scores(self, users: np.ndarray) -> np.ndarray:
        """Scores of all items, shape (len(users), n_items), float32, higher is better."""
        ...
