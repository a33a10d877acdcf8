"""Pairwise and exact-cluster accuracy on hand-computed cases."""

from __future__ import annotations

import pytest

from identity.evaluation import evaluate


def test_perfect_prediction_with_other_labels() -> None:
    result = evaluate({"a": "x", "b": "x", "c": "y"}, {"a": 1, "b": 1, "c": 2})
    assert (result.tp, result.fp, result.fn) == (1, 0, 0)
    assert (result.precision, result.recall, result.f1) == (1.0, 1.0, 1.0)
    assert (result.correct_clusters, result.cluster_f1) == (2, 1.0)


def test_all_singletons() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": 2}
    result = evaluate({"a": "w", "b": "x", "c": "y", "d": "z"}, truth)
    assert (result.true_pairs, result.predicted_pairs, result.tp, result.fn) == (3, 0, 0, 3)
    assert (result.precision, result.recall, result.f1) == (1.0, 0.0, 0.0)
    # Only {d} is right: 1 of 4 predicted clusters, 1 of 2 true ones.
    assert (result.predicted_clusters, result.true_clusters, result.correct_clusters) == (4, 2, 1)
    assert result.cluster_precision == 0.25
    assert result.cluster_recall == 0.5
    assert result.cluster_f1 == pytest.approx(1 / 3)


def test_all_in_one_cluster() -> None:
    result = evaluate(dict.fromkeys("abcd", "x"), {"a": 1, "b": 1, "c": 2, "d": 2})
    assert (result.predicted_pairs, result.true_pairs) == (6, 2)
    assert (result.tp, result.fp, result.fn) == (2, 4, 0)
    assert result.precision == pytest.approx(1 / 3)
    assert result.recall == 1.0
    assert result.f1 == pytest.approx(0.5)
    assert (result.correct_clusters, result.cluster_f1) == (0, 0.0)


def test_partial_overlap() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 3}
    predicted = {"a": "P1", "b": "P1", "c": "P2", "d": "P2", "e": "P2", "f": "P3"}
    result = evaluate(predicted, truth)
    # TP: ab, de; predicted pairs ab, cd, ce, de; true pairs ab, ac, bc, de.
    assert (result.tp, result.fp, result.fn) == (2, 2, 2)
    assert (result.precision, result.recall, result.f1) == (0.5, 0.5, 0.5)
    assert result.correct_clusters == 1  # {f}
    assert result.cluster_f1 == pytest.approx(1 / 3)


def test_records_missing_from_prediction_are_singletons() -> None:
    result = evaluate({"a": "x"}, {"a": 1, "b": 1, "c": 2})
    assert (result.predicted_pairs, result.tp, result.fn) == (0, 0, 1)
    assert (result.predicted_clusters, result.correct_clusters) == (3, 1)  # {c} is right
    both_missing = evaluate({}, {"a": 1, "b": 1})
    assert (both_missing.tp, both_missing.recall, both_missing.predicted_clusters) == (0, 0.0, 2)


def test_predicted_records_outside_the_truth_are_ignored() -> None:
    result = evaluate({"a": "x", "b": "x", "z": "x"}, {"a": 1, "b": 1})
    assert (result.records, result.predicted_pairs, result.fp) == (2, 1, 0)
    assert (result.f1, result.cluster_f1) == (1.0, 1.0)


def test_empty_truth() -> None:
    result = evaluate({}, {})
    assert (result.records, result.tp, result.f1, result.cluster_f1) == (0, 0, 1.0, 1.0)


def test_large_input_is_counted_not_enumerated() -> None:
    truth = {i: i // 4 for i in range(200_000)}  # 50,000 clusters of 4: 300,000 pairs
    predicted = {i: i // 8 for i in range(200_000)}  # pairs of true clusters merged
    result = evaluate(predicted, truth)
    assert (result.true_pairs, result.predicted_pairs, result.tp) == (300_000, 700_000, 300_000)
    assert result.precision == pytest.approx(3 / 7)
