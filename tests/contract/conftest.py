"""Backends for the contract suite: embedded FalkorDB, ArcadeDB over Bolt, real Neo4j if set."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from graph.embedded_server import EmbeddedFalkorDB
from graph.factory import GraphConfig, open_graph_store
from graph.port import GraphStore
from tests.servers import arcadedb

BACKENDS = ["falkordb", "neo4j-arcadedb"]
if os.environ.get("CG_TEST_NEO4J_URI"):
    BACKENDS.append("neo4j-real")


@pytest.fixture(scope="session")
def falkordb_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A FalkorDB server for the whole session, shared by the tests' stores."""
    directory = tmp_path_factory.mktemp("falkordb")
    server = EmbeddedFalkorDB(directory)
    server.ensure_running()
    yield directory
    server.stop()


@pytest.fixture(scope="session")
def arcadedb_server() -> Iterator[arcadedb.ArcadeDBServer]:
    """ArcadeDB with its Bolt plugin: a real Neo4j-5-compatible server for the Neo4j adapter."""
    if not arcadedb.available():
        pytest.fail("arcadedb-jvm is not installed: run `make test`, which installs it")
    with arcadedb.ArcadeDBServer() as server:
        yield server


def _config(backend: str, request: pytest.FixtureRequest) -> GraphConfig:
    if backend == "falkordb":
        directory: Path = request.getfixturevalue("falkordb_dir")
        return GraphConfig(url=f"falkordb-embedded://{directory}", data_dir=directory)
    if backend == "neo4j-arcadedb":
        server: arcadedb.ArcadeDBServer = request.getfixturevalue("arcadedb_server")
        return GraphConfig(
            url=server.bolt_uri,
            data_dir=Path("."),
            graph_name=server.database,
            user=server.user,
            password=server.password,
        )
    return GraphConfig(
        url=os.environ["CG_TEST_NEO4J_URI"],
        data_dir=Path("."),
        graph_name=os.environ.get("CG_TEST_NEO4J_DATABASE", "neo4j"),
        user=os.environ.get("CG_TEST_NEO4J_USER", "neo4j"),
        password=os.environ.get("CG_TEST_NEO4J_PASSWORD", "neo4j"),
    )


@pytest.fixture(params=BACKENDS)
def backend_config(request: pytest.FixtureRequest) -> GraphConfig:
    """Connection settings of one backend under test."""
    return _config(str(request.param), request)


@pytest.fixture
async def store(backend_config: GraphConfig) -> AsyncIterator[GraphStore]:
    """An empty graph with the schema in place, on each backend in turn."""
    opened = await open_graph_store(backend_config)
    await opened.write("admin/delete_all")
    try:
        yield opened
    finally:
        await opened.close()
