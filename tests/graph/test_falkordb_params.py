"""The parameter header: the same literals as the falkordb client's own encoder, faster."""

from __future__ import annotations

from typing import Any

import pytest
from falkordb.helpers import stringify_param_value
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.falkordb_params import encode, params_header

KEYS = st.text(min_size=1, max_size=8).filter(lambda k: "`" not in k)
# Booleans aside: the client writes Python's `True`, this encoder Cypher's `true`.
SCALARS = (
    st.none()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12).filter(lambda t: "\x00" not in t)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_values_are_the_clients_literals(value: Any) -> None:
    assert encode(value) == stringify_param_value(value)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(KEYS, SCALARS, min_size=1, max_size=5), max_size=6))
def test_rows_sharing_a_shape_are_encoded_each_with_its_own_values(rows: Any) -> None:
    shaped = [dict.fromkeys(rows[0], None) | row for row in rows[:1]] + rows
    assert encode(shaped) == stringify_param_value(shaped)


def test_a_percent_sign_in_a_key_is_a_key_not_a_format() -> None:
    assert encode({"a%sb": "%s", "%d": 1}) == '{`a%sb`:"%s",`%d`:1}'


def test_booleans_are_cypher_literals_in_rows_too() -> None:
    assert encode([{"a": True, "b": False}, {"a": False, "b": None}]) == (
        "[{`a`:true,`b`:false},{`a`:false,`b`:null}]"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "not a finite number"),
        ({"x": float("inf")}, "not a finite number"),
        ({"`k": 1}, "without backticks"),
        ({"": 1}, "without backticks"),
        ({"k": "a\x00b"}, "NUL"),
    ],
)
def test_what_falkordb_cannot_parse_is_refused_naming_why(value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        params_header({"p": value})
