"""Non-graph-neural baselines: popularity (plain and per category), item-based kNN, ALS matrix
factorisation, EASE.

Every model fits on the train part of a split and scores the whole catalogue for a batch of
users. Hyper-parameters were tuned once by grid search on the validation part of
`temporal_split` (NDCG@20) of the demo world (5,000 people) and of Online Retail II; the
presets and the search live in `gnn.baseline_presets` (on the test part the per-dataset
presets did not beat the defaults: differences were within noise).

`CategoryPopularity` is the strongest baseline on the demo world, whose generator draws items
from a person's category preferences times item popularity; it needs `item_categories`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped, unused-ignore]

from gnn.interactions import Interactions
from gnn.item_item import similarity_blocks

MAX_DENSE_ITEMS = 20_000


def _not_fitted(name: str) -> RuntimeError:
    return RuntimeError(f"{name}: call fit() before scores()")


def _weighted(train: Interactions, weighting: str) -> sp.csr_matrix:
    """The user x item matrix with entries 1 (binary) or log1p(weight) (log)."""
    matrix = train.matrix()
    matrix.sum_duplicates()
    if weighting == "binary":
        matrix.data[:] = 1.0
    elif weighting == "log":
        matrix.data = np.log1p(matrix.data).astype(np.float32)
    else:
        raise ValueError(f"weighting must be 'binary' or 'log', not {weighting!r}")
    return matrix


class Popularity:
    """Scores every item by how many distinct training users interacted with it (`by="users"`,
    the default: a few heavy buyers cannot dominate) or by its summed weight (`by="weight"`)."""

    def __init__(self, by: str = "users", name: str = "popularity") -> None:
        if by not in ("users", "weight"):
            raise ValueError(f"by must be 'users' or 'weight', not {by!r}")
        self.by = by
        self.name = name
        self._popularity: np.ndarray | None = None

    def fit(self, train: Interactions) -> None:
        """Count each item's training users (or sum its weights)."""
        weights = np.ones(len(train)) if self.by == "users" else train.weights.astype(np.float64)
        counts = np.bincount(train.items, weights=weights, minlength=train.n_items)
        self._popularity = counts.astype(np.float32)

    def scores(self, users: np.ndarray) -> np.ndarray:
        """The same popularity row for every user."""
        if self._popularity is None:
            raise _not_fitted(self.name)
        return np.repeat(self._popularity[None, :], len(users), axis=0)


class CategoryPopularity:
    """Content-aware popularity: score(u, j) = P(category(j) | u) · P(j | category(j)), where
    P(c | u) is the share of u's training items in category c smoothed towards the catalogue's
    category shares (`smoothing` pseudo-items per category), and P(j | c) is j's share of its
    category's training users. Needs `item_categories`; without them it is `Popularity`."""

    def __init__(self, smoothing: float = 0.25, name: str = "category_popularity") -> None:
        self.smoothing = smoothing
        self.name = name
        self._profiles: sp.csr_matrix | None = None
        self._prior: np.ndarray | None = None
        self._category: np.ndarray | None = None
        self._within: np.ndarray | None = None

    def fit(self, train: Interactions) -> None:
        """Count items per category per user and users per item."""
        labels = train.item_categories or [""] * train.n_items
        _, category = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
        n_categories = int(category.max()) + 1 if len(category) else 1
        binary = train.matrix(binary=True)
        binary.sum_duplicates()
        binary.data[:] = 1.0
        popularity = np.asarray(binary.sum(axis=0)).ravel() + 0.5
        mass = np.bincount(category, weights=popularity, minlength=n_categories)
        assignment = sp.csr_matrix(
            (np.ones(train.n_items, np.float32), (np.arange(train.n_items), category)),
            shape=(train.n_items, n_categories),
        )
        self._profiles = (binary @ assignment).tocsr()
        self._prior = (self.smoothing * n_categories * mass / mass.sum()).astype(np.float64)
        self._category = category
        self._within = (popularity / mass[category]).astype(np.float32)

    def scores(self, users: np.ndarray) -> np.ndarray:
        """The user's smoothed category shares times each item's share of its category."""
        if self._profiles is None or self._prior is None or self._within is None:
            raise _not_fitted(self.name)
        counts = np.asarray(self._profiles[np.asarray(users)].toarray(), np.float64)
        shares = counts + self._prior[None, :]
        shares /= shares.sum(axis=1, keepdims=True)
        return np.asarray(shares[:, self._category] * self._within[None, :], np.float32)


