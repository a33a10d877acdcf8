"""Behaviour only the FalkorDB adapter has."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import QueryError
from graph.factory import GraphConfig, open_graph_store
from graph.queries import Cypher


async def test_read_refuses_writes(tmp_path: Path) -> None:
    store = await open_graph_store(GraphConfig(url="falkordb-embedded://", data_dir=tmp_path))
    try:
        with pytest.raises(QueryError, match="read-only"):
            await store.read(Cypher("CREATE (:Customer {id: 'x'})"))
        assert await store.read("stats/node_counts") == []
    finally:
        await store.close()
