"""Fakes at our own ports (Ingestor, GraphStore) and an in-process HTTP client for the app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

import httpx2
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from api.app import create_app
from customer_graph.settings import Settings
from graph.port import GraphStore, Params, Row, ServerInfo, Statement, WriteResult, WriteSummary
from graph.queries import QueryCatalog, QueryRef
from ingestion.results import BatchResult, ItemResult, ItemStatus, RawMessage


class FakeIngestor:
    """Accepts objects, rejects those with a `"bad"` key, reports repeated `id`s as duplicates."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[RawMessage]]] = []
        self.seen: set[str] = set()
        self.error: Exception | None = None

    async def ingest_events(self, messages: Sequence[RawMessage]) -> BatchResult:
        return self._ingest("events", messages)

    async def ingest_records(self, messages: Sequence[RawMessage]) -> BatchResult:
        return self._ingest("records", messages)

    def _ingest(self, kind: str, messages: Sequence[RawMessage]) -> BatchResult:
        self.calls.append((kind, list(messages)))
        if self.error is not None:
            raise self.error
        results = []
        for index, message in enumerate(messages):
            payload = message.payload
            assert isinstance(payload, Mapping)
            item_id = str(payload.get("id", index))
            if "bad" in payload:
                results.append(
                    ItemResult(index, ItemStatus.REJECTED, None, "bad", str(payload["bad"]))
                )
            elif item_id in self.seen:
                results.append(ItemResult(index, ItemStatus.DUPLICATE, item_id))
            else:
                self.seen.add(item_id)
                results.append(ItemResult(index, ItemStatus.ACCEPTED, item_id))
        return BatchResult(results)


class FakeStore(GraphStore):
    """Answers `ping()` (or fails, or hangs, as told); queries are not expected."""

    backend = "fake"

    def __init__(self) -> None:
        self.queries = QueryCatalog()
        self.batch_size = 100
        self.ping_error: Exception | None = None
        self.ping_hangs = False
        self.closed = False

    async def read(self, query: QueryRef, params: Params | None = None) -> list[Row]:
        raise AssertionError("the API under test should not query the store")

    async def write(self, query: QueryRef, params: Params | None = None) -> WriteResult:
        raise AssertionError("the API under test should not write to the store")

    async def _commit(self, statements: Sequence[Statement]) -> WriteSummary:
        raise AssertionError("the API under test should not write to the store")

    async def ensure_schema(self) -> None:
        return None

    async def ping(self) -> ServerInfo:
        if self.ping_hangs:
            await asyncio.sleep(3600)
        if self.ping_error is not None:
            raise self.ping_error
        return ServerInfo(backend="fake", address="memory", version="9.9.9")

    async def close(self) -> None:
        self.closed = True


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """Run the app's lifespan and talk to it in process (bodies stream as sent)."""
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        yield client


@pytest.fixture
def ingestor() -> FakeIngestor:
    return FakeIngestor()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def app(ingestor: FakeIngestor, store: FakeStore) -> FastAPI:
    return create_app(Settings(), ingestor=ingestor, store=store)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with serving(app) as c:
        yield c


def sample(name: str, labels: dict[str, str]) -> float:
    """A sample of the default Prometheus registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
