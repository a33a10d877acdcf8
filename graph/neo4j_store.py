"""GraphStore adapter for Neo4j 5 (official async driver, managed transactions, routing)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import neo4j
import neo4j.exceptions
import neo4j.graph
import neo4j.time
from neo4j import AsyncGraphDatabase, AsyncManagedTransaction, RoutingControl

from graph.errors import (
    ConstraintViolationError,
    GraphAuthError,
    GraphError,
    GraphUnavailableError,
    QueryError,
)
from graph.port import GraphStore, Params, Row, ServerInfo, Statement, WriteResult, WriteSummary
from graph.queries import Cypher, QueryCatalog, QueryRef
from graph.schema import SCHEMA, NodeIndex
from graph.values import NOT_DRIVER_TYPE, entity, plain

T = TypeVar("T")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _driver_hook(value: Any) -> Any:
    if isinstance(value, (neo4j.time.DateTime, neo4j.time.Date, neo4j.time.Time)):
        return value.to_native()
    if isinstance(value, neo4j.graph.Node):
        return entity(dict(value), _driver_hook, _labels=sorted(value.labels))
    if isinstance(value, neo4j.graph.Relationship):
        return entity(dict(value), _driver_hook, _type=value.type)
    if isinstance(value, neo4j.graph.Path):
        return {
            "nodes": [plain(n, _driver_hook) for n in value.nodes],
            "relationships": [plain(r, _driver_hook) for r in value.relationships],
        }
    return NOT_DRIVER_TYPE


def _summary(counters: Any) -> WriteSummary:
    return WriteSummary(
        nodes_created=counters.nodes_created,
        nodes_deleted=counters.nodes_deleted,
        relationships_created=counters.relationships_created,
        relationships_deleted=counters.relationships_deleted,
        properties_set=counters.properties_set,
    )


def _translate(error: Exception, name: str) -> GraphError:
    if isinstance(error, neo4j.exceptions.AuthError):
        return GraphAuthError(f"Neo4j refused the credentials: {error}")
    if isinstance(error, (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired)):
        return GraphUnavailableError(f"Neo4j unreachable: {error}")
    if isinstance(error, neo4j.exceptions.ConstraintError):
        return ConstraintViolationError(str(error), name)
    if isinstance(error, neo4j.exceptions.Neo4jError) and "already exists with" in str(error):
        return ConstraintViolationError(str(error), name)
    if isinstance(error, OSError):
        return GraphUnavailableError(f"Neo4j unreachable: {error}")
    return QueryError(str(error), name)


def _ddl(index: NodeIndex) -> str:
    for name in (index.label, *index.properties):
        if not _IDENTIFIER.match(name):
            raise ValueError(f"unsafe identifier in schema: {name!r}")
    props = ", ".join(f"n.{p}" for p in index.properties)
    target = f"({props})" if len(index.properties) > 1 else props
    if index.unique:
        return (
            f"CREATE CONSTRAINT {index.name} IF NOT EXISTS "
            f"FOR (n:{index.label}) REQUIRE {target} IS UNIQUE"
        )
    return f"CREATE INDEX {index.name} IF NOT EXISTS FOR (n:{index.label}) ON ({props})"


class Neo4jStore(GraphStore):
    """Neo4j adapter: one driver per process; reads and writes routed in managed transactions."""

    backend = "neo4j"

    def __init__(
        self,
        *,
        uri: str,
        user: str,
        password: str,
        database: str,
        queries: QueryCatalog,
        batch_size: int = 2000,
        timeout_ms: int = 30_000,
    ) -> None:
        self.queries = queries
        self.batch_size = batch_size
        self.timeout_s = timeout_ms / 1000
        self.database = database
        self.address = uri
        self._driver = AsyncGraphDatabase.driver(uri, auth=(user, password))

    async def _call(self, name: str, action: Callable[[], Awaitable[T]]) -> T:
        try:
            return await action()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as error:
            raise _translate(error, name) from error
        except (TypeError, ValueError) as error:  # parameters the driver cannot send
            raise QueryError(str(error), name) from error

    async def _execute(
        self, cypher: Cypher, params: Params | None, routing: RoutingControl
    ) -> neo4j.EagerResult:
        query = neo4j.Query(cypher.text, timeout=self.timeout_s)

        async def run() -> neo4j.EagerResult:
            return await self._driver.execute_query(
                query, dict(params or {}), routing_=routing, database_=self.database
            )

        return await self._call(cypher.name, run)

    @staticmethod
    def _rows(result: neo4j.EagerResult) -> list[Row]:
        return [
            {key: plain(value, _driver_hook) for key, value in record.items()}  # type: ignore[no-untyped-call]
            for record in result.records
        ]

    async def read(self, query: QueryRef, params: Params | None = None) -> list[Row]:
        """Run a read query, routed to readers in a cluster."""
        return self._rows(await self._execute(self.resolve(query), params, RoutingControl.READ))

    async def write(self, query: QueryRef, params: Params | None = None) -> WriteResult:
        """Run a write query in a managed (retried) transaction on the leader."""
        result = await self._execute(self.resolve(query), params, RoutingControl.WRITE)
        return WriteResult(self._rows(result), _summary(result.summary.counters))

    async def _commit(self, statements: Sequence[Statement]) -> WriteSummary:
        """All statements in one managed transaction: all applied, or none."""
        resolved = [(self.resolve(s.ref), s.params) for s in statements]

        async def work(tx: AsyncManagedTransaction) -> WriteSummary:
            total = WriteSummary()
            for cypher, params in resolved:
                result = await tx.run(cypher.text, params)
                total = total + _summary((await result.consume()).counters)
            return total

        async def run() -> WriteSummary:
            # Share execute_query's bookmarks, so a read right after this commit (the ingest
            # cursor, say) is causally consistent even when it is routed to a follower.
            bookmarks = self._driver.execute_query_bookmark_manager
            async with self._driver.session(
                database=self.database, bookmark_manager=bookmarks
            ) as session:
                return await session.execute_write(work)

        names = ",".join(dict.fromkeys(c.name for c, _ in resolved))
        return await self._call(f"transaction[{names}]", run)

    async def ensure_schema(self) -> None:
        """Neo4j 5 DDL with IF NOT EXISTS; a unique constraint brings its own index."""
        for index in SCHEMA:
            await self._execute(Cypher(_ddl(index), index.name), None, RoutingControl.WRITE)

    async def ping(self) -> ServerInfo:
        """Connectivity check; reports the server agent string."""

        async def info() -> Any:
            return await self._driver.get_server_info()

        server = await self._call("ping", info)
        return ServerInfo(backend=self.backend, address=self.address, version=server.agent)

    async def close(self) -> None:
        """Close the driver and its connection pool."""
        await self._driver.close()
