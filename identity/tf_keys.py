"""Term-frequency tables without names in clear.

A trained model keeps, per term-frequency-adjusted column (names, city), the relative
frequency of every value. Saved as is, that is a list of every customer's name. With a key
configured, the saved table maps keyed hashes of the values to their frequencies instead,
and the scorer hashes a record's value to look its frequency up: the same numbers, and the
model directory holds no name.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

HASHED = "hmac-sha256"
PLAIN = "plain"


class TermFrequencyKeys:
    """Keyed hashes of term-frequency values, per column."""

    def __init__(self, key: bytes) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def digest(self, column: str, value: object) -> str:
        """The keyed hash of one value of one column."""
        mac = self._mac.copy()
        mac.update(f"tf:{column}:{value}".encode())
        return mac.hexdigest()[:32]

    def hash_tables(self, tables: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
        """The tables with every value replaced by its keyed hash."""
        return {
            column: {self.digest(column, value): freq for value, freq in table.items()}
            for column, table in tables.items()
        }

    def lookups(
        self, tables: Mapping[str, Mapping[str, float]], row: Mapping[str, Any], prefix: str
    ) -> dict[str, float | None]:
        """`<prefix><column>` → the frequency of the row's value (None when unknown)."""
        found: dict[str, float | None] = {}
        for column, table in tables.items():
            value = row.get(column)
            found[f"{prefix}{column}"] = (
                None if value is None else table.get(self.digest(column, value))
            )
        return found
