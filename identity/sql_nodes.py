"""Building blocks for ``sql_levels``: literals, argument lists, NULL-strict helpers."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any, NoReturn

from sqlglot import expressions as exp

from identity.sql_functions import NeedsDuckDBError

Env = dict[Any, Any]
Compiled = Callable[[Env], Any]

NUMBERS = (int, float)
COMPARE: dict[type[exp.Expression], Callable[[Any, Any], bool]] = {
    exp.EQ: operator.eq,
    exp.NEQ: operator.ne,
    exp.LT: operator.lt,
    exp.LTE: operator.le,
    exp.GT: operator.gt,
    exp.GTE: operator.ge,
}
FLIPPED: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.GTE: exp.LTE,
    exp.GT: exp.LT,
    exp.LTE: exp.GTE,
    exp.LT: exp.GT,
}
# Node arguments the compiler understands; a node with any other set is not compiled.
KNOWN_ARGUMENTS = frozenset(
    {"this", "expression", "expressions", "is_string", "group", "null_if_pos_overflow"}
)
_INTEGER = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]*\.[0-9]*")
_FUNCTION_NAMES: dict[type[exp.Expression], str] = {
    exp.JarowinklerSimilarity: "jaro_winkler_similarity",
    exp.Levenshtein: "levenshtein",
    exp.RegexpExtract: "regexp_extract",
    exp.Nullif: "nullif",
    exp.TimeToUnix: "epoch",
    exp.Abs: "abs",
}


class UnsupportedSqlError(Exception):
    """A level condition this compiler does not translate (DuckDB evaluates it instead)."""


def compare_columns(compare: Callable[[Any, Any], bool], left: str, right: str) -> Compiled:
    def comparison(env: Env) -> bool | None:
        a, b = env[left], env[right]
        if a is None or b is None:
            return None
        if type(a) is not type(b) and not (type(a) in NUMBERS and type(b) in NUMBERS):
            raise NeedsDuckDBError((a, b))
        return compare(a, b)

    return comparison


def node_sql(node: exp.Expression) -> str:
    return node.sql(dialect="duckdb")


def arg_nodes(node: exp.Expression, count: int) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        args = list(node.expressions)
    else:
        args = [a for a in (node.this, node.args.get("expression")) if a is not None]
    if len(args) != count:
        raise UnsupportedSqlError(f"{node.sql()} needs {count} arguments here")
    return args


def function_name(node: exp.Expression) -> str:
    """The DuckDB name of a function call node ('' for anything else)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return _FUNCTION_NAMES.get(type(node), "")


def strict(compute: Callable[..., Any], *args: Compiled) -> Compiled:
    """A function that returns NULL when any argument is NULL (all of the supported ones)."""
    if len(args) == 1:
        (only,) = args

        def unary(env: Env) -> Any:
            value = only(env)
            return None if value is None else compute(value)

        return unary
    first, second = args

    def binary(env: Env) -> Any:
        a = first(env)
        if a is None:
            return None
        b = second(env)
        return None if b is None else compute(a, b)

    return binary


def nullif(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return a
    if type(a) is not type(b):
        raise NeedsDuckDBError((a, b))
    return None if a == b else a


def as_str(value: Any) -> str:
    if type(value) is not str:
        raise NeedsDuckDBError(value)
    return value


def needs_duckdb(value: Any) -> NoReturn:
    raise NeedsDuckDBError(value)


def constant(node: exp.Expression) -> Any:
    """A literal's value as DuckDB reads it; decimals only where float() is exact alike."""
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Neg):
        value = constant(node.this)
        if type(value) not in NUMBERS:
            raise UnsupportedSqlError(node.sql())
        return -value
    if not isinstance(node, exp.Literal):
        raise UnsupportedSqlError(f"{node.sql()} is not a literal")
    text = str(node.this)
    if node.is_string:
        return text
    if _INTEGER.fullmatch(text):
        return int(text)
    digits = text.replace(".", "").lstrip("0")
    # DuckDB reads 0.92 as DECIMAL and casts it to DOUBLE by one division, which equals
    # float('0.92') while the digits fit a double exactly (<= 15 significant digits).
    if _DECIMAL.fullmatch(text) is None or text == "." or len(digits) > 15:
        raise UnsupportedSqlError(f"numeric literal {text}")
    return float(text)


def as_bytes(value: Any) -> bytes:
    """A VARCHAR value as the UTF-8 bytes DuckDB's string functions work on."""
    if type(value) is not str:
        raise NeedsDuckDBError(value)
    return value.encode()
