"""Item-item co-occurrence edges: each item's most similar items by shrunk cosine similarity
of their user columns, an extra relation the GraphSAGE item layers aggregate over
(`item_item_neighbours` in `gnn.config`)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

from gnn.interactions import Interactions

_BLOCK_CELLS = 2**23  # similarity block size (n_items x block columns), ~32 MB of float32


def similarity_blocks(
    matrix: sp.spmatrix, shrink: float, dtype: type[np.floating]
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of item columns of the user x item `matrix` with their similarity to every item,
    x_i·x_j / (|x_i| |x_j| + shrink) in `dtype`, an item's to itself set to 0:
    (block indices, (n_items, len(block)) similarities). Shared by item-kNN."""
    n_items = matrix.shape[1]
    columns = matrix.tocsc()
    transposed = columns.T.tocsr()
    squares = np.asarray(columns.multiply(columns).sum(axis=0)).ravel()
    norms = np.sqrt(squares.astype(np.promote_types(squares.dtype, dtype)))
    step = max(1, min(n_items, _BLOCK_CELLS // max(n_items, 1)))
    for start in range(0, n_items, step):
        block = np.arange(start, min(start + step, n_items))
        dots = np.asarray((transposed @ columns[:, block]).toarray(), dtype)
        denominator = np.outer(norms, norms[block]) + shrink + 1e-12
        sims = dots / denominator.astype(dtype)
        sims[block, np.arange(len(block))] = 0.0  # an item is not its own neighbour
        yield block, sims


def item_neighbours(data: Interactions, neighbours: int, shrink: float = 0.0) -> sp.csr_matrix:
    """(n_items, n_items) CSR: row i holds item i's `neighbours` most similar other items with
    similarity x_i·x_j / (|x_i| |x_j| + shrink) over the binary user x item matrix (> 0 only;
    ties by lower index). Items without users have no neighbours and are nobody's neighbour."""
    n_items = data.n_items
    if neighbours <= 0 or n_items < 2 or len(data) == 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    binary = data.matrix(binary=True)
    binary.sum_duplicates()
    binary.data[:] = 1.0
    keep = min(neighbours, n_items - 1)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for block, sims in similarity_blocks(binary, shrink, np.float64):
        # Stable order by (-similarity, index): the top `keep` rows of each column.
        order = np.argsort(-sims, axis=0, kind="stable")[:keep]
        top = np.take_along_axis(sims, order, axis=0)
        positive = top > 0
        rows.append(np.broadcast_to(block, order.shape)[positive])
        cols.append(order[positive])
        vals.append(top[positive])
    matrix = sp.csr_matrix(
        (
            np.concatenate(vals).astype(np.float32),
            (np.concatenate(rows), np.concatenate(cols)),
        ),
        shape=(n_items, n_items),
    )
    matrix.sort_indices()
    return matrix
