"""Score one new record against its blocked candidates with a trained Splink model, fast.

Splink's own incremental calls (``predict_between``, ``score_pairs``) cost 170-300 ms per
call in DuckDB pipeline overhead. Here the saved model is compiled once: its levels'
``sql_condition`` become Python predicates (``sql_levels``), verified against DuckDB at
startup; levels outside that subset, and inputs outside a function's verified domain,
are evaluated by DuckDB with Splink's own SQL (``duckdb_levels``). Match weights follow
Splink's predict SQL term by term, in the same order, so the floats are the same.

Thread safety: ``score`` may be called from several threads; the Python path shares no
mutable state and the DuckDB connection is behind a lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any, Literal, cast

from identity.duckdb_levels import DuckDBLevels
from identity.level_check import verify_compiled
from identity.model_terms import (
    ComparisonTerms,
    LevelTerms,
    ModelTerms,
    match_probability,
    read_model_terms,
    tf_adjustment,
)
from identity.sql_functions import NeedsDuckDBError
from identity.sql_levels import CompiledComparison, UnsupportedSqlError, compile_comparison

logger = logging.getLogger(__name__)

Engine = Literal["python", "duckdb"]
# Python evaluates VARCHAR values only; anything else (numbers, dates, NaN) goes to DuckDB.
_TEXT_TYPES = frozenset({str, type(None)})


class MissingColumnError(ValueError):
    """A record lacks a column (or term frequency) that a comparison of the model needs."""


@dataclass(frozen=True, slots=True)
class ComparisonScore:
    """How one comparison scored a pair: the evidence shown to data stewards."""

    comparison: str
    level: str
    gamma: int
    match_weight: float
    tf_adjustment: float


@dataclass(frozen=True, slots=True)
class PairScore:
    """The model's score of (new record, candidate): Splink's match weight and probability."""

    left_id: Any
    right_id: Any
    match_weight: float
    match_probability: float
    comparisons: tuple[ComparisonScore, ...]


class CompiledModel:
    """A trained Splink model compiled for scoring small candidate sets in-process."""

    def __init__(
        self,
        terms: ModelTerms,
        term_frequencies: Mapping[str, Mapping[Any, float]] | None = None,
        *,
        column_types: Mapping[str, str] | None = None,
        engine: Engine = "python",
    ) -> None:
        self.terms = terms
        self._tf = {col: dict(values) for col, values in (term_frequencies or {}).items()}
        self._levels = [
            {lv.gamma: (lv, _plain_score(c, lv)) for lv in c.levels} for c in terms.comparisons
        ]
        self._duckdb = DuckDBLevels(terms.comparisons, column_types or {})
        compiled = self._compile(dict(column_types or {}), engine)
        self._compiled = [(i, c, _getter(c.columns)) for i, c in compiled]
        self._python_columns = sorted({column for _, c in compiled for column in c.columns})
        self._values_of = _getter(self._python_columns)
        python = {i for i, _ in compiled}
        self._duckdb_only = [i for i in range(len(terms.comparisons)) if i not in python]
        self._needs = _columns_needed(terms, set(self._tf))

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        term_frequencies: Mapping[str, Mapping[Any, float]] | None = None,
        *,
        column_types: Mapping[str, str] | None = None,
        engine: Engine = "python",
    ) -> CompiledModel:
        """Compile a model saved by ``linker.misc.save_model_to_json``.

        ``term_frequencies``: tf column -> {value: relative frequency}, as in Splink's
        ``__splink__df_tf_<col>`` tables. ``column_types``: DuckDB types of input columns
        (default VARCHAR); only VARCHAR columns are evaluated in Python.
        """
        return cls(
            read_model_terms(settings), term_frequencies, column_types=column_types, engine=engine
        )

    @property
    def python_comparisons(self) -> tuple[str, ...]:
        """Output names of the comparisons evaluated in Python (the rest use DuckDB)."""
        return tuple(self.terms.comparisons[i].output_column_name for i, _, _ in self._compiled)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Input columns every record must have (the values may be None)."""
        return tuple(sorted(self._needs))

    def close(self) -> None:
        """Release the DuckDB connection."""
        self._duckdb.close()

    def score(
        self, new: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[PairScore]:
        """Score ``new`` (Splink's left, ``_l``) against each candidate (``_r``), in order."""
        for record in (new, *candidates):
            self._check_columns(record)
        gammas = self._gammas(new, candidates)
        return [self._pair_score(new, c, g) for c, g in zip(candidates, gammas, strict=True)]

    def _compile(
        self, column_types: dict[str, str], engine: Engine
    ) -> list[tuple[int, CompiledComparison]]:
        if engine == "duckdb":
            return []
        fused = self._duckdb.jaro_winkler_is_fused()
        compiled: list[tuple[int, CompiledComparison]] = []
        for index, comparison in enumerate(self.terms.comparisons):
            name = comparison.output_column_name
            if any(column_types.get(c, "VARCHAR").upper() != "VARCHAR" for c in comparison.columns):
                continue
            try:
                conditions = [(lv.sql_condition, lv.gamma) for lv in comparison.levels]
                compiled.append((index, compile_comparison(conditions, fused is not False)))
            except UnsupportedSqlError as reason:
                logger.info("comparison %r is scored by DuckDB: %s", name, reason)
        # If neither JW variant matched DuckDB (fused is None), the probes reject JW levels.
        return verify_compiled(compiled, self._duckdb)

    def _gammas(
        self, new: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[list[int]]:
        gammas = [[0] * len(self.terms.comparisons) for _ in candidates]
        to_duckdb = self._python_gammas(new, candidates, gammas) if self._compiled else set()
        if candidates and (self._duckdb_only or to_duckdb):
            pairs: Sequence[int] = range(len(candidates))
            if not self._duckdb_only:
                pairs = sorted(to_duckdb)
            which = list(range(len(gammas[0]))) if to_duckdb else self._duckdb_only
            found = self._duckdb.gammas(which, [new] * len(pairs), [candidates[j] for j in pairs])
            for j, values in zip(pairs, found, strict=True):
                for index, value in zip(which, values, strict=True):
                    gammas[j][index] = value
        return gammas

    def _python_gammas(
        self,
        new: Mapping[str, Any],
        candidates: Sequence[Mapping[str, Any]],
        gammas: list[list[int]],
    ) -> set[int]:
        """Fill the Python-evaluated gammas; return the candidates DuckDB must score.

        Within a call, candidates with the same values for a comparison's columns share its
        gamma (blocks repeat values, and missing values are common).
        """
        columns = self._python_columns
        left = dict(zip([f"{c}_l" for c in columns], self._values_of(new), strict=True))
        if not _TEXT_TYPES.issuperset(map(type, left.values())):
            return set(range(len(candidates)))
        right_keys = [f"{c}_r" for c in columns]
        known: list[dict[Any, int]] = [{} for _ in self._compiled]
        to_duckdb: set[int] = set()
        for j, candidate in enumerate(candidates):
            values = self._values_of(candidate)
            if not _TEXT_TYPES.issuperset(map(type, values)):
                to_duckdb.add(j)
                continue
            row, env = gammas[j], None
            for (index, compiled, key_of), seen in zip(self._compiled, known, strict=True):
                key = key_of(candidate)
                gamma = seen.get(key)
                if gamma is None:
                    if env is None:
                        env = dict(left)
                        env.update(zip(right_keys, values, strict=True))
                    try:
                        gamma = seen[key] = compiled.gamma(env)
                    except NeedsDuckDBError:
                        to_duckdb.add(j)
                        break
                row[index] = gamma
        return to_duckdb

    def _pair_score(
        self, left: Mapping[str, Any], right: Mapping[str, Any], gammas: list[int]
    ) -> PairScore:
        # Same terms in the same order as Splink's predict SQL: prior + mw_c [+ tf_adj_c] ...
        # (a level without tf adds 0.0 there, which changes no sum).
        total = self.terms.prior_match_weight
        evidence = []
        for levels, gamma in zip(self._levels, gammas, strict=True):
            level, plain = levels[gamma]
            total += level.match_weight
            if level.tf is None:
                evidence.append(plain)
                continue
            adjustment = tf_adjustment(
                level.tf,
                self._term_frequency(level.tf.column, left),
                self._term_frequency(level.tf.column, right),
            )
            total += adjustment
            evidence.append(replace(plain, tf_adjustment=adjustment))
        uid = self.terms.unique_id_column
        return PairScore(
            left.get(uid), right.get(uid), total, match_probability(total), tuple(evidence)
        )

    def _term_frequency(self, column: str, record: Mapping[str, Any]) -> float | None:
        given = f"{self.terms.tf_column_prefix}{column}"
        if given in record:  # like Splink, a record's own tf_<col> value wins over the table
            value: float | None = record[given]
            return value
        key = record[column]
        return None if key is None else self._tf[column].get(key)

    def _check_columns(self, record: Mapping[str, Any]) -> None:
        missing = sorted(column for column in self._needs if column not in record)
        if missing:
            users = sorted({n for column in missing for n in self._needs[column]})
            hint = ""
            if any(c.startswith(self.terms.tf_column_prefix) for c in missing):
                hint = " (term frequencies: pass tables to from_settings or tf_ values)"
            raise MissingColumnError(
                f"record {record.get(self.terms.unique_id_column)!r} lacks "
                f"{', '.join(map(repr, missing))}, needed by comparison(s) "
                f"{', '.join(map(repr, users))}{hint}"
            )


def _getter(columns: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A fast ``record -> tuple of values`` for these columns."""
    if len(columns) <= 1:
        return lambda record: tuple(record[c] for c in columns)
    return cast(Callable[[Mapping[str, Any]], tuple[Any, ...]], itemgetter(*columns))


def _plain_score(comparison: ComparisonTerms, level: LevelTerms) -> ComparisonScore:
    return ComparisonScore(
        comparison.output_column_name, level.label, level.gamma, level.match_weight, 0.0
    )


def _columns_needed(terms: ModelTerms, tf_tables: set[str]) -> dict[str, list[str]]:
    """Record key -> the comparisons that need it; ``tf_<col>`` where no table was given."""
    needs: dict[str, list[str]] = {}
    for comparison in terms.comparisons:
        keys = set(comparison.columns)
        keys.update(
            f"{terms.tf_column_prefix}{level.tf.column}"
            for level in comparison.levels
            if level.tf is not None and level.tf.column not in tf_tables
        )
        for key in keys:
            needs.setdefault(key, []).append(comparison.output_column_name)
    return needs
