"""The queue's filter, order and bands, on hand-made rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from api.graphql.review_ordering import (
    PairRow,
    QueueFilter,
    QueueOrder,
    Thresholds,
    band_counts,
    sort_rows,
)

T = Thresholds(review=0.5, auto_merge=0.9)
DAY = 86_400_000
JUNE_1 = 1_780_272_000_000  # 2026-06-01T00:00:00Z


def row(left: str, p: float | None, **overrides: Any) -> PairRow:
    values: dict[str, Any] = {
        "left_key": left,
        "right_key": "web:z",
        "left_source": "crm",
        "right_source": "web",
        "left_customer": f"C-{left}",
        "right_customer": "C-z",
        "probability": p,
        "match_weight": 1.0,
        "created_at": JUNE_1,
    }
    return PairRow.from_row({**values, **overrides})


def test_closest_to_a_threshold_comes_first_then_key_order() -> None:
    rows = [row("a", 0.7), row("b", 0.52), row("c", 0.85), row("d", None), row("e", 0.52)]
    ordered = sort_rows(rows, QueueOrder.THRESHOLD, T)
    assert [r.left_key for r in ordered] == ["b", "e", "c", "a", "d"]
    assert T.distance(0.52) == pytest.approx(0.02)
    assert T.distance(None) is None


def test_value_sorts_by_the_customers_worth_counting_a_shared_customer_once() -> None:
    rows = [
        row("a", 0.7),
        row("b", 0.6, right_customer="C-b"),  # both records in C-b: counted once
        row("c", 0.55),
    ]
    values = {"C-a": 10.0, "C-b": 30.0, "C-c": 10.0, "C-z": 5.0}
    assert rows[1].value(values) == 30.0
    ordered = sort_rows(rows, QueueOrder.VALUE, T, values)
    assert [r.left_key for r in ordered] == ["b", "c", "a"], "ties: nearer a threshold first"
    newest = sort_rows([row("a", 0.7), row("b", 0.7, created_at=JUNE_1 + 5)], QueueOrder.NEWEST, T)
    assert newest[0].left_key == "b"
    likely = sort_rows([row("a", 0.6), row("b", 0.8)], QueueOrder.PROBABILITY, T)
    assert likely[0].left_key == "b"


def test_filters_by_source_day_and_band() -> None:
    app = row("a", 0.6, left_source="app")
    late = row("b", 0.7, created_at=JUNE_1 + DAY + 1)
    assert QueueFilter(source="app").keeps(app)
    assert not QueueFilter(source="app").keeps(late)
    june_1 = QueueFilter(queued_from=date(2026, 6, 1), queued_to=date(2026, 6, 1))
    assert june_1.keeps(app)
    assert not june_1.keeps(late), "queued_to includes its whole day, not the next"
    assert QueueFilter(queued_from=date(2026, 6, 2)).keeps(late)
    band = QueueFilter(min_probability=0.6, max_probability=0.7)
    assert band.keeps(app)
    assert not band.keeps(late), "the upper bound is excluded"
    assert band.keeps(late, band=False)
    assert QueueFilter(min_probability=0.9, max_probability=1.0).keeps(row("c", 1.0))


def test_bands_split_the_review_range_and_count_every_probability_once() -> None:
    bands = T.bands()
    assert bands[0] == (0.0, 0.5)
    assert bands[-1] == (0.9, 1.0)
    assert [round(low, 2) for low, _ in bands[1:-1]] == [0.5, 0.6, 0.7, 0.8]
    rows = [row("a", p) for p in (0.1, 0.5, 0.55, 0.6, 0.89, 0.9, 1.0)] + [row("n", None)]
    counts = [n for _, _, n in band_counts(rows, bands)]
    assert counts == [1, 2, 1, 0, 1, 2]
