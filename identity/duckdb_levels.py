"""Evaluate comparison levels with DuckDB itself: Splink's own ``WHEN ... THEN`` SQL.

Used for comparisons (or single pairs) the Python predicates do not cover, and as the
reference the Python predicates are checked against. One in-memory connection per
evaluator, single-threaded, guarded by a lock: DuckDB connections are not thread-safe, and
per call the cost is planning the query (~45 µs per expression), not running it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from identity.model_terms import ComparisonTerms

# Pairs whose Python JW results differ between a fused and an unfused final step.
_JW_PROBE = ("é cb", "ß c")


def quote(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


class DuckDBLevels:
    """Comparison vector values of pairs, computed by DuckDB from the levels' SQL."""

    def __init__(
        self, comparisons: Sequence[ComparisonTerms], column_types: Mapping[str, str]
    ) -> None:
        self._comparisons = tuple(comparisons)
        self._types = dict(column_types)
        self._connection = duckdb.connect(":memory:", config={"threads": 1})
        self._lock = threading.Lock()
        self._sql: dict[tuple[int, ...], tuple[str, tuple[str, ...]]] = {}

    def comparison(self, index: int) -> ComparisonTerms:
        """The comparison at ``index``."""
        return self._comparisons[index]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._connection.close()

    def jaro_winkler_is_fused(self) -> bool | None:
        """Whether DuckDB's JW boost is one fused multiply-add (None: neither variant fits)."""
        from identity.sql_functions import jaro_winkler

        left, right = (s.encode() for s in _JW_PROBE)
        with self._lock:
            row = self._connection.execute(
                "SELECT jaro_winkler_similarity(?, ?)", list(_JW_PROBE)
            ).fetchone()
        value = None if row is None else row[0]
        for fused in (True, False):
            if jaro_winkler(left, right, fused) == value:
                return fused
        return None

    def gammas(
        self,
        which: Sequence[int],
        lefts: Sequence[Mapping[str, Any]],
        rights: Sequence[Mapping[str, Any]],
    ) -> list[tuple[int, ...]]:
        """Per pair (lefts[i], rights[i]): the gamma of each comparison index in ``which``."""
        sql, columns = self._query(tuple(which))
        params: list[Any] = [[record[c] for record in lefts] for c in columns]
        params += [[record[c] for record in rights] for c in columns]
        with self._lock:
            rows = self._connection.execute(sql, params).fetchall()
        return [tuple(int(v) for v in row) for row in rows]

    def evaluate(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one query on this evaluator's connection (used by the startup self-check)."""
        with self._lock:
            return self._connection.execute(sql, list(params)).fetchall()

    def _query(self, which: tuple[int, ...]) -> tuple[str, tuple[str, ...]]:
        cached = self._sql.get(which)
        if cached is not None:
            return cached
        chosen = [self._comparisons[i] for i in which]
        columns = tuple(sorted({c for comparison in chosen for c in comparison.columns}))
        sources = []
        for side in ("l", "r"):
            for column in columns:
                kind = self._types.get(column, "VARCHAR")
                alias = quote(f"{column}_{side}")
                sources.append(f"unnest(CAST(? AS {kind}[])) AS {alias}")
        cases = [
            "CASE\n" + "\n".join(level.when_sql for level in comparison.levels) + "\nEND"
            for comparison in chosen
        ]
        sql = f"SELECT {', '.join(cases)} FROM (SELECT {', '.join(sources)})"
        self._sql[which] = (sql, columns)
        return sql, columns
