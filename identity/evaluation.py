"""Accuracy of a clustering against ground truth: pairwise and exact-cluster metrics.

Both inputs map a record id to a cluster label. The universe is the records of the truth:
a record the prediction lacks counts as a singleton, and predicted records that the truth
does not know are ignored. Pairs are counted from cluster sizes on the contingency table
(never enumerated), so a million records take about a second.

- Pairwise: a pair of records is a true pair when both share a true cluster, a predicted
  pair when both share a predicted cluster. precision = TP / predicted pairs, recall =
  TP / true pairs. With no predicted pairs precision is 1.0 (nothing wrongly linked); with
  no true pairs recall is 1.0; F1 is 0.0 when precision + recall is 0.
- Cluster (exact match): a predicted cluster is correct when it holds exactly the records
  of one true cluster (singletons included). precision = correct / predicted clusters,
  recall = correct / true clusters, F1 their harmonic mean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

RecordId = TypeVar("RecordId", bound=Hashable)


class Accuracy(BaseModel):
    """Pairwise and exact-cluster counts and scores of one prediction against the truth."""

    model_config = ConfigDict(frozen=True)

    records: int
    true_pairs: int
    predicted_pairs: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    true_clusters: int
    predicted_clusters: int
    correct_clusters: int
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def evaluate(
    predicted: Mapping[RecordId, Hashable], truth: Mapping[RecordId, Hashable]
) -> Accuracy:
    """Score `predicted` (record → cluster) against `truth` (record → true cluster)."""
    # Records missing from the prediction get a label no other record can share.
    labels = {
        record: ("pred", predicted[record]) if record in predicted else ("solo", record)
        for record in truth
    }
    cells = Counter((labels[record], true) for record, true in truth.items())
    predicted_sizes = Counter(labels.values())
    true_sizes = Counter(truth.values())
    tp = sum(_pairs(n) for n in cells.values())
    predicted_pairs = sum(_pairs(n) for n in predicted_sizes.values())
    true_pairs = sum(_pairs(n) for n in true_sizes.values())
    correct = sum(
        1
        for (label, true), n in cells.items()
        if n == predicted_sizes[label] and n == true_sizes[true]
    )
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    cluster_precision = correct / len(predicted_sizes) if predicted_sizes else 1.0
    cluster_recall = correct / len(true_sizes) if true_sizes else 1.0
    return Accuracy(
        records=len(truth),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        tp=tp,
        fp=predicted_pairs - tp,
        fn=true_pairs - tp,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        true_clusters=len(true_sizes),
        predicted_clusters=len(predicted_sizes),
        correct_clusters=correct,
        cluster_precision=cluster_precision,
        cluster_recall=cluster_recall,
        cluster_f1=_f1(cluster_precision, cluster_recall),
    )
