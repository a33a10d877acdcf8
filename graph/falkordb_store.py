"""GraphStore adapter for FalkorDB over RESP (embedded or external server)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import redis.exceptions
from falkordb.asyncio import FalkorDB
from falkordb.asyncio.graph import AsyncGraph

from graph.embedded_server import EmbeddedFalkorDB
from graph.errors import (
    ConstraintViolationError,
    GraphAuthError,
    GraphError,
    GraphUnavailableError,
    QueryError,
)
from graph.falkordb_params import params_header
from graph.falkordb_reply import SchemaMiss, refresh_schema, rows_of
from graph.port import GraphStore, Params, Row, ServerInfo, Statement, WriteResult, WriteSummary
from graph.queries import Cypher, QueryCatalog, QueryRef
from graph.schema import SCHEMA

T = TypeVar("T")
_STATS = {
    "Nodes created": "nodes_created",
    "Nodes deleted": "nodes_deleted",
    "Relationships created": "relationships_created",
    "Relationships deleted": "relationships_deleted",
    "Properties set": "properties_set",
}


def _parse_stats(lines: Sequence[Any]) -> WriteSummary:
    counts: dict[str, int] = {}
    for line in lines:
        key, _, value = str(line).partition(": ")
        if key in _STATS:
            counts[_STATS[key]] = int(float(value.split(" ")[0]))
    return WriteSummary(**counts)


def _translate(error: Exception, name: str) -> GraphError:
    # FalkorDB quotes the query (parameters included) after "errCtx:": never pass that on,
    # it would put record values into logs and error responses.
    message = str(error).split(" errCtx:", 1)[0]
    if isinstance(error, redis.exceptions.AuthenticationError) or "NOAUTH" in message:
        return GraphAuthError(f"FalkorDB refused the credentials: {message}")
    if isinstance(error, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        return GraphUnavailableError(f"FalkorDB unreachable: {message}")
    if "unique constraint violation" in message:
        return ConstraintViolationError(message, name)
    return QueryError(message, name)


class FalkorDBStore(GraphStore):
    """FalkorDB adapter; with `server` set, it owns or reuses an embedded server."""

    backend = "falkordb"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        password: str | None,
        graph_name: str,
        queries: QueryCatalog,
        batch_size: int = 2000,
        timeout_ms: int = 30_000,
        server: EmbeddedFalkorDB | None = None,
    ) -> None:
        self.queries = queries
        self.batch_size = batch_size
        self.timeout_ms = timeout_ms
        self.graph_name = graph_name
        self.server = server
        self._validated: set[str] = set()
        self._connect(host, port, password)

    def _connect(self, host: str, port: int, password: str | None) -> None:
        self.address = f"{host}:{port}"
        try:  # the client probes for a cluster (synchronously) while it is constructed
            self._db = FalkorDB(host=host, port=port, password=password)
        except redis.exceptions.RedisError as error:
            raise _translate(error, "connect") from error
        self._graph: AsyncGraph = self._db.select_graph(self.graph_name)

    async def _reconnect(self) -> bool:
        """After a lost connection to an embedded server: find or restart it, reconnect."""
        if self.server is None:
            return False
        endpoint = self.server.ensure_running()  # same thread rule as in factory.py
        await self._db.aclose()
        self._connect(endpoint.host, endpoint.port, endpoint.password)
        return True

    async def _call(self, name: str, action: Callable[[], Awaitable[T]], retry: bool) -> T:
        """Run `action`, translating errors; after a lost connection, reconnect (restarting
        an embedded server if needed) and retry once only if `retry` (reads): a write may
        have been applied before its reply was lost, so it is never re-sent here."""
        for attempt in (1, 2):
            try:
                return await action()
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
                reconnected = attempt == 1 and await self._reconnect()
                if reconnected and retry:
                    continue
                raise _translate(error, name) from error
            except redis.exceptions.RedisError as error:
                raise _translate(error, name) from error
            except (ValueError, TypeError) as error:  # parameters FalkorDB cannot take
                raise QueryError(str(error), name) from error
        raise AssertionError("unreachable")

    async def _query(self, cypher: Cypher, params: Params | None, read_only: bool) -> list[Any]:
        """The compact reply `[header, rows, stats]` (or `[stats]`) of one query."""

        async def run() -> list[Any]:
            text = params_header(params) + cypher.text
            command = "GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY"
            reply = await self._db.connection.execute_command(
                command, self.graph_name, text, "--compact", "timeout", self.timeout_ms
            )
            for part in (reply[0], reply[-1]):  # a query error, or a run-time error
                if isinstance(part, redis.exceptions.ResponseError):
                    raise part
            return list(reply)

        return await self._call(cypher.name, run, retry=read_only)

    async def _rows(self, name: str, reply: list[Any]) -> list[Row]:
        """The reply's rows; a label or property created since the schema cache was filled
        refreshes it once."""
        try:
            return rows_of(reply, self._graph.schema)
        except SchemaMiss:  # the graph (and its schema cache) of a reconnect, if one happens
            await self._call(name, lambda: refresh_schema(self._graph.schema), retry=True)
        try:
            return rows_of(reply, self._graph.schema)
        except SchemaMiss as miss:
            raise QueryError(f"unknown schema id in the reply: {miss}", name) from None

    async def read(self, query: QueryRef, params: Params | None = None) -> list[Row]:
        """Run a read-only query (GRAPH.RO_QUERY refuses writes)."""
        cypher = self.resolve(query)
        return await self._rows(cypher.name, await self._query(cypher, params, read_only=True))

    async def write(self, query: QueryRef, params: Params | None = None) -> WriteResult:
        """Run one write query; FalkorDB applies each query atomically."""
        cypher = self.resolve(query)
        reply = await self._query(cypher, params, read_only=False)
        return WriteResult(await self._rows(cypher.name, reply), _parse_stats(reply[-1]))

    async def _validate(self, cypher: Cypher, params: dict[str, Any]) -> None:
        if cypher.text in self._validated:
            return

        async def explain() -> Any:
            text = params_header(params) + cypher.text
            return await self._db.connection.execute_command("GRAPH.EXPLAIN", self.graph_name, text)

        await self._call(cypher.name, explain, retry=True)
        self._validated.add(cypher.text)

    async def _commit(self, statements: Sequence[Statement]) -> WriteSummary:
        """One MULTI/EXEC: no other client interleaves; statements are checked first."""
        resolved = [(self.resolve(s.ref), s.params) for s in statements]
        for cypher, params in resolved:
            await self._validate(cypher, params)

        async def run() -> list[Any]:
            pipe = self._db.connection.pipeline(transaction=True)
            for cypher, params in resolved:
                text = params_header(params) + cypher.text
                pipe.execute_command("GRAPH.QUERY", self.graph_name, text, "--compact")
            return list(await pipe.execute(raise_on_error=False))

        responses = await self._call("transaction", run, retry=False)
        total = WriteSummary()
        for (cypher, _), response in zip(resolved, responses, strict=True):
            if isinstance(response, Exception):
                raise _translate(response, cypher.name)
            if isinstance(response[-1], Exception):
                raise _translate(response[-1], cypher.name)
            total = total + _parse_stats(response[-1])
        return total

    async def ensure_schema(self) -> None:
        """Create missing range indexes, then unique constraints (polled until active)."""
        # db.indexes lists one row per label with every indexed property of that label.
        rows = await self._procedure_rows("db.indexes")
        indexed = {(str(r[0]), str(p)) for r in rows for p in r[1]}
        changed = False
        for index in SCHEMA:
            if any((index.label, p) not in indexed for p in index.properties):
                changed = True
                await self._call(
                    index.name,
                    functools.partial(
                        self._graph.create_node_range_index, index.label, *index.properties
                    ),
                    retry=True,
                )
        wanted = [i for i in SCHEMA if i.unique]
        existing = {(c["label"], tuple(c["properties"])) for c in await self._constraints()}
        for index in wanted:
            if (index.label, index.properties) not in existing:
                changed = True
                await self._call(
                    index.name,
                    functools.partial(
                        self._graph.create_node_unique_constraint, index.label, *index.properties
                    ),
                    retry=True,
                )
        await self._await_constraints()
        if changed:
            await self._compact_aof()

    async def _compact_aof(self) -> None:
        """Put index definitions in the AOF's RDB base (see embedded_server.compact_aof)."""

        async def rewrite() -> None:
            info = await self._db.connection.info("persistence")
            if not int(info.get("aof_enabled", 0)):
                return
            with contextlib.suppress(redis.exceptions.ResponseError):
                await self._db.connection.bgrewriteaof()
            while True:
                info = await self._db.connection.info("persistence")
                if not int(info["aof_rewrite_in_progress"]) and not int(
                    info["aof_rewrite_scheduled"]
                ):
                    return
                await asyncio.sleep(0.05)

        await self._call("bgrewriteaof", rewrite, retry=True)

    async def _procedure_rows(self, procedure: str) -> list[Any]:
        """Rows of a listing procedure; a graph that does not exist yet has none."""
        try:
            result = await self._call(
                procedure, lambda: self._graph.call_procedure(procedure), retry=True
            )
        except QueryError as error:
            if "empty key" in str(error):
                return []
            raise
        return list(result.result_set)

    async def _constraints(self) -> list[dict[str, Any]]:
        return [
            {"label": r[1], "properties": r[2], "status": r[4]}
            for r in await self._procedure_rows("db.constraints")
        ]

    async def _await_constraints(self, timeout_s: float = 120.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            constraints = await self._constraints()
            failed = [c for c in constraints if c["status"] == "FAILED"]
            if failed:
                raise ConstraintViolationError(
                    f"unique constraints could not be built (duplicates exist): {failed}"
                )
            if all(c["status"] == "OPERATIONAL" for c in constraints):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise GraphUnavailableError("unique constraints still pending after timeout")
            await asyncio.sleep(0.05)

    async def ping(self) -> ServerInfo:
        """GRAPH.LIST round trip; reports the FalkorDB module version."""

        async def modules() -> Any:
            return await self._db.connection.execute_command("MODULE", "LIST")

        listing = await self._call("ping", modules, retry=True)
        version = next(
            (str(m[m.index("ver") + 1]) for m in listing if "graph" in m and "ver" in m), "?"
        )
        return ServerInfo(backend=self.backend, address=self.address, version=version)

    async def close(self) -> None:
        """Close connections; stop the embedded server if this process started it."""
        await self._db.aclose()
        if self.server is not None and self.server.owned:
            await asyncio.to_thread(self.server.stop)
