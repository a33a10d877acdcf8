"""The Python twins of DuckDB's string and date functions give DuckDB's results."""

from __future__ import annotations

import random
from datetime import datetime

import duckdb
import pytest

from identity import sql_functions as fn

_ALPHABET = "abcde é-'ßł\n0"


@pytest.fixture(scope="module")
def connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


def _fused(connection: duckdb.DuckDBPyConnection) -> bool:
    row = connection.execute("SELECT jaro_winkler_similarity('é cb', 'ß c')").fetchone()
    assert row is not None
    return bool(row[0] == fn.jaro_winkler("é cb".encode(), "ß c".encode(), fused=True))


def _random_pairs(count: int, low: int, high: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(low, high)))

    return [(word(), word()) for _ in range(count)]


def test_string_metrics_equal_duckdb(connection: duckdb.DuckDBPyConnection) -> None:
    pairs = _random_pairs(2500, 0, 12, seed=1) + _random_pairs(150, 50, 140, seed=2)
    pairs += [("jonathan", "johnathon"), ("martha", "marhta"), ("", ""), ("a", "a"), ("ca", "abc")]
    rows = connection.execute(
        "SELECT jaro_similarity(a, b), jaro_winkler_similarity(a, b), levenshtein(a, b), "
        "damerau_levenshtein(a, b) FROM (SELECT unnest(?) AS a, unnest(?) AS b)",
        [[a for a, _ in pairs], [b for _, b in pairs]],
    ).fetchall()
    fused = _fused(connection)
    for (a, b), expected in zip(pairs, rows, strict=True):
        left, right = a.encode(), b.encode()
        found = (
            fn.jaro(left, right),
            fn.jaro_winkler(left, right, fused),
            fn.levenshtein(left, right),
            fn.damerau_levenshtein(left, right),
        )
        assert found == expected, (a, b)
        for limit in (0, 1, 2, 3):
            at_most = fn.damerau_levenshtein_at_most(left, right, limit)
            assert at_most == (expected[3] <= limit), (a, b, limit)
        assert fn.similarity_upper_bound(left, right, winkler=False) >= expected[0]
        assert fn.similarity_upper_bound(left, right, winkler=True) >= expected[1]


@pytest.mark.parametrize(
    "pattern",
    [
        "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? [0-9]",
        "^[A-Za-z]{1,2}",
        "^[^@]+",
        "@([^@]+)$",
        "(b|c)+$",
        "e.a",
        "[$]",
    ],
)
def test_regexp_extract_equals_duckdb(connection: duckdb.DuckDBPyConnection, pattern: str) -> None:
    values = [a for pair in _random_pairs(400, 0, 8, seed=3) for a in pair]
    values += ["SW1A 1AA", "sw1a1aa", "a@b@c", "x@y\n", "b\n", "$", "eéa"]
    compiled = fn.python_regex(pattern)
    assert compiled is not None
    groups = range(compiled.groups + 1)
    for group in groups:
        rows = connection.execute(
            f"SELECT regexp_extract(v, '{pattern}', {group}) FROM (SELECT unnest(?) AS v)",
            [values],
        ).fetchall()
        for value, (expected,) in zip(values, rows, strict=True):
            assert fn.regexp_extract(value, compiled, group) == expected, (pattern, value)


@pytest.mark.parametrize("pattern", [r"\d+", "(?i)a", "a{,2}", "[[:alpha:]]", "[]a]", "a\\$"])
def test_regexes_outside_the_shared_syntax_are_refused(pattern: str) -> None:
    assert fn.python_regex(pattern) is None


def test_iso_dates_parse_like_duckdb(connection: duckdb.DuckDBPyConnection) -> None:
    values = ["1985-07-14", "2020-02-29", "2021-02-29", "1900-02-29", "2020-13-01"]
    values += ["2020-00-10", "2020-01-00", "2020-01-32", "0001-01-01", "9999-12-31", "1960-01-01"]
    rows = connection.execute(
        "SELECT try_strptime(v, '%Y-%m-%d'), epoch(try_strptime(v, '%Y-%m-%d')) "
        "FROM (SELECT unnest(?) AS v)",
        [values],
    ).fetchall()
    for value, (parsed, seconds) in zip(values, rows, strict=True):
        found = fn.try_strptime_iso_date(value)
        assert found == parsed, value
        assert (None if found is None else fn.epoch(found)) == seconds, value


@pytest.mark.parametrize("value", ["1985-7-14", " 1985-07-14", "1985-07-14 ", "0000-01-01", "x"])
def test_lenient_dates_are_left_to_duckdb(value: str) -> None:
    with pytest.raises(fn.NeedsDuckDBError):
        fn.try_strptime_iso_date(value)


def test_epoch_of_midnight() -> None:
    assert fn.epoch(datetime(1970, 1, 2)) == 86400.0
