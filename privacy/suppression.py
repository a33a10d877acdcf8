"""The suppression list: keys (hashed identifier keys, record keys) that must never come back.

Erasure adds the erased person's identifier keys here; ingestion then drops every event and
record carrying one of them (`ingestion.privacy_gate`), so a late event cannot re-create
what was erased. Entries are `(:Suppressed {key, at, reason})`; the keys are the graph's
own (emails and phones as keyed hashes), so the list holds no personal data in clear.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable

from graph.port import GraphStore

READ_BATCH = 2000


class SuppressionList:
    """Add keys to, and look keys up in, the graph's suppression list."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    async def add(
        self, identifier_keys: Iterable[str], reason: str, at: int | None = None
    ) -> set[str]:
        """Suppress keys from now on; returns those not suppressed before (a key keeps its
        first time and reason)."""
        keys = sorted({k for k in identifier_keys if k})
        if not keys:
            return set()
        when = at if at is not None else int(time.time() * 1000)
        rows = [{"key": k, "at": when, "reason": reason} for k in keys]
        added: set[str] = set()
        for start in range(0, len(rows), self.store.batch_size):
            chunk = rows[start : start + self.store.batch_size]
            result = await self.store.write("suppression/add_keys", {"rows": chunk})
            added.update(str(r["key"]) for r in result.rows)
        return added

    async def suppressed(self, keys: Collection[str]) -> set[str]:
        """The keys among `keys` that are suppressed (one read per 2,000 keys)."""
        wanted = sorted({k for k in keys if k})
        found: set[str] = set()
        for start in range(0, len(wanted), READ_BATCH):
            params = {"keys": wanted[start : start + READ_BATCH]}
            found.update(
                str(r["key"]) for r in await self.store.read("suppression/find_keys", params)
            )
        return found
