"""Compile the DuckDB ``sql_condition`` of Splink comparison levels into Python predicates.

Only a known subset of SQL is compiled (null tests, comparisons, AND/OR/NOT, arithmetic,
and the functions in ``sql_functions``) with SQL's three-valued logic (None is NULL). A
level using anything else raises ``UnsupportedSqlError`` and its comparison is left to DuckDB;
an input outside a function's verified domain raises ``NeedsDuckDBError`` at evaluation time.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlglot
from sqlglot import expressions as exp

from identity import sql_functions as fn
from identity.sql_functions import NeedsDuckDBError
from identity.sql_nodes import (
    COMPARE,
    FLIPPED,
    KNOWN_ARGUMENTS,
    NUMBERS,
    Compiled,
    Env,
    UnsupportedSqlError,
    arg_nodes,
    as_bytes,
    as_str,
    compare_columns,
    constant,
    function_name,
    needs_duckdb,
    node_sql,
    nullif,
    strict,
)

__all__ = ["CompiledComparison", "UnsupportedSqlError", "compile_comparison"]

_MISSING = object()
# Memo keys are unique across comparisons so that one env per pair serves them all.
_MEMO_KEYS = itertools.count()
_DISTANCES = {"levenshtein": fn.levenshtein, "damerau_levenshtein": fn.damerau_levenshtein}
_SIMILARITIES = {"jaro_winkler_similarity": True, "jaro_similarity": False}  # -> winkler?
# A bound this far below a threshold cannot be rounding error of a value at or above it.
_BOUND_MARGIN = 1e-9


@dataclass(frozen=True)
class CompiledComparison:
    """A comparison's levels as Python predicates, first true one wins (like Splink's CASE)."""

    columns: tuple[str, ...]
    levels: tuple[tuple[Compiled | None, int], ...]

    def gamma(self, env: Env) -> int:
        """The comparison vector value for one pair (``env``: ``col_l``/``col_r`` values)."""
        for predicate, value in self.levels:
            if predicate is None or predicate(env) is True:
                return value
        raise NeedsDuckDBError("no level matched")


def compile_comparison(
    conditions: Sequence[tuple[str, int]], jaro_winkler_fused: bool
) -> CompiledComparison:
    """Compile ``(sql_condition, comparison_vector_value)`` pairs; ELSE compiles to None."""
    compiler = _Compiler(jaro_winkler_fused)
    levels: list[tuple[Compiled | None, int]] = []
    for sql, value in conditions:
        if sql.strip().upper() == "ELSE":
            levels.append((None, value))
            continue
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.ParseError as error:
            raise UnsupportedSqlError(f"cannot parse {sql!r}") from error
        levels.append((compiler.compile(cast(exp.Expression, tree)), value))
    return CompiledComparison(tuple(sorted(compiler.columns)), tuple(levels))


class _Compiler:
    def __init__(self, jaro_winkler_fused: bool) -> None:
        self.fused = jaro_winkler_fused
        self.columns: set[str] = set()
        self._memo_keys: dict[str, int] = {}

    def compile(self, node: exp.Expression) -> Compiled:
        # Reject arguments this compiler would silently ignore (e.g. a third JW argument).
        used = {key for key, value in node.args.items() if value not in (None, False, [])}
        if used - KNOWN_ARGUMENTS:
            raise UnsupportedSqlError(f"unsupported arguments {sorted(used)} in {node.sql()}")
        kind = type(node)
        if kind is exp.Paren:
            return self.compile(node.this)
        if isinstance(node, exp.Column):
            return self._column(node)
        if kind in (exp.Literal, exp.Neg, exp.Null, exp.Boolean):
            value = constant(node)
            return lambda env: value
        if kind in (exp.And, exp.Or):
            return self._logic(node)
        if kind is exp.Not:
            inner = self.compile(node.this)
            return lambda env: None if (v := inner(env)) is None else not v
        if kind is exp.Is and isinstance(node.expression, exp.Null):
            if isinstance(node.this, exp.Column):
                key = self._column_key(node.this)
                return lambda env: env[key] is None
            inner = self.compile(node.this)
            return lambda env: inner(env) is None
        if kind in COMPARE:
            return self._comparison(node)
        if kind in (exp.Sub, exp.Add):
            return self._arithmetic(node, operator.sub if kind is exp.Sub else operator.add)
        return self._memoised(node, self._function(node))

    def _column(self, node: exp.Column) -> Compiled:
        key = self._column_key(node)
        return lambda env: env[key]

    def _column_key(self, node: exp.Column) -> str:
        name = node.name
        if node.table or name[-2:].lower() not in ("_l", "_r"):
            raise UnsupportedSqlError(f"column {node.sql()} is not a col_l / col_r reference")
        self.columns.add(name[:-2])
        return name[:-2] + name[-2:].lower()

    def _logic(self, node: exp.Expression) -> Compiled:
        left, right = self.compile(node.this), self.compile(node.expression)
        stop = isinstance(node, exp.Or)  # the value that decides without the other side

        def logic(env: Env) -> bool | None:
            first: bool | None = left(env)
            if first is stop:
                return stop
            second: bool | None = right(env)
            if second is stop:
                return stop
            return None if first is None or second is None else not stop

        return logic

    def _comparison(self, node: exp.Expression) -> Compiled:
        kind, this, other = type(node), node.this, node.expression
        if isinstance(this, exp.Literal) and not isinstance(other, exp.Literal) and kind in FLIPPED:
            kind, this, other = FLIPPED[kind], other, this
        bounded = self._bounded(kind, this, other)
        if bounded is not None:
            return bounded
        compare = COMPARE[kind]
        if isinstance(this, exp.Column) and isinstance(other, exp.Column):
            return compare_columns(compare, self._column_key(this), self._column_key(other))
        left, right = self.compile(this), self.compile(other)

        def comparison(env: Env) -> bool | None:
            a = left(env)
            if a is None:
                return None
            b = right(env)
            if b is None:
                return None
            if type(a) is not type(b) and not (type(a) in NUMBERS and type(b) in NUMBERS):
                raise NeedsDuckDBError((a, b))
            return compare(a, b)

        return comparison

    def _bounded(
        self, kind: type[exp.Expression], this: exp.Expression, other: exp.Expression
    ) -> Compiled | None:
        """``distance <= k`` / ``similarity >= t``: settle clear cases from cheap bounds."""
        name = function_name(this)
        limit: Any = constant(other) if isinstance(other, exp.Literal) else None
        if name in _DISTANCES and kind in (exp.LTE, exp.LT) and type(limit) is int:
            return self._within_distance(name, this, limit - (kind is exp.LT))
        if name in _SIMILARITIES and kind in (exp.GTE, exp.GT) and type(limit) in NUMBERS:
            return self._at_least_similar(name, this, COMPARE[kind], float(limit))
        return None

    def _within_distance(self, name: str, call: exp.Expression, limit: int) -> Compiled:
        exact = self.compile(call)
        key, (first, second) = self._memo_keys[node_sql(call)], self._args(call, 2)
        transpositions = name == "damerau_levenshtein"

        def within(env: Env) -> bool | None:
            value = env.get(key, _MISSING)
            if value is not _MISSING:
                return bool(value <= limit)
            a, b = first(env), second(env)
            if a is None or b is None:
                return None
            a_bytes, b_bytes = as_bytes(a), as_bytes(b)
            if transpositions:
                return fn.damerau_levenshtein_at_most(a_bytes, b_bytes, limit)
            if abs(len(a_bytes) - len(b_bytes)) > limit:
                return False
            return bool(exact(env) <= limit)

        return within

    def _at_least_similar(
        self, name: str, call: exp.Expression, compare: Callable[[Any, Any], bool], limit: float
    ) -> Compiled:
        exact = self.compile(call)
        key, (first, second) = self._memo_keys[node_sql(call)], self._args(call, 2)
        winkler, floor = _SIMILARITIES[name], limit - _BOUND_MARGIN

        def at_least(env: Env) -> bool | None:
            value = env.get(key, _MISSING)
            if value is _MISSING:
                a, b = first(env), second(env)
                if a is None or b is None:
                    return None
                if fn.similarity_upper_bound(as_bytes(a), as_bytes(b), winkler) < floor:
                    return False
                value = exact(env)
            return bool(compare(value, limit))

        return at_least

    def _arithmetic(self, node: exp.Expression, op: Callable[[Any, Any], Any]) -> Compiled:
        left, right = self.compile(node.this), self.compile(node.expression)

        def arithmetic(env: Env) -> Any:
            a, b = left(env), right(env)
            if a is None or b is None:
                return None
            if type(a) not in NUMBERS or type(b) not in NUMBERS:
                raise NeedsDuckDBError((a, b))
            return op(a, b)

        return arithmetic

    def _args(self, node: exp.Expression, count: int) -> list[Compiled]:
        return [self.compile(arg) for arg in arg_nodes(node, count)]

    def _function(self, node: exp.Expression) -> Compiled:
        name = function_name(node)
        if name in ("jaro_winkler_similarity", "jaro_similarity") or name in _DISTANCES:
            first, second = self._args(node, 2)
            fused = self.fused
            metric: Callable[[bytes, bytes], Any] = (
                _DISTANCES[name]
                if name in _DISTANCES
                else fn.jaro
                if name == "jaro_similarity"
                else lambda a, b: fn.jaro_winkler(a, b, fused)
            )
            return strict(lambda a, b: metric(as_bytes(a), as_bytes(b)), first, second)
        if name == "regexp_extract":
            return self._regexp_extract(node)
        if name == "nullif":
            first, second = self._args(node, 2)
            return lambda env: nullif(first(env), second(env))
        if name == "try_strptime":
            text, pattern = arg_nodes(node, 2)
            if constant(pattern) != "%Y-%m-%d":
                raise UnsupportedSqlError(f"format of {node.sql()}")
            parse = self.compile(text)
            return strict(lambda v: fn.try_strptime_iso_date(as_str(v)), parse)
        if name == "epoch":
            (moment,) = self._args(node, 1)
            return strict(lambda v: fn.epoch(v) if type(v) is datetime else needs_duckdb(v), moment)
        if name == "abs":
            (number,) = self._args(node, 1)
            return strict(lambda v: abs(v) if type(v) in NUMBERS else needs_duckdb(v), number)
        raise UnsupportedSqlError(f"function {node.sql()}")

    def _regexp_extract(self, node: exp.Expression) -> Compiled:
        pattern = constant(node.expression)
        group_node = node.args.get("group")
        group = 0 if group_node is None else constant(group_node)
        compiled = fn.python_regex(pattern) if isinstance(pattern, str) else None
        if compiled is None or type(group) is not int or not 0 <= group <= compiled.groups:
            raise UnsupportedSqlError(f"regex of {node.sql()}")
        value = self.compile(node.this)
        return strict(lambda v: fn.regexp_extract(as_str(v), compiled, group), value)

    def _memoised(self, node: exp.Expression, compute: Compiled) -> Compiled:
        """Cache a function call per pair: levels repeat calls with other thresholds."""
        sql = node_sql(node)
        key = self._memo_keys.get(sql)
        if key is None:
            key = self._memo_keys[sql] = next(_MEMO_KEYS)

        def memoised(env: Env) -> Any:
            value = env.get(key, _MISSING)
            if value is _MISSING:
                value = env[key] = compute(env)
            return value

        return memoised
