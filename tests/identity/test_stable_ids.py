"""Stable customer ids across re-runs, with merge and split events."""

from __future__ import annotations

from itertools import count

from identity.stable_ids import assign_ids

_ids = (f"new{i}" for i in count())


def test_unchanged_and_grown_clusters_keep_their_ids() -> None:
    previous = {"a": "C1", "b": "C1", "c": "C2"}
    result = assign_ids([{"a", "b", "x"}, {"c"}], previous, lambda: next(_ids))
    assert result.ids == ["C1", "C2"]
    assert not result.merges
    assert not result.splits
    assert not result.retired


def test_merge_keeps_the_larger_customer_and_retires_the_other() -> None:
    previous = {"a": "C1", "b": "C1", "c": "C2"}
    result = assign_ids([{"a", "b", "c"}], previous, lambda: next(_ids))
    assert result.ids == ["C1"]
    [merge] = result.merges
    assert merge.from_customers == {"C1": ["a", "b"], "C2": ["c"]}
    assert result.retired == {"C2": "C1"}


def test_split_keeps_the_id_on_the_larger_part() -> None:
    previous = {"a": "C1", "b": "C1", "c": "C1"}
    result = assign_ids([{"c"}, {"a", "b"}], previous, lambda: "N")
    assert result.ids == ["N", "C1"]
    assert result.created == ["N"]
    [split] = result.splits
    assert split.into == {"N": ["c"], "C1": ["a", "b"]}


def test_new_records_get_new_customers() -> None:
    result = assign_ids([{"z"}], {}, lambda: "N1")
    assert result.ids == ["N1"]
    assert result.created == ["N1"]


def test_a_tie_goes_to_the_cluster_made_most_purely_of_the_customer() -> None:
    # "b" kept C2's other record company; "a" + "b" now form one cluster, "c" stays alone.
    previous = {"a": "C1", "b": "C2", "c": "C2"}
    result = assign_ids([{"a", "b"}, {"c"}], previous, lambda: "N")
    assert result.ids == ["C1", "C2"]
