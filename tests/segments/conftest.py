"""A small hand-made world in the real embedded store for the segment service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.embedded_server import EmbeddedFalkorDB
from graph.factory import GraphConfig, open_graph_store
from graph.port import GraphStore
from tests.contract.query_cases import ITEM, apply, interaction, link, pair, seed_records
from tests.contract.query_cases_api import assign

MIN = 60_000
DAY = 86_400_000
NOW = 1_000 * DAY


@pytest.fixture(scope="session")
def segments_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An embedded FalkorDB for the session, in `<data dir>/falkordb` (commands reuse it)."""
    directory = tmp_path_factory.mktemp("segments") / "falkordb"
    server = EmbeddedFalkorDB(directory)
    server.ensure_running()
    yield directory
    server.stop()


@pytest.fixture
async def store(segments_db: Path) -> AsyncIterator[GraphStore]:
    """An empty graph."""
    opened = await open_graph_store(
        GraphConfig(url=f"falkordb-embedded://{segments_db}", data_dir=segments_db)
    )
    await opened.write("admin/delete_all")
    try:
        yield opened
    finally:
        await opened.close()


def at(ago: int, **kw: Any) -> dict[str, Any]:
    """Times of an aggregate whose last event was `ago` ms before NOW."""
    return {"first_at": NOW - ago - DAY, "last_at": NOW - ago, **kw}


@pytest.fixture
async def world(store: GraphStore) -> GraphStore:
    """C1 (GB, Leeds): 5 kitchen purchases yesterday, a garden view 2 minutes ago through a
    cookie seen with its login; C2 (GB): one purchase 100 days ago; C3 (FR): nothing;
    C4: retired into C1."""
    items = [
        {**ITEM, "id": "K", "title": "Pan", "category": "kitchen", "price": 10.0, "in_stock": True},
        {**ITEM, "id": "G", "title": "Rake", "category": "garden", "price": 4.0, "in_stock": True},
    ]
    await store.write_batch("items/upsert_items", items)
    attrs = {
        "C1": {"country": "GB", "city": "Leeds"},
        "C2": {"country": "GB"},
        "C3": {"country": "FR"},
    }
    rows = [
        {"id": cid, "created_at": 1, "updated_at": 1, "attrs": attrs.get(cid, {})}
        for cid in ("C1", "C2", "C3", "C4")
    ]
    await store.write_batch("customers/upsert_customers", rows)
    await store.write_batch(
        "customers/retire_customers", [{"id": "C4", "merged_into": "C1", "at": 3}]
    )
    await seed_records(store, "1", "2", "3")
    for record, key in (("1", "login:u1"), ("2", "login:u2"), ("3", "login:u3")):
        await link(store, record, key)
    await assign(store, **{"1": "C1", "2": "C2", "3": "C3"})
    events = [
        interaction("login:u1", "K", count=5, weight=25.0, **at(DAY)),
        interaction("cookie:c1", "G", type="product_view", weight=1.0, **at(2 * MIN)),
        interaction("login:u2", "K", **at(100 * DAY)),
    ]
    await apply(store, 0, 1, interactions=events, pairs=[pair("cookie:c1", "login:u1")])
    return store
