"""Helpers for the next-best-action tests: aggregates, profiles, contexts, a service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.embedded_server import EmbeddedFalkorDB
from graph.factory import GraphConfig, open_graph_store
from graph.port import GraphStore
from nba.catalogue import Catalogue, load_catalogue
from nba.profile import NbaProfile, build_profile
from nba.service import NbaConfig, NextBestActionService

DAY = 86_400_000
NOW = 1_767_225_600_000  # 2026-01-01T00:00Z


@dataclass(frozen=True)
class Agg:
    """An interaction aggregate shaped like the API loaders' rows."""

    item_id: str
    type: str = "product_view"
    count: int = 1
    weight: float = 1.0
    first_at: int = NOW - DAY
    last_at: int = NOW - DAY


CATEGORIES = {"g1": "garden", "g2": "garden", "k1": "kitchen", "x1": "gifts"}


def profile(
    *rows: Agg,
    customer: str | None = "cus_1",
    segments: tuple[str, ...] = (),
    country: str | None = "GB",
) -> NbaProfile:
    """A profile over these aggregates (items categorised by `CATEGORIES`)."""
    return build_profile(
        customer or "cookie:c1",
        rows,
        customer_id=customer,
        segment_ids=segments,
        country=country,
        category_of=CATEGORIES.get,
    )


@pytest.fixture
def catalogue() -> Catalogue:
    """The packaged demo catalogue."""
    return load_catalogue()


@pytest.fixture
def service(catalogue: Catalogue, tmp_path: Path) -> NextBestActionService:
    """A service over the demo catalogue with nothing learned, no exposure log."""
    return NextBestActionService(catalogue, NbaConfig(tmp_path / "models"), seed=3)


@pytest.fixture(scope="session")
def nba_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An embedded FalkorDB for the session in `<data dir>/falkordb` (the CLI reuses it)."""
    directory = tmp_path_factory.mktemp("nba") / "falkordb"
    server = EmbeddedFalkorDB(directory)
    server.ensure_running()
    yield directory
    server.stop()


@pytest.fixture
async def graph(nba_db: Path) -> AsyncIterator[GraphStore]:
    """An empty graph in the session's store."""
    opened = await open_graph_store(
        GraphConfig(url=f"falkordb-embedded://{nba_db}", data_dir=nba_db)
    )
    await opened.write("admin/delete_all")
    try:
        yield opened
    finally:
        await opened.close()
