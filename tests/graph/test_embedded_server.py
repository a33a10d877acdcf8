"""The embedded FalkorDB server: start, reuse, persist, stop, and never leave orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from graph.embedded_server import EmbeddedFalkorDB, _pid_alive
from graph.factory import GraphConfig, open_graph_store
from graph.queries import Cypher


def _wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_second_instance_reuses_the_running_server(tmp_path: Path) -> None:
    first = EmbeddedFalkorDB(tmp_path)
    endpoint = first.ensure_running()
    try:
        second = EmbeddedFalkorDB(tmp_path)
        assert second.ensure_running() == endpoint
        assert first.owned
        assert not second.owned
        second.stop()
        assert _pid_alive(endpoint.pid), "a reusing process must not stop the owner's server"
    finally:
        first.stop()
    assert _wait_gone(endpoint.pid)
    assert not first.state_path.exists()


def test_server_listens_on_loopback_with_a_password(tmp_path: Path) -> None:
    server = EmbeddedFalkorDB(tmp_path)
    endpoint = server.ensure_running()
    try:
        assert endpoint.host == "127.0.0.1"
        assert len(endpoint.password) >= 32
        assert oct(server.state_path.stat().st_mode & 0o777) == "0o600"
    finally:
        server.stop()


async def test_data_survives_a_restart(tmp_path: Path) -> None:
    config = GraphConfig(url="falkordb-embedded://", data_dir=tmp_path)
    store = await open_graph_store(config)
    await store.write(Cypher("CREATE (:Customer {id: 'kept', created_at: 1})"))
    await store.close()
    store = await open_graph_store(config)
    try:
        rows = await store.read(Cypher("MATCH (c:Customer) RETURN c.id AS id"))
        assert rows == [{"id": "kept"}]
    finally:
        await store.close()


async def test_acknowledged_write_survives_kill_9_of_the_server(tmp_path: Path) -> None:
    config = GraphConfig(url="falkordb-embedded://", data_dir=tmp_path, fsync="always")
    store = await open_graph_store(config)
    await store.write(Cypher("CREATE (:Customer {id: 'acked', created_at: 1})"))
    server = EmbeddedFalkorDB(config.embedded_dir())
    endpoint = server.running()
    assert endpoint is not None
    os.kill(endpoint.pid, signal.SIGKILL)
    assert _wait_gone(endpoint.pid)
    # The store notices the lost connection, restarts the server and retries once.
    rows = await store.read(Cypher("MATCH (c:Customer) RETURN c.id AS id"))
    await store.close()
    assert rows == [{"id": "acked"}]


async def test_killed_owner_leaves_no_orphan_and_data_is_found_again(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from graph.factory import GraphConfig, open_graph_store
        from graph.queries import Cypher

        async def main():
            store = await open_graph_store(
                GraphConfig(url="falkordb-embedded://", data_dir=Path({str(tmp_path)!r})))
            await store.write(Cypher("CREATE (:Customer {{id: 'before-kill', created_at: 1}})"))
            print("ready", flush=True)
            await asyncio.sleep(600)

        asyncio.run(main())
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"ready"
    endpoint = EmbeddedFalkorDB(tmp_path / "falkordb").running()
    assert endpoint is not None
    child.kill()
    child.wait()
    assert _wait_gone(endpoint.pid), "redis-server outlived its killed owner"

    store = await open_graph_store(GraphConfig(url="falkordb-embedded://", data_dir=tmp_path))
    try:
        rows = await store.read(Cypher("MATCH (c:Customer) RETURN c.id AS id"))
        assert rows == [{"id": "before-kill"}]
    finally:
        await store.close()


def test_detached_server_outlives_its_starter_and_stops_on_request(tmp_path: Path) -> None:
    starter = EmbeddedFalkorDB(tmp_path)
    endpoint = starter.ensure_running(detached=True)
    assert not starter.owned
    starter.stop()
    assert _pid_alive(endpoint.pid)
    assert EmbeddedFalkorDB(tmp_path).shutdown_running()
    assert _wait_gone(endpoint.pid)
    assert EmbeddedFalkorDB(tmp_path).running() is None


def _incr_aof_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in (directory / "appendonlydir").glob("*.incr.aof"))


async def test_schema_and_clean_stop_leave_a_compact_aof(tmp_path: Path) -> None:
    # Index definitions replayed from the AOF are unusable while loading, which makes
    # replaying MERGEs quadratic; so they must live in the AOF's RDB base.
    config = GraphConfig(url="falkordb-embedded://", data_dir=tmp_path)
    store = await open_graph_store(config)
    assert _incr_aof_bytes(config.embedded_dir()) == 0, "schema DDL left in the AOF increment"
    await store.write(Cypher("UNWIND range(1, 500) AS i CREATE (:Item {id: toString(i)})"))
    assert _incr_aof_bytes(config.embedded_dir()) > 0
    await store.close()
    assert _incr_aof_bytes(config.embedded_dir()) == 0, "clean stop did not compact the AOF"


async def test_data_files_are_private(tmp_path: Path) -> None:
    config = GraphConfig(url="falkordb-embedded://", data_dir=tmp_path)
    store = await open_graph_store(config)
    await store.write(Cypher("CREATE (:Customer {id: 'p', created_at: 1})"))
    await store.close()
    folder = config.embedded_dir()
    assert folder.stat().st_mode & 0o077 == 0
    for path in (folder / "appendonlydir").iterdir():
        assert path.stat().st_mode & 0o077 == 0, f"{path.name} is readable by others"
