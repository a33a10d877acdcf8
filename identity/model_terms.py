"""The numbers of a trained Splink model, read once through Splink's own settings objects.

Splink decides defaults (m/u of untrained levels, comparison vector values, which level's
u a term-frequency adjustment uses); reading the saved model through it keeps those
decisions identical to ``linker.inference.predict``. Written against Splink 5.0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from splink import SettingsCreator
from splink.internals.misc import prob_to_match_weight


@dataclass(frozen=True)
class TfTerms:
    """How a level adjusts its weight by the term frequency of the values compared."""

    column: str
    weight: float
    minimum_u: float
    log2_u_exact_match: float


@dataclass(frozen=True)
class LevelTerms:
    """One comparison level: its SQL, label, comparison vector value and weights."""

    sql_condition: str
    when_sql: str
    label: str
    gamma: int
    is_null_level: bool
    match_weight: float
    tf: TfTerms | None

    @property
    def is_else(self) -> bool:
        """True for the catch-all ELSE level."""
        return self.sql_condition.strip().upper() == "ELSE"


@dataclass(frozen=True)
class ComparisonTerms:
    """One comparison: its levels in CASE order and the input columns it reads."""

    output_column_name: str
    description: str
    levels: tuple[LevelTerms, ...]
    columns: tuple[str, ...]
    has_tf_term: bool

    def level(self, gamma: int) -> LevelTerms:
        """The level with comparison vector value ``gamma``."""
        for level in self.levels:
            if level.gamma == gamma:
                return level
        raise ValueError(f"comparison {self.output_column_name!r} has no level {gamma}")


@dataclass(frozen=True)
class ModelTerms:
    """Everything needed to score a pair: the prior and every comparison's levels."""

    prior_match_weight: float
    comparisons: tuple[ComparisonTerms, ...]
    unique_id_column: str
    tf_column_prefix: str

    @property
    def tf_columns(self) -> tuple[str, ...]:
        """Input columns whose term frequencies some level uses."""
        found = {lv.tf.column for c in self.comparisons for lv in c.levels if lv.tf is not None}
        return tuple(sorted(found))


def tf_adjustment(tf: TfTerms, tf_left: float | None, tf_right: float | None) -> float:
    """Splink's ``mw_tf_adj_`` term for a level (ComparisonLevel._tf_adjustment_sql).

    ``weight * (log2(u of the exact-match level) - log2(greatest(tf_l, tf_r, minimum u)))``,
    where a missing side takes the other side's frequency and both missing give 0.
    """
    if tf_left is None:
        if tf_right is None:
            return 0.0
        tf_left = tf_right
    elif tf_right is None:
        tf_right = tf_left
    return tf.weight * (tf.log2_u_exact_match - math.log2(max(tf_left, tf_right, tf.minimum_u)))


def match_probability(match_weight: float) -> float:
    """Splink's probability from a match weight (its overflow-safe two-branch form)."""
    if match_weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -match_weight))
    power = math.pow(2.0, match_weight)
    return power / (1.0 + power)


def read_model_terms(settings: Mapping[str, Any]) -> ModelTerms:
    """Read a model saved by ``linker.misc.save_model_to_json`` (DuckDB dialect only)."""
    dialect = settings.get("sql_dialect", "duckdb")
    if dialect != "duckdb":
        raise ValueError(f"the model's SQL is in the {dialect!r} dialect; DuckDB is needed")
    parsed = SettingsCreator.from_path_or_dict(dict(settings)).get_settings("duckdb")
    comparisons = tuple(_comparison_terms(c) for c in parsed.comparisons)
    column_info = parsed.column_info_settings
    return ModelTerms(
        prior_match_weight=prob_to_match_weight(parsed._probability_two_random_records_match),
        comparisons=comparisons,
        unique_id_column=column_info.unique_id_column_name,
        tf_column_prefix=column_info.term_frequency_adjustment_column_prefix,
    )


def _comparison_terms(comparison: Any) -> ComparisonTerms:
    name = str(comparison.output_column_name)
    levels = tuple(_level_terms(comparison, level) for level in comparison.comparison_levels)
    columns = {c.unquote().name for c in comparison._input_columns_used_by_case_statement}
    columns.update(lv.tf.column for lv in levels if lv.tf is not None)
    if not levels or not levels[-1].is_else:
        # Without ELSE, Splink's CASE can yield NULL and a NULL match weight.
        raise ValueError(f"comparison {name!r} must end with an ELSE level")
    return ComparisonTerms(
        output_column_name=name,
        description=str(comparison.comparison_description),
        levels=levels,
        columns=tuple(sorted(columns)),
        has_tf_term=bool(comparison._has_tf_adjustments),
    )


def _level_terms(comparison: Any, level: Any) -> LevelTerms:
    gamma = int(level.comparison_vector_value)
    return LevelTerms(
        sql_condition=str(level.sql_condition),
        when_sql=str(level._when_then_comparison_vector_value_sql),
        label=str(level.label_for_charts),
        gamma=gamma,
        is_null_level=bool(level.is_null_level),
        match_weight=0.0 if level.is_null_level else float(level._match_weight),
        tf=_tf_terms(comparison, level, gamma),
    )


def _tf_terms(comparison: Any, level: Any, gamma: int) -> TfTerms | None:
    """Mirror ComparisonLevel._tf_adjustment_sql: which levels adjust, and by what u."""
    if gamma == -1 or not level._has_tf_adjustments or level._tf_adjustment_weight == 0:
        return None
    if level._is_else_level:
        return None
    try:
        u_exact = level._u_probability_corresponding_to_exact_match(comparison.comparison_levels)
    except ValueError as error:
        raise ValueError(f"comparison {comparison.output_column_name!r}: {error}") from error
    return TfTerms(
        column=str(level._tf_adjustment_input_column_name),
        weight=float(level._tf_adjustment_weight),
        minimum_u=float(level._tf_minimum_u_value),
        log2_u_exact_match=math.log2(u_exact),
    )
