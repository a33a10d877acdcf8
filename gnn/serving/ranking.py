"""Scoring and exact top-k over the catalogue, with category filters and exclusions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gnn.serving.loaded_model import LoadedModel

# Scores of the given item rows (None: every item, as one contiguous matvec).
Scorer = Callable[[np.ndarray | None], np.ndarray]


def dot_scorer(model: LoadedModel, vector: np.ndarray) -> Scorer:
    """Inner products of `vector` with the items."""
    query = np.ascontiguousarray(vector, dtype=np.float32)
    items, items_t = model.item_embeddings, model.item_embeddings_t

    def score(rows: np.ndarray | None) -> np.ndarray:
        scores: np.ndarray = query @ items_t if rows is None else items[rows] @ query
        return scores

    return score


def user_scorer(model: LoadedModel, vector: np.ndarray) -> Scorer:
    """A user's scores: inner products with the items plus the model's item bias (if any)."""
    dot = dot_scorer(model, vector)
    bias = model.item_bias
    if bias is None:
        return dot

    def score(rows: np.ndarray | None) -> np.ndarray:
        scores = dot(rows)
        scores += bias if rows is None else bias[rows]
        return scores

    return score


def popularity_scorer(model: LoadedModel) -> Scorer:
    """The items' training popularity."""
    popularity = model.item_popularity

    def score(rows: np.ndarray | None) -> np.ndarray:
        return popularity.copy() if rows is None else popularity[rows]

    return score


def rank(
    model: LoadedModel,
    scorer: Scorer,
    k: int,
    categories: set[str] | None,
    excluded: np.ndarray,
) -> list[tuple[str, float]]:
    """Top `k` (item id, score) among the candidates, excluded items never returned."""
    n_items = model.n_items
    if categories is None:
        rows = None
    else:
        parts = [model.category_items[c] for c in sorted(categories) if c in model.category_items]
        rows = np.concatenate(parts) if len(parts) > 1 else (parts[0] if parts else excluded[:0])
        if len(parts) > 1:
            rows.sort()
    if rows is not None and 3 * len(rows) > n_items:
        # Most items are candidates: one contiguous matvec beats a gather.
        outside = np.ones(n_items, bool)
        outside[rows] = False
        scores = scorer(None)
        scores[outside] = -np.inf
        rows = None
    elif rows is None:
        scores = scorer(None)
    else:
        scores = scorer(rows)
    if len(excluded):
        if rows is None:
            scores[excluded] = -np.inf
        elif len(rows):
            at = np.minimum(np.searchsorted(rows, excluded), len(rows) - 1)
            scores[at[rows[at] == excluded]] = -np.inf
    count = min(k, len(scores))
    if count == 0:
        return []
    if count < len(scores):
        top = np.argpartition(scores, len(scores) - count)[len(scores) - count :]
        cut = scores[top].min()  # items tied with the k-th are all candidates: ties by index
        top = np.flatnonzero(scores >= cut) if cut > -np.inf else np.flatnonzero(scores > cut)
    else:
        top = np.flatnonzero(scores > -np.inf)
    top = top[np.lexsort((top, -scores[top]))][:count]  # best first, ties by lower index
    items = top if rows is None else rows[top]
    ids = model.item_ids
    return [(ids[i], float(s)) for i, s in zip(items.tolist(), scores[top].tolist(), strict=True)]
