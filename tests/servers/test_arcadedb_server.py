"""The ArcadeDB test-server manager starts a real Bolt server and cleans up after itself."""

from __future__ import annotations

import asyncio
import os

import neo4j
import pytest
from neo4j.exceptions import ServiceUnavailable

from tests.servers import arcadedb


def _alive(pid: int) -> bool:
    """Return True when a process with *pid* exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_short_password_rejected_before_launch() -> None:
    """ArcadeDB refuses root passwords under 8 characters, so the manager fails fast."""
    with pytest.raises(ValueError, match="8 characters"):
        arcadedb.ArcadeDBServer(password="short")


async def test_start_write_read_stop() -> None:
    """Start, write and read through the async driver, clear, stop: no process or files left."""
    if not arcadedb.available():
        pytest.fail("arcadedb-jvm is not installed: run `make test`, which installs it")
    server = arcadedb.ArcadeDBServer()
    # start() blocks for a few seconds; keep the event loop free while it runs.
    await asyncio.to_thread(server.start, 90.0)
    pid = server.pid
    root = server.root_dir
    log = server.log_path
    assert pid is not None
    assert root is not None
    assert log is not None
    try:
        assert server.running
        assert server.bolt_uri.startswith("bolt://127.0.0.1:")
        assert server.user == "root"
        assert server.database == "neo4j"
        assert root.is_dir()
        assert log.is_file()

        async with neo4j.AsyncGraphDatabase.driver(server.bolt_uri, auth=server.auth) as driver:
            await driver.verify_connectivity()
            summary = (
                await driver.execute_query(
                    "CREATE (:Probe {key: $key, n: $n})-[:LINKS]->(:Probe {key: 'b'})",
                    key="a",
                    n=41,
                    database_=server.database,
                )
            ).summary
            assert summary.counters.nodes_created == 2
            records, _, _ = await driver.execute_query(
                "MATCH (p:Probe {key: $key})-[:LINKS]->(q) RETURN p.n + 1 AS n, q.key AS other",
                key="a",
                database_=server.database,
                routing_=neo4j.RoutingControl.READ,
            )
            assert [(r["n"], r["other"]) for r in records] == [(42, "b")]

            await arcadedb.areset(driver, server.database)
            records, _, _ = await driver.execute_query(
                "MATCH (n) RETURN count(n) AS c", database_=server.database
            )
            assert records[0]["c"] == 0
    finally:
        await asyncio.to_thread(server.stop)

    assert not server.running
    assert server.pid is None
    assert not _alive(pid), f"java process {pid} survived stop()"
    assert not root.exists(), "server root directory was not deleted"
    assert not log.exists(), "log of a cleanly stopped server should be removed"
    with (
        neo4j.GraphDatabase.driver(server.bolt_uri, auth=server.auth) as driver,
        pytest.raises(ServiceUnavailable),
    ):
        driver.verify_connectivity()
