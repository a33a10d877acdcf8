"""Health, readiness, metrics, request ids and masked errors (fakes at our own ports); the
per-operation GraphQL metrics, error counters and the scrape-time gauges (queue sizes, model
versions) also on the real embedded store."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from api.app import create_app
from api.graphql import operation_metrics
from api.routes import health
from customer_graph.settings import Settings
from graph.errors import GraphUnavailableError
from identity.model_registry import ModelRegistry
from tests.api.conftest import (
    INGEST_KEY,
    CountingStore,
    FakeIngestor,
    FakeStore,
    GraphQL,
    error_codes,
    keyed,
    sample,
    serving,
)
from tests.api.graphql_world import HASH_KEY, KEYS, GraphQLWorld


async def test_healthz_answers_ok_without_touching_the_store(
    client: httpx2.AsyncClient, store: FakeStore
) -> None:
    store.ping_error = GraphUnavailableError("down")
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_backend_when_the_store_answers(
    client: httpx2.AsyncClient,
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "backend": "fake", "version": "9.9.9"}


async def test_readyz_is_503_with_the_reason_when_the_store_is_down(
    client: httpx2.AsyncClient, store: FakeStore
) -> None:
    store.ping_error = GraphUnavailableError("connection refused by 127.0.0.1:6390\n  retry")
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "graph store unavailable: connection refused by 127.0.0.1:6390 retry",
    }


async def test_readyz_hides_details_of_an_unexpected_error(
    client: httpx2.AsyncClient, store: FakeStore
) -> None:
    store.ping_error = KeyError("internal detail")
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "graph store check failed (KeyError)"
    assert "internal detail" not in response.text


async def test_readyz_is_503_when_the_store_hangs(
    client: httpx2.AsyncClient, store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "PING_TIMEOUT_S", 0.05)
    store.ping_hangs = True
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "graph store did not answer within 0.05s"


async def test_an_injected_store_is_not_closed_by_the_app(app: FastAPI, store: FakeStore) -> None:
    async with serving(app) as client:
        assert (await client.get("/healthz")).status_code == 200
    assert store.closed is False


async def test_metrics_exposes_latency_by_route_template_and_ingest_counters(
    app: FastAPI,
) -> None:
    @app.get("/test-only/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    labels = {"method": "GET", "route": "/test-only/things/{thing_id}", "status": "200"}
    before = sample("cg_http_request_seconds_count", labels)
    async with serving(app) as client:
        for n in range(3):
            assert (await client.get(f"/test-only/things/t{n}")).status_code == 200
        await client.get("/no/such/path/123")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert sample("cg_http_request_seconds_count", labels) - before == 3
    text = response.text
    assert 'route="/test-only/things/{thing_id}"' in text
    assert "/test-only/things/t0" not in text  # raw paths never become labels
    assert "/no/such/path" not in text
    assert 'route="<unmatched>",status="404"' in text
    assert 'cg_ingest_messages_total{source="http",status="accepted"}' in text


async def test_a_sane_client_request_id_is_echoed(client: httpx2.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "01HZX3-abc.def:9_z"})
    assert response.headers["x-request-id"] == "01HZX3-abc.def:9_z"


@pytest.mark.parametrize("given", ["x" * 65, "has space", 'quote"d', "-leading-dash", "é"])
async def test_an_odd_client_request_id_is_replaced(client: httpx2.AsyncClient, given: str) -> None:
    response = await client.get("/no-such-route", headers={b"X-Request-ID": given.encode()})
    assigned = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", assigned)
    assert response.json() == {"error": "Not Found", "request_id": assigned}


async def test_every_response_gets_a_fresh_request_id(client: httpx2.AsyncClient) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


async def test_a_wrong_method_is_405_in_the_error_envelope(client: httpx2.AsyncClient) -> None:
    response = await client.get("/v1/events")
    assert response.status_code == 405
    assert response.json()["error"] == "Method Not Allowed"
    assert response.headers["allow"] == "POST"


# ---- per-operation GraphQL metrics, error counters, scrape-time gauges ----------------


def _keyed_app(ingestor: FakeIngestor, store: FakeStore, data_dir: Path) -> FastAPI:
    settings = Settings(data_dir=data_dir, api_keys={key: role for role, key in KEYS.items()})
    return create_app(settings, ingestor=ingestor, store=store)


async def test_graphql_latency_is_labelled_by_operation_and_errors_by_code(
    ingestor: FakeIngestor, store: FakeStore, tmp_path: Path
) -> None:
    app = _keyed_app(ingestor, store, tmp_path)
    ping = {"type": "query", "operation": "PingForMetrics"}
    submit = {"type": "mutation", "operation": "SubmitForMetrics"}
    forbidden = {**submit, "code": "FORBIDDEN"}
    invalid = {"type": "query", "operation": "NoSuchField", "code": "GRAPHQL_VALIDATION_FAILED"}
    unparsed = {"type": "unknown", "operation": "<unparsed>", "code": "GRAPHQL_PARSE_FAILED"}
    root = {"type": "mutation", "field": "submitEvents"}
    graphql_ingest = {"source": "graphql", "status": "accepted"}
    before = {
        "ping": sample("cg_graphql_operation_seconds_count", ping),
        "submit": sample("cg_graphql_operation_seconds_count", submit),
        "forbidden": sample("cg_graphql_errors_total", forbidden),
        "invalid": sample("cg_graphql_errors_total", invalid),
        "unparsed": sample("cg_graphql_errors_total", unparsed),
        "root": sample("cg_graphql_root_fields_total", root),
        "ingest": sample("cg_ingest_messages_total", graphql_ingest),
    }
    submit_doc = "mutation SubmitForMetrics($e: [JSON!]!) { submitEvents(events: $e) { accepted } }"
    async with serving(app) as client:
        gql = GraphQL(client)
        for _ in range(2):
            assert "errors" not in await gql("query PingForMetrics { __typename }")
        accepted = await gql.data(submit_doc, {"e": [{"id": "m-1"}, {"id": "m-2"}]})
        assert accepted["submitEvents"]["accepted"] == 2
        refused = await gql(submit_doc, {"e": [{"id": "m-3"}]}, role="ml")
        assert error_codes(refused) == ["FORBIDDEN"]
        assert "errors" in await gql("query NoSuchField { noSuchField }")
        assert "errors" in await gql("query Broken {")
        text = (await client.get("/metrics")).text
    assert sample("cg_graphql_operation_seconds_count", ping) - before["ping"] == 2
    assert sample("cg_graphql_operation_seconds_count", submit) - before["submit"] == 2
    assert sample("cg_graphql_errors_total", forbidden) - before["forbidden"] == 1
    assert sample("cg_graphql_errors_total", invalid) - before["invalid"] == 1
    assert sample("cg_graphql_errors_total", unparsed) - before["unparsed"] == 1
    assert sample("cg_graphql_root_fields_total", root) - before["root"] == 1  # not when refused
    assert sample("cg_graphql_root_fields_total", {"type": "query", "field": "__typename"}) == 0
    assert sample("cg_ingest_messages_total", graphql_ingest) - before["ingest"] == 2
    assert 'cg_graphql_operation_seconds_bucket{le="0.005",operation="PingForMetrics"' in text


def test_operation_names_beyond_the_limit_count_as_other() -> None:
    names = operation_metrics._Names(limit=2)
    assert [names.label(n) for n in ("a", "b", "a", "c", "b")] == ["a", "b", "a", "<other>", "b"]
    assert names.label("not a name") == "<other>"


async def test_http_errors_are_counted_by_route_template_and_status(
    client: httpx2.AsyncClient, ingestor: FakeIngestor
) -> None:
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    not_json = {"method": "POST", "route": "/v1/events", "status": "400"}
    masked = {"method": "POST", "route": "/v1/events", "status": "500"}
    ok = {"method": "POST", "route": "/v1/events", "status": "200"}
    before = {n: sample("cg_http_errors_total", labels) for n, labels in locals().items()
              if isinstance(labels, dict)}  # fmt: skip
    await client.get("/no/such/thing")
    await client.post("/v1/events", content=b"{not json")
    await client.post("/v1/events", json=[{"id": "fine"}])
    ingestor.error = RuntimeError("pipeline exploded")
    assert (await client.post("/v1/events", json=[{"id": "x"}])).status_code == 500
    assert sample("cg_http_errors_total", unmatched) - before["unmatched"] == 1
    assert sample("cg_http_errors_total", not_json) - before["not_json"] == 1
    assert sample("cg_http_errors_total", masked) - before["masked"] == 1
    assert sample("cg_http_errors_total", ok) - before["ok"] == 0


async def test_a_scrape_answers_when_a_gauge_source_fails_and_counts_it(
    client: httpx2.AsyncClient,
) -> None:
    labels = {"source": "review_queue"}  # the fake store refuses every read
    before = sample("cg_metrics_refresh_errors_total", labels)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert sample("cg_metrics_refresh_errors_total", labels) - before == 1
    assert 'cg_review_queue_pairs{status="pending"}' in response.text


async def test_queue_sizes_and_model_versions_follow_the_graph_and_the_registry(
    gql_client: GraphQL, gql_world: GraphQLWorld, gql_store: CountingStore
) -> None:
    first, second = gql_world.versions
    identity = ModelRegistry(gql_world.settings.identity_model_dir).current()
    assert identity is not None
    pending = [r for r in await gql_store.read("matches/status_counts") if r["status"] == "pending"]
    promote = "mutation($v: String!) { promoteModel(version: $v) { version } }"
    try:
        await gql_client.client.get("/metrics")
        assert sample("cg_review_queue_pairs", {"status": "pending"}) == pending[0]["pairs"]
        assert sample("cg_model_info", {"model": "gnn", "version": second}) == 1
        assert sample("cg_model_info", {"model": "identity", "version": identity.version}) == 1
        assert sample("cg_model_info", {"model": "nba", "version": "0"}) == 1

        await gql_client.data(promote, {"v": first}, role="ml")
        await gql_client.client.get("/metrics")
        assert sample("cg_model_info", {"model": "gnn", "version": first}) == 1
        assert (
            REGISTRY.get_sample_value("cg_model_info", {"model": "gnn", "version": second}) is None
        )
    finally:
        await gql_client(promote, {"v": second}, role="ml")
    await gql_client.client.get("/metrics")
    assert sample("cg_model_info", {"model": "gnn", "version": second}) == 1


async def test_dead_letters_are_a_gauge_read_at_each_scrape(tmp_path: Path) -> None:
    app = create_app(keyed(Settings(data_dir=tmp_path, hash_key=HASH_KEY)))
    async with serving(app, INGEST_KEY) as client:
        await client.get("/metrics")
        assert sample("cg_dead_letters", {"status": "new"}) == 0
        bad = [{"event_id": "d-1"}, {"type": "teleport"}, {"source": "crm"}]
        assert (await client.post("/v1/events", json=bad[:2])).json()["rejected"] == 2
        assert (await client.post("/v1/records", json=bad[2:])).json()["rejected"] == 1
        await client.get("/metrics")
        assert sample("cg_dead_letters", {"status": "new"}) == 3
        assert sample("cg_dead_letters", {"status": "replayed"}) == 0
