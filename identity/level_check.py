"""Startup check: compiled Python levels must pick the same level as DuckDB on probe pairs.

The probes are awkward values for the functions ``sql_levels`` covers (empty and
multi-byte strings, JW values near thresholds, long strings, dates DuckDB parses
leniently, postcodes, emails, phone numbers). A comparison that disagrees on any probe is
left to DuckDB, so a DuckDB upgrade that changes a function cannot change scores silently.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from identity.duckdb_levels import DuckDBLevels
from identity.sql_functions import NeedsDuckDBError
from identity.sql_levels import CompiledComparison

logger = logging.getLogger(__name__)

PROBES: tuple[str | None, ...] = (
    None,
    "",
    " ",
    "a",
    "é",
    "ß c",
    "é cb",
    "ßé'dac'-e",
    "line\nbreak",
    "jonathan",
    "johnathon",
    "jon",
    "smith",
    "smyth",
    "o'neil",
    "martha",
    "marhta",
    "dixon",
    "dicksonx",
    "1985-07-14",
    "1985-07-41",
    "1985-7-14",
    " 1985-07-14",
    "1985-08-13",
    "1995-07-14",
    "0000-01-01",
    "SW1A 1AA",
    "SW1A 2AB",
    "sw1a1aa",
    "M1 1AE",
    "jon.smith@example.com",
    "jonsmith@example.co.uk",
    "jon.smith@@example.com",
    "@example.com",
    "07700900123",
    "07700900132",
    "0770090012",
    "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789éé",
    "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789ée",
)


def verify_compiled(
    compiled: Sequence[tuple[int, CompiledComparison]], duckdb_levels: DuckDBLevels
) -> list[tuple[int, CompiledComparison]]:
    """Keep the compiled comparisons whose gammas equal DuckDB's on every probe pair."""
    if not compiled:
        return []
    columns = sorted(
        {c for _, comparison in compiled for c in comparison.columns}
        | {c for index, _ in compiled for c in duckdb_levels.comparison(index).columns}
    )
    lefts, rights = [], []
    for i in range(len(PROBES)):
        for j in range(len(PROBES)):
            # Each column gets a different probe so multi-column levels see mixed inputs.
            lefts.append({c: PROBES[(i + k) % len(PROBES)] for k, c in enumerate(columns)})
            rights.append({c: PROBES[(j + 2 * k) % len(PROBES)] for k, c in enumerate(columns)})
    which = [index for index, _ in compiled]
    expected = duckdb_levels.gammas(which, lefts, rights)
    kept = []
    for position, (index, comparison) in enumerate(compiled):
        if _agrees(comparison, lefts, rights, [row[position] for row in expected]):
            kept.append((index, comparison))
        else:
            name = duckdb_levels.comparison(index).output_column_name
            logger.warning("comparison %r disagrees with DuckDB on probes; DuckDB scores it", name)
    return kept


def _agrees(
    comparison: CompiledComparison,
    lefts: list[dict[str, str | None]],
    rights: list[dict[str, str | None]],
    expected: list[int],
) -> bool:
    for left, right, gamma in zip(lefts, rights, expected, strict=True):
        env: dict[object, object] = {f"{c}_l": left[c] for c in comparison.columns}
        env.update({f"{c}_r": right[c] for c in comparison.columns})
        try:
            if comparison.gamma(env) != gamma:
                return False
        except NeedsDuckDBError:
            continue
    return True