class ItemKNN:
    """Item-based kNN: shrunk cosine similarity x_i·x_j / (|x_i| |x_j| + shrink) between item
    columns of the user x item matrix (entries binary by default: it matched or beat
    log1p(weight) on both datasets), each item keeps its `neighbours` most similar items;
    score(u, j) = Σ_{i ∈ items(u)} x_ui · sim(i, j) over j's neighbours."""

    def __init__(
        self,
        neighbours: int = 200,
        weighting: str = "binary",
        shrink: float = 50.0,
        name: str = "itemknn",
    ) -> None:
        self.neighbours = neighbours
        self.weighting = weighting
        self.shrink = shrink
        self.name = name
        self._users: sp.csr_matrix | None = None
        self._similarity: sp.csr_matrix | None = None

    def fit(self, train: Interactions) -> None:
        """Compute the pruned item-item similarity in column blocks (sparse scipy)."""
        matrix = _weighted(train, self.weighting)
        n_items = train.n_items
        keep = min(self.neighbours, max(n_items - 1, 1))
        rows_out: list[np.ndarray] = []
        cols_out: list[np.ndarray] = []
        vals_out: list[np.ndarray] = []
        for block, sims in similarity_blocks(matrix, self.shrink, np.float32):
            if keep < n_items:
                top = np.argpartition(-sims, keep - 1, axis=0)[:keep]
            else:
                top = np.broadcast_to(np.arange(n_items)[:, None], sims.shape)
            values = np.take_along_axis(sims, top, axis=0)
            nonzero = values > 0
            rows_out.append(top[nonzero])
            cols_out.append(np.broadcast_to(block[None, :], top.shape)[nonzero])
            vals_out.append(values[nonzero])
        self._similarity = sp.csr_matrix(
            (np.concatenate(vals_out), (np.concatenate(rows_out), np.concatenate(cols_out))),
            shape=(n_items, n_items),
            dtype=np.float32,
        )
        self._users = matrix

    def scores(self, users: np.ndarray) -> np.ndarray:
        """Sum of the user's items' similarities to every item."""
        if self._users is None or self._similarity is None:
            raise _not_fitted(self.name)
        product = self._users[np.asarray(users)] @ self._similarity
        return np.asarray(product.toarray(), np.float32)


class MatrixFactorization:
    """Implicit-feedback ALS (Hu, Koren & Volinsky 2008) from the `implicit` library (CPU):
    confidence c_ui = 1 + alpha · log1p(weight), preference 1 on observed pairs. `implicit`'s
    regularisation is not scaled by the number of interactions: far above the tuned values
    (e.g. 100 here) the factors collapse towards popularity."""

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 30.0,
        alpha: float = 3.0,
        iterations: int = 15,
        random_state: int = 42,
        threads: int = 0,
        name: str = "mf",
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state
        self.threads = threads
        self.name = name
        self._user_factors: np.ndarray | None = None
        self._item_factors: np.ndarray | None = None

    def fit(self, train: Interactions) -> None:
        """Run ALS on the confidence matrix (BLAS limited to one thread, as implicit asks)."""
        from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped, unused-ignore]

        confidence = train.matrix()
        confidence.sum_duplicates()
        confidence.data = (1.0 + self.alpha * np.log1p(confidence.data)).astype(np.float32)
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=1.0,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.threads,
            )
            model.fit(confidence, show_progress=False)
        self._user_factors = np.asarray(model.user_factors, np.float32)
        self._item_factors = np.asarray(model.item_factors, np.float32)

    def scores(self, users: np.ndarray) -> np.ndarray:
        """Dot products of user and item factors."""
        if self._user_factors is None or self._item_factors is None:
            raise _not_fitted(self.name)
        return np.asarray(self._user_factors[np.asarray(users)] @ self._item_factors.T)


class EASE:
    """EASE^R (Steck 2019): a dense item x item linear model with zero diagonal, closed form
    B = I - P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹ on the binary matrix. O(n_items²) memory,
    refused above `MAX_DENSE_ITEMS` items."""

    def __init__(self, l2: float = 500.0, weighting: str = "binary", name: str = "ease") -> None:
        self.l2 = l2
        self.weighting = weighting
        self.name = name
        self._users: sp.csr_matrix | None = None
        self._weights: np.ndarray | None = None

    def fit(self, train: Interactions) -> None:
        """Solve the closed form (one dense matrix inversion)."""
        if train.n_items > MAX_DENSE_ITEMS:
            raise ValueError(f"EASE: {train.n_items} items is more than {MAX_DENSE_ITEMS}")
        matrix = _weighted(train, self.weighting)
        gram = np.asarray((matrix.T @ matrix).toarray(), np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)[None, :]
        weights[np.diag_indices_from(weights)] = 0.0
        self._weights = weights.astype(np.float32)
        self._users = matrix

    def scores(self, users: np.ndarray) -> np.ndarray:
        """The user's row of the matrix times the item weights."""
        if self._users is None or self._weights is None:
            raise _not_fitted(self.name)
        return np.asarray(self._users[np.asarray(users)] @ self._weights, np.float32)
