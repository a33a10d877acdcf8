"""Temporal per-user holdout."""

from __future__ import annotations

import numpy as np

from gnn.interactions import Interactions, aggregate
from gnn.split import concat, temporal_split


def build(rows: list[tuple[str, str, int]]) -> Interactions:
    """Interactions from (user, item, time) events, weight 1 each."""
    users, items, times = zip(*rows, strict=True)
    return aggregate(
        np.asarray(users), np.asarray(items), np.ones(len(rows)), np.asarray(times, np.int64)
    )


def items_of(data: Interactions, user: str) -> list[str]:
    """A user's items in `data`, sorted by first time."""
    mask = data.users == data.user_ids.index(user)
    order = np.argsort(data.first_at[mask], kind="stable")
    return [data.item_ids[i] for i in data.items[mask][order]]


def test_last_items_per_user_go_to_valid_and_test() -> None:
    rng = np.random.default_rng(0)
    rows = [("a", f"i{t:02d}", t) for t in range(10)]  # a: 10 items at times 0..9
    rows += [("b", "i00", 50), ("b", "i01", 60)]  # b: too few items, stays in train
    rows += [("c", "i05", 3), ("c", "i06", 1), ("c", "i07", 2)]  # c: exactly min_items
    rows += [("a", "i03", 99)]  # a repeat: a's i03 still counts from its first time (3)
    shuffled = [rows[k] for k in rng.permutation(len(rows))]
    split = temporal_split(build(shuffled), test_fraction=0.2, valid_fraction=0.1, min_items=3)

    assert items_of(split.test, "a") == ["i08", "i09"]  # ceil(0.2 · 10) = 2
    assert items_of(split.valid, "a") == ["i07"]  # ceil(0.1 · 10) = 1
    assert len(items_of(split.train, "a")) == 7
    assert items_of(split.train, "b") == ["i00", "i01"]
    assert items_of(split.valid, "b") == items_of(split.test, "b") == []
    assert items_of(split.test, "c") == ["i05"]  # latest first time (3)
    assert items_of(split.valid, "c") == ["i07"]
    assert items_of(split.train, "c") == ["i06"]
    for part in (split.train, split.valid, split.test):
        assert part.user_ids == ["a", "b", "c"]
        assert part.item_ids == split.train.item_ids
    whole = concat(split.train, split.valid, split.test)
    assert len(whole) == len(split.train) + len(split.valid) + len(split.test) == 15


def test_valid_only_when_train_keeps_an_item_and_float_noise() -> None:
    three = temporal_split(build([("u", f"x{k}", k) for k in range(3)]), 0.5, 0.5, min_items=3)
    assert len(three.test) == 2
    assert len(three.valid) == 0
    assert len(three.train) == 1
    thirty = temporal_split(build([("u", f"x{k:02d}", k) for k in range(30)]), 0.2, 0.1)
    assert (len(thirty.train), len(thirty.valid), len(thirty.test)) == (21, 3, 6)  # 0.1·30 = 3


def test_ties_broken_by_last_time_then_item_index() -> None:
    rows = [("u", "b", 5), ("u", "a", 5), ("u", "c", 5), ("u", "c", 8), ("u", "d", 1)]
    split = temporal_split(build(rows), test_fraction=0.25, valid_fraction=0.25)
    # order: d (1), a (5, 5), b (5, 5), c (5, 8) → test c, valid b
    assert items_of(split.test, "u") == ["c"]
    assert items_of(split.valid, "u") == ["b"]


def test_items_only_in_test_stay_in_the_index() -> None:
    rows = [("u", "old1", 1), ("u", "old2", 2), ("u", "new", 3), ("v", "old1", 1)]
    split = temporal_split(build(rows), test_fraction=0.3, valid_fraction=0.0)
    assert "new" in split.train.item_ids
    new = split.train.item_ids.index("new")
    assert new not in split.train.items
    assert new in split.test.items
