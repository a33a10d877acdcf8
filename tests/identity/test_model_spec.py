"""The model's comparisons: what each one compares."""

from __future__ import annotations

from identity.model_spec import comparisons


def _labels(comparison: object) -> list[str]:
    levels = comparison.get_comparison("duckdb").comparison_levels  # type: ignore[attr-defined]
    return [str(level.label_for_charts) for level in levels]


def test_swapped_names_count_once_in_the_first_name_comparison() -> None:
    first, last = comparisons(["first_name", "last_name", "date_of_birth"])[:2]
    assert "first and last name swapped" in _labels(first)
    assert "first and last name swapped" not in _labels(last)
