"""uvicorn's httptools protocol with Nagle's algorithm off on every accepted connection.

asyncio turns on `TCP_NODELAY` only for sockets whose `proto` is `IPPROTO_TCP`. With
`--workers N`, uvicorn binds the listening socket as `socket.socket(family)` (proto 0), so
the connections the workers accept keep Nagle on. A response goes out in two writes
(headers, then body): the body waited for the client's ACK of the headers, which Linux
delays by up to 40 ms. Measured (`benchmarks/api.py --workers 2`, 100 req/s): p50 49 ms
with the stall, 7 ms without (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on the transport's TCP socket (no-op for others)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` that sends each write at once (`TCP_NODELAY`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Nagle off, then uvicorn's own set-up."""
        no_delay(transport)
        super().connection_made(transport)
