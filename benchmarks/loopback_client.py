"""A lean HTTP/1.1 client for load generation over loopback.

Keep-alive connections from a pool (the most recently used first, so few stay warm),
requests encoded once per call with `Content-Length`, responses read by `Content-Length` or
chunked transfer coding. It exists because a general client (aiohttp) spent 0.5-0.9 ms of
CPU per request on this 2-core machine: CPU the load generator took from the server it was
measuring. Not a general client: no TLS, redirects, cookies, proxies or compression.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

# Servers close idle keep-alive connections (uvicorn after 5 s): older idle ones are dropped.
IDLE_LIMIT_S = 4.0


class HttpError(Exception):
    """The connection failed or the server's answer was not HTTP/1.1 as expected."""


@dataclass(frozen=True)
class Answer:
    """A response: status code and body."""

    status: int
    body: bytes


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()

    def close(self) -> None:
        self.writer.close()


class LoopbackClient:
    """At most `connections` keep-alive connections to `host:port`; requests wait for one."""

    def __init__(self, host: str, port: int, connections: int = 64) -> None:
        self.host, self.port = host, port
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(connections)
        self._authority = f"{host}:{port}".encode()

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """GET `path`."""
        return await self.request("GET", path, b"", headers)

    async def post_json(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> Answer:
        """POST an already encoded JSON `body` to `path`."""
        return await self.request(
            "POST", path, body, {"Content-Type": "application/json", **(headers or {})}
        )

    async def request(
        self, method: str, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> Answer:
        """One request on a pooled connection (a new one when none is idle); a connection
        that fails or that the server closes is not reused."""
        lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self._authority]
        lines += [f"{name}: {value}".encode() for name, value in (headers or {}).items()]
        lines.append(b"Content-Length: " + str(len(body)).encode())
        payload = b"\r\n".join(lines) + b"\r\n\r\n" + body
        async with self._slots:
            connection = self._reusable() or await self._open()
            try:
                connection.writer.write(payload)
                answer, keep = await _read_answer(connection.reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
                connection.close()
                raise HttpError(f"{method} {path}: {error!r}") from error
            except HttpError:
                connection.close()
                raise
            if keep:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return answer

    def _reusable(self) -> _Connection | None:
        """The most recently used idle connection not yet near the server's idle limit."""
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.idle_since < IDLE_LIMIT_S:
                return connection
            connection.close()
        return None

    async def _open(self) -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as error:
            raise HttpError(f"connect to {self.host}:{self.port}: {error!r}") from error
        return _Connection(reader, writer)

    async def close(self) -> None:
        """Close the idle connections."""
        while self._idle:
            self._idle.pop().close()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """(the answer, whether the connection may be reused)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    fields: dict[bytes, bytes] = {}
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name:
            fields[name.strip().lower()] = value.strip().lower()
    if fields.get(b"transfer-encoding", b"").endswith(b"chunked"):
        body = await _read_chunked(reader)
    elif b"content-length" in fields:
        body = await reader.readexactly(int(fields[b"content-length"]))
    else:
        raise HttpError("the answer has neither Content-Length nor chunked coding")
    keep = fields.get(b"connection") != b"close" and parts[0] == b"HTTP/1.1"
    return Answer(int(parts[1]), body), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers expected: the final empty line
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
