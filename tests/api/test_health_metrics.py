"""Health, readiness, metrics, request ids and masked errors (fakes at our own ports)."""

from __future__ import annotations

import re

import httpx2
import pytest
from fastapi import FastAPI

from api.routes import health
from graph.errors import GraphUnavailableError
from tests.api.conftest import FakeStore, sample, serving


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
