"""User-side input features: each user's shares of item categories (`user_category_features`)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from gnn.artifact_contract import category_codes
from gnn.interactions import Interactions


def category_counts(data: Interactions) -> sp.csr_matrix | None:
    """(n_users, n_categories) number of each user's distinct items per category; None
    without item categories."""
    codes, categories = category_codes(data.item_categories, data.n_items)
    if not categories:
        return None
    item_codes = codes[data.items]
    keep = item_codes >= 0
    matrix = sp.csr_matrix(
        (np.ones(int(keep.sum()), np.float32), (data.users[keep], item_codes[keep])),
        shape=(data.n_users, len(categories)),
    )
    matrix.sum_duplicates()
    return matrix


def category_features(
    data: Interactions, kind: str, smoothing: float = 1.0
) -> sp.csr_matrix | None:
    """User features from category counts: "shares" (rows sum to 1 over the items that have a
    category) or "log_shares" (log of the shares smoothed by `smoothing` pseudo-items spread
    by the catalogue's category shares, dense); None without item categories."""
    counts = category_counts(data)
    if counts is None:
        return None
    totals = np.asarray(counts.sum(axis=1)).ravel()
    if kind == "shares":
        scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        return sp.csr_matrix(sp.diags(scale.astype(np.float32)) @ counts)
    if kind != "log_shares":
        raise ValueError(f"user category features must be 'shares' or 'log_shares', not {kind!r}")
    column = np.asarray(counts.sum(axis=0)).ravel()
    prior = column / max(column.sum(), 1.0)
    smoothed = (counts.toarray() + smoothing * prior) / (totals[:, None] + smoothing)
    return sp.csr_matrix(np.log(np.maximum(smoothed, 1e-6)).astype(np.float32))
