"""`benchmarks/recs_select.py` chooses recipe values on the outer training rows only: its
inner split is the training part split again in time, never the outer validation or test."""

from __future__ import annotations

import numpy as np

from benchmarks.recs_select import inner_split
from gnn.split import temporal_split
from tests.gnn.test_training import planted


def _pairs(users: np.ndarray, items: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(users.tolist(), items.tolist(), strict=True))


def test_the_inner_split_reads_only_the_outer_training_rows_and_keeps_time_order() -> None:
    data = planted(users=40, per_user=12)
    outer = temporal_split(data)
    inner = inner_split(outer)
    train = _pairs(outer.train.users, outer.train.items)
    held_out = _pairs(outer.valid.users, outer.valid.items) | _pairs(
        outer.test.users, outer.test.items
    )
    parts = [inner.train, inner.valid, inner.test]
    seen = [_pairs(p.users, p.items) for p in parts]
    assert set().union(*seen) == train, "every inner row is an outer training row, and all are used"
    assert not set().union(*seen) & held_out
    assert len(inner.test) > 0
    assert len(inner.valid) > 0
    # Per user, the inner test comes after the inner validation, which comes after training.
    for user in np.unique(inner.test.users):
        last_train = inner.train.first_at[inner.train.users == user].max()
        valid_times = inner.valid.first_at[inner.valid.users == user]
        first_test = inner.test.first_at[inner.test.users == user].min()
        assert last_train <= first_test
        if len(valid_times):
            assert valid_times.max() <= first_test
