"""Fakes at our own ports (Ingestor, GraphStore), an in-process HTTP client for the app, and
for GraphQL a real embedded store holding a small resolved world."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from api.app import create_app
from customer_graph.runtime import graph_store
from customer_graph.settings import Settings
from graph.embedded_server import EmbeddedFalkorDB
from graph.port import GraphStore, Params, Row, ServerInfo, Statement, WriteResult, WriteSummary
from graph.queries import QueryCatalog, QueryRef
from ingestion.results import BatchResult, ItemResult, ItemStatus, RawMessage
from tests.api.graphql_world import KEYS, GraphQLWorld, build_world
from tests.identity import conftest as identity_fixtures


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


API_KEYS: dict[str, str] = {key: role for role, key in KEYS.items()}
INGEST_KEY = KEYS["admin"]  # may post events and records


def keyed(settings: Settings) -> Settings:
    """`settings` with the test API keys configured (one per role, `KEYS`)."""
    return settings.model_copy(update={"api_keys": {**API_KEYS, **settings.api_keys}})


@asynccontextmanager
async def serving(app: FastAPI, api_key: str | None = None) -> AsyncIterator[httpx2.AsyncClient]:
    """Run the app's lifespan and talk to it in process (bodies stream as sent), sending
    `api_key` as `X-API-Key` with every request (None: no key)."""
    headers = {} if api_key is None else {"X-API-Key": api_key}
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://testserver", headers=headers
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
def app(ingestor: FakeIngestor, store: FakeStore, tmp_path: Path) -> FastAPI:
    # Its own data dir: the lifespan also builds recommendation serving from it.
    return create_app(keyed(Settings(data_dir=tmp_path)), ingestor=ingestor, store=store)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with serving(app, INGEST_KEY) as c:
        yield c


def sample(name: str, labels: dict[str, str]) -> float:
    """A sample of the default Prometheus registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


# ---- GraphQL: a real embedded store holding a small resolved world --------------------


class CountingStore(GraphStore):
    """A real store behind our own port, counting reads per query name."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.queries = inner.queries
        self.batch_size = inner.batch_size
        self.reads: list[str] = []
        self.fail_on: str | None = None  # a query name whose read raises (internal errors)

    async def read(self, query: QueryRef, params: Params | None = None) -> list[Row]:
        name = query if isinstance(query, str) else "<inline>"
        self.reads.append(name)
        if name == self.fail_on:
            raise RuntimeError(f"boom in {name}: MATCH (secret:Cypher) RETURN secret")
        return await self.inner.read(query, params)

    async def write(self, query: QueryRef, params: Params | None = None) -> WriteResult:
        return await self.inner.write(query, params)

    async def _commit(self, statements: Sequence[Statement]) -> WriteSummary:
        return await self.inner._commit(statements)

    async def ensure_schema(self) -> None:
        await self.inner.ensure_schema()

    async def ping(self) -> ServerInfo:
        return await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()

    def count(self, name: str) -> int:
        """Reads of one query so far."""
        return self.reads.count(name)


# The identity tests' world and trained model, shared when both packages run in one session.
small_world = identity_fixtures.small_world
trained_model_dir = identity_fixtures.trained_model_dir


@pytest.fixture(scope="session")
def gql_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphQLWorld]:
    """The world, its store's server kept up for the session (stores connect in ms)."""
    world: Path = request.getfixturevalue("small_world")
    identity_model: Path = request.getfixturevalue("trained_model_dir")
    data_dir = tmp_path_factory.mktemp("graphql")
    server = EmbeddedFalkorDB(data_dir / "falkordb")
    server.ensure_running()
    try:
        yield build_world(world, identity_model, data_dir)
    finally:
        server.stop()


@pytest.fixture
async def gql_store(gql_world: GraphQLWorld) -> AsyncIterator[CountingStore]:
    """A counting store over the world's graph."""
    async with graph_store(gql_world.settings) as inner:
        yield CountingStore(inner)


@pytest.fixture
async def gql_client(gql_store: CountingStore, gql_world: GraphQLWorld) -> AsyncIterator[GraphQL]:
    """The real app (lifespan and all) over the world's store; the ingestor is a fake."""
    app = create_app(gql_world.settings, store=gql_store, ingestor=FakeIngestor())
    async with serving(app) as client:
        yield GraphQL(client)


class GraphQL:
    """Posts GraphQL documents with a role's API key."""

    def __init__(self, client: httpx2.AsyncClient) -> None:
        self.client = client

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, role: str | None = "admin"
    ) -> httpx2.Response:
        """The raw response (`role` None: no key; an unknown role name: a bad key)."""
        keys: dict[str, str] = {str(r): k for r, k in KEYS.items()}
        headers = {} if role is None else {"X-API-Key": keys.get(role, "not-a-configured-key")}
        body = {"query": query, "variables": variables or {}}
        return await self.client.post("/graphql", json=body, headers=headers)

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, role: str | None = "admin"
    ) -> dict[str, Any]:
        """The JSON answer (`data` and maybe `errors`)."""
        response = await self.post(query, variables, role)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, role: str | None = "admin"
    ) -> dict[str, Any]:
        """`data` of an answer that must have no errors."""
        answer = await self(query, variables, role)
        assert "errors" not in answer, answer["errors"]
        data: dict[str, Any] = answer["data"]
        return data


def error_codes(answer: dict[str, Any]) -> list[str]:
    """The `extensions.code` of every error of an answer."""
    return [str((e.get("extensions") or {}).get("code")) for e in answer.get("errors") or []]
