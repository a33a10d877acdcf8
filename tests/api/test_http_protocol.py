"""Nagle's algorithm is off on the connections the API accepts, also on the listening
socket uvicorn's multi-worker mode binds (proto 0, which asyncio leaves alone)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

import customer_graph.commands.serve as serve
from api.http_protocol import NoDelayHttpToolsProtocol, no_delay
from customer_graph.settings import Settings


async def _accepted_nodelay(fix: bool) -> int:
    """TCP_NODELAY of a connection accepted on a socket bound as uvicorn's workers bind it."""
    listener = socket.socket(family=socket.AF_INET)  # proto 0, as uvicorn's bind_socket
    listener.bind(("127.0.0.1", 0))
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            if fix:
                no_delay(transport)
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        _reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        value = await asyncio.wait_for(seen, 5)
        writer.close()
        return value
    finally:
        server.close()


async def test_asyncio_leaves_nagle_on_there_and_the_protocol_turns_it_off() -> None:
    assert await _accepted_nodelay(fix=False) == 0, "the bug the protocol works around"
    assert await _accepted_nodelay(fix=True) != 0


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_runs_uvicorn_with_the_protocol(
    workers: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    serve.run_api(Settings(data_dir=tmp_path), "127.0.0.1", 0, workers)
    assert calls[0]["http"] is NoDelayHttpToolsProtocol
