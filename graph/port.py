"""The GraphStore port: the only way the rest of the product talks to a graph database."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from typing import Any

from graph.queries import Cypher, QueryCatalog, QueryRef

Row = dict[str, Any]
Params = Mapping[str, Any]


@dataclass(frozen=True)
class WriteSummary:
    """What a write changed, as counted by the backend."""

    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0

    def __add__(self, other: WriteSummary) -> WriteSummary:
        return WriteSummary(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class WriteResult:
    """Rows a write query returned, and what it changed."""

    rows: list[Row]
    summary: WriteSummary


@dataclass(frozen=True)
class ServerInfo:
    """Who answered a ping."""

    backend: str
    address: str
    version: str


@dataclass(frozen=True)
class Statement:
    """One buffered write of a unit of work."""

    ref: QueryRef
    params: dict[str, Any]


@dataclass
class Transaction:
    """A unit of work: writes are buffered and applied together on commit."""

    statements: list[Statement] = field(default_factory=list)
    summary: WriteSummary = field(default_factory=WriteSummary)
    batch_size: int = 2000

    def write(self, query: QueryRef, params: Params | None = None) -> None:
        """Queue one write query."""
        self.statements.append(Statement(query, dict(params or {})))

    def write_batch(
        self, query: QueryRef, rows: Sequence[Mapping[str, Any]], params: Params | None = None
    ) -> None:
        """Queue an UNWIND `$rows` query, split into batches."""
        for start in range(0, len(rows), self.batch_size):
            chunk = [dict(r) for r in rows[start : start + self.batch_size]]
            self.statements.append(Statement(query, {**(params or {}), "rows": chunk}))


class GraphStore(abc.ABC):
    """Async port over a Cypher graph database (FalkorDB or Neo4j)."""

    backend: str
    queries: QueryCatalog
    batch_size: int

    @abc.abstractmethod
    async def read(self, query: QueryRef, params: Params | None = None) -> list[Row]:
        """Run a read-only query; rows come back as plain dicts."""

    @abc.abstractmethod
    async def write(self, query: QueryRef, params: Params | None = None) -> WriteResult:
        """Run one write query in its own transaction."""

    async def write_batch(
        self,
        query: QueryRef,
        rows: Sequence[Mapping[str, Any]],
        params: Params | None = None,
        batch_size: int | None = None,
    ) -> WriteSummary:
        """Run an UNWIND `$rows` write over `rows` in batches; each batch is atomic."""
        size = batch_size or self.batch_size
        total = WriteSummary()
        for start in range(0, len(rows), size):
            chunk = [dict(r) for r in rows[start : start + size]]
            result = await self.write(query, {**(params or {}), "rows": chunk})
            total = total + result.summary
        return total

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A unit of work: committed when the block exits cleanly, discarded on error."""
        tx = Transaction(batch_size=self.batch_size)
        yield tx
        if tx.statements:
            tx.summary = await self._commit(tx.statements)

    @abc.abstractmethod
    async def _commit(self, statements: Sequence[Statement]) -> WriteSummary:
        """Apply buffered statements atomically (backend-specific)."""

    @abc.abstractmethod
    async def ensure_schema(self) -> None:
        """Create the model's indexes and uniqueness constraints; idempotent."""

    @abc.abstractmethod
    async def ping(self) -> ServerInfo:
        """Check the backend answers; raises GraphUnavailableError when it does not."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections (and stop an embedded server this process owns)."""

    async def __aenter__(self) -> GraphStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def resolve(self, query: QueryRef) -> Cypher:
        """The Cypher text this backend runs for a query name (or an inline Cypher)."""
        if isinstance(query, Cypher):
            return query
        return self.queries.get(query, self.backend)
