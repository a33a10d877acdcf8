"""Item categories kept in memory, so a decision needs no read to know what a row's item is.

Loaded from the graph's catalogue (`gnn/items`, the whole catalogue) on the first decision,
then refreshed in the background every `refresh_seconds` (requests keep using the previous
map meanwhile). An item the map does not know yet has no category until the next refresh.
"""

from __future__ import annotations

import asyncio
import logging
import time

from graph.port import GraphStore

log = logging.getLogger("nba")


class ItemCategories:
    """item id → category, from the graph."""

    def __init__(self, refresh_seconds: float = 300.0) -> None:
        self.refresh_seconds = refresh_seconds
        self._categories: dict[str, str] = {}
        self._loaded_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def get(self, item_id: str) -> str | None:
        """The item's category (None when unknown or uncategorised)."""
        return self._categories.get(item_id)

    def __len__(self) -> int:
        return len(self._categories)

    async def refresh(self, store: GraphStore) -> None:
        """Read the catalogue's categories now."""
        rows = await store.read("gnn/items")
        self._categories = {str(r["id"]): str(r["category"]) for r in rows if r.get("category")}
        self._loaded_at = time.monotonic()

    async def ensure(self, store: GraphStore) -> None:
        """Loaded (waits the first time); a refresh is started in the background when due."""
        if self._loaded_at is None:  # concurrent first requests share one read
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self.refresh(store))
            await asyncio.shield(self._task)
            return
        due = time.monotonic() - self._loaded_at >= self.refresh_seconds
        if due and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._refresh_quietly(store))

    async def _refresh_quietly(self, store: GraphStore) -> None:
        try:
            await self.refresh(store)
        except Exception:  # the previous map keeps serving; logged, retried when due again
            log.exception("refreshing item categories failed")
            self._loaded_at = time.monotonic()
