"""Temporal holdout per user: each user's most recent items are held out for validation/test.

`temporal_split` holds out the *last interactions of every user* (by the time the user first
interacted with each item), not everything after one global date. Every evaluated user
therefore has training history, so the test measures "what will this known customer want
next" for all of them, rather than mostly measuring cold-start users that happen to arrive
after the cut; and no user's own future leaks into their training rows. (Other users' rows
may be later than a given user's test rows; that is the usual leave-last-out protocol.)

The three parts keep the full user and item index: items seen only in valid or test remain
in the index, they just have no training edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gnn.interactions import Interactions

_EPS = 1e-9


@dataclass(frozen=True)
class Split:
    """Train, validation and test interactions over one shared user and item index."""

    train: Interactions
    valid: Interactions
    test: Interactions

    def train_and_valid(self) -> Interactions:
        """Train and validation rows together (the history seen before the test items)."""
        return concat(self.train, self.valid)


def concat(first: Interactions, *others: Interactions) -> Interactions:
    """The rows of several `Interactions` over the same index (pairs must be disjoint)."""
    parts = (first, *others)
    for part in others:
        if part.user_ids is not first.user_ids and part.user_ids != first.user_ids:
            raise ValueError("cannot concatenate interactions with different user indices")
        if part.item_ids is not first.item_ids and part.item_ids != first.item_ids:
            raise ValueError("cannot concatenate interactions with different item indices")
    return Interactions(
        np.concatenate([p.users for p in parts]),
        np.concatenate([p.items for p in parts]),
        np.concatenate([p.weights for p in parts]),
        np.concatenate([p.first_at for p in parts]),
        np.concatenate([p.last_at for p in parts]),
        first.user_ids,
        first.item_ids,
        first.item_features,
        first.item_categories,
        first.source,
    )


def _count(fraction: float, n: np.ndarray) -> np.ndarray:
    """ceil(fraction · n), robust to float noise (0.1 · 30 is 3, not 4)."""
    return np.ceil(fraction * n - _EPS).astype(np.int64)


def temporal_split(
    data: Interactions,
    test_fraction: float = 0.2,
    valid_fraction: float = 0.1,
    min_items: int = 3,
) -> Split:
    """Per user with ≥ `min_items` items: last ceil(test·n) items to test, the ceil(valid·n)
    before them to valid (when ≥ 1 item is left for train); smaller users stay in train."""
    if not 0 <= test_fraction < 1 or not 0 <= valid_fraction < 1:
        raise ValueError("test_fraction and valid_fraction must be in [0, 1)")
    if min_items < 2:
        raise ValueError("min_items must be at least 2 (a held-out user needs a train item)")
    rows = len(data)
    # user-major order, then by first time, last time, item index
    order = np.lexsort((data.items, data.last_at, data.first_at, data.users))
    users = data.users[order]
    per_user = np.bincount(users, minlength=data.n_users)
    starts = np.concatenate(([0], np.cumsum(per_user)[:-1]))
    rank = np.arange(rows, dtype=np.int64) - starts[users]
    from_end = per_user[users] - 1 - rank  # 0 for each user's latest item

    n = per_user.astype(np.int64)
    eligible = n >= min_items
    n_test = np.minimum(_count(test_fraction, n), n - 1)
    n_valid = _count(valid_fraction, n)
    n_valid = np.where(n - n_test - n_valid >= 1, n_valid, 0)
    n_test = np.where(eligible, n_test, 0)
    n_valid = np.where(eligible, n_valid, 0)

    part = np.zeros(rows, np.int8)  # 0 train, 1 valid, 2 test (in sorted order)
    test_rows = from_end < n_test[users]
    valid_rows = ~test_rows & (from_end < (n_test + n_valid)[users])
    part[test_rows] = 2
    part[valid_rows] = 1
    assignment = np.empty(rows, np.int8)
    assignment[order] = part
    return Split(
        data.subset(assignment == 0), data.subset(assignment == 1), data.subset(assignment == 2)
    )


def late_validation(split: Split) -> tuple[Interactions, Interactions]:
    """(seen, truth) for choosing scoring-time settings: each user's validation items split
    in time, the earlier half (rounded up) joining the seen history and the later half the
    targets. Users with one validation item have no target. The model was fitted on the
    training rows only, so, as at test time and between retrains, the targets come after
    interactions it never learned from."""
    valid = split.valid
    order = np.lexsort((valid.items, valid.last_at, valid.first_at, valid.users))
    users = valid.users[order]
    per_user = np.bincount(users, minlength=valid.n_users)
    starts = np.concatenate(([0], np.cumsum(per_user)[:-1]))
    rank = np.arange(len(valid), dtype=np.int64) - starts[users]
    late_sorted = rank >= _count(0.5, per_user)[users]
    late = np.empty(len(valid), bool)
    late[order] = late_sorted
    return concat(split.train, valid.subset(~late)), valid.subset(late)
