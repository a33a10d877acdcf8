"""Which per-query timeout a store gets: the API's, or the longer one of batch work."""

from __future__ import annotations

from pathlib import Path

from customer_graph.runtime import graph_store, open_store
from customer_graph.settings import Settings
from graph.port import GraphStore


def _timeout(store: GraphStore) -> int:
    """The timeout the backend adapter sends with each query (under the privacy wrapper)."""
    inner: object = store
    while not hasattr(inner, "timeout_ms"):
        inner = getattr(inner, "inner")  # noqa: B009 (any wrapper store)
    return int(getattr(inner, "timeout_ms"))  # noqa: B009


async def test_commands_get_the_batch_timeout_and_the_api_its_own(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, query_timeout_ms=1_500, batch_query_timeout_ms=90_000)
    async with graph_store(settings) as batch:
        assert _timeout(batch) == 90_000
        api = await open_store(settings)  # the API's store (api/app.py), same server
        try:
            assert _timeout(api) == 1_500
            assert await api.read("stats/node_counts") == await batch.read("stats/node_counts")
        finally:
            await api.close()
