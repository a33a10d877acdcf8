"""`POST /v1/events` and `/v1/records`: the HTTP contract (fake pipeline), then the real one.

The first part pins the envelope: how items reach the pipeline, per-item results, the
400/413/415/422 answers, the byte limit enforced while streaming. The second part posts
through the real `IngestPipeline` on the embedded store, built by the app's own lifespan.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from api.app import create_app
from customer_graph.settings import Settings
from graph.port import GraphStore
from graph.queries import Cypher
from ingestion.results import RawMessage
from tests.api.conftest import INGEST_KEY, FakeIngestor, FakeStore, keyed, sample, serving
from tests.api.graphql_world import KEYS
from tests.api.ingest_messages import T0, event, record

# --- the HTTP contract, with a fake pipeline ---------------------------------------------


async def test_items_reach_the_pipeline_as_raw_messages_with_their_origin(
    client: httpx2.AsyncClient, ingestor: FakeIngestor
) -> None:
    items: list[dict[str, Any]] = [{"id": "a", "n": 1}, {"id": "b", "nested": {"x": [1, 2]}}]
    response = await client.post("/v1/events", json=items)
    assert response.status_code == 200
    [(kind, messages)] = ingestor.calls
    assert kind == "events"
    assert messages == [
        RawMessage(payload=items[0], origin="http:/v1/events[0]"),
        RawMessage(payload=items[1], origin="http:/v1/events[1]"),
    ]


async def test_per_item_results_and_totals_also_when_some_are_rejected(
    client: httpx2.AsyncClient,
) -> None:
    await client.post("/v1/events", json=[{"id": "seen"}])
    response = await client.post(
        "/v1/events", json=[{"id": "new"}, {"bad": "no event_id"}, {"id": "seen"}]
    )
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 1,
        "duplicates": 1,
        "rejected": 1,
        "items": [
            {"index": 0, "status": "accepted", "id": "new", "field": None, "reason": None},
            {"index": 1, "status": "rejected", "id": None, "field": "bad", "reason": "no event_id"},
            {"index": 2, "status": "duplicate", "id": "seen", "field": None, "reason": None},
        ],
    }


async def test_the_items_wrapper_is_the_same_as_a_bare_array(
    client: httpx2.AsyncClient, ingestor: FakeIngestor
) -> None:
    bare = await client.post("/v1/records", json=[{"id": "r1"}, {"id": "r2"}])
    wrapped = await client.post("/v1/records", json={"items": [{"id": "r3"}, {"id": "r4"}]})
    assert bare.status_code == wrapped.status_code == 200
    assert wrapped.json()["accepted"] == 2
    assert [kind for kind, _ in ingestor.calls] == ["records", "records"]
    origins = [m.origin for m in ingestor.calls[1][1]]
    assert origins == ["http:/v1/records[0]", "http:/v1/records[1]"]


async def test_an_empty_batch_answers_zeros_without_calling_the_pipeline(
    client: httpx2.AsyncClient, ingestor: FakeIngestor
) -> None:
    response = await client.post("/v1/events", json={"items": []})
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "duplicates": 0, "rejected": 0, "items": []}
    assert ingestor.calls == []


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "request body is empty"),
        (b"[{]", 400, "not valid JSON: Expecting property name"),
        (b'[{"a": 1}', 400, "not valid JSON"),
        (b'[{"price": NaN}]', 400, "NaN is not valid JSON"),
        (b'["\xff"]', 400, "not UTF-8"),
        (b"[" * 100_000, 400, "nested too deeply"),
        (b'{"event_id": "e-1"}', 422, "without an 'items' key (to send one item, wrap it"),
        (b'{"items": [], "extra": 1}', 422, "unexpected top-level keys: 'extra'"),
        (b'{"items": {"a": 1}}', 422, "'items' must be an array of objects, got an object"),
        (b'"hello"', 422, "got a string"),
        (b"42", 422, "got a number"),
        (b'[{"a": 1}, "x", null, [1]]', 422, "item 1 is a string, item 2 is null, item 3 is an"),
    ],
)
async def test_a_body_that_is_not_an_array_of_objects_is_refused_saying_why(
    client: httpx2.AsyncClient, ingestor: FakeIngestor, body: bytes, status: int, message: str
) -> None:
    response = await client.post(
        "/v1/events", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    payload = response.json()
    assert message in payload["error"]
    assert payload["request_id"] == response.headers["x-request-id"]
    assert ingestor.calls == []


@pytest.mark.parametrize(
    ("key", "path", "status"),
    [
        (None, "/v1/events", 401),
        ("not-a-configured-key-000", "/v1/events", 401),
        (KEYS["steward"], "/v1/events", 403),
        (KEYS["ml"], "/v1/events", 403),
        (KEYS["frontend"], "/v1/events", 200),  # site tracking
        (KEYS["frontend"], "/v1/records", 403),  # records change identities: admin only
        (KEYS["steward"], "/v1/records", 403),
        (KEYS["admin"], "/v1/records", 200),
    ],
)
async def test_ingest_needs_a_key_whose_role_may_ingest(
    app: FastAPI, ingestor: FakeIngestor, key: str | None, path: str, status: int
) -> None:
    async with serving(app, key) as client:
        response = await client.post(path, json=[{"id": "k-1"}])
    assert response.status_code == status, response.text
    if status != 200:
        error = response.json()["error"]
        assert ("X-API-Key" in error or "API key" in error) if status == 401 else "ingest" in error
        assert ingestor.calls == []  # refused before the body reached the pipeline
    else:
        assert len(ingestor.calls) == 1


async def test_too_many_items_is_413_naming_the_limit(ingestor: FakeIngestor) -> None:
    app = create_app(keyed(Settings()), ingestor=ingestor, store=FakeStore(), max_items=3)
    async with serving(app, INGEST_KEY) as client:
        ok = await client.post("/v1/events", json=[{}] * 3)
        too_many = await client.post("/v1/events", json=[{}] * 4)
    assert ok.status_code == 200
    assert too_many.status_code == 413
    assert too_many.json()["error"].startswith("4 items exceed the limit of 3 items per request")
    assert len(ingestor.calls) == 1


class CountingBody:
    """A request body streamed in chunks, counting how many the server pulled."""

    def __init__(self, chunks: int, size: int) -> None:
        self.chunks, self.size, self.pulled = chunks, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # one JSON array of objects, padded with whitespace to the wanted size
        yield b"["
        for _ in range(self.chunks):
            self.pulled += 1
            yield b" " * (self.size - 5) + b"{},  "
        yield b"{}]"


@pytest.fixture
def small_limit_app(ingestor: FakeIngestor) -> FastAPI:
    return create_app(
        keyed(Settings()), ingestor=ingestor, store=FakeStore(), max_body_bytes=10_000
    )


async def test_a_declared_content_length_over_the_limit_is_refused_before_reading(
    small_limit_app: FastAPI, ingestor: FakeIngestor
) -> None:
    body = CountingBody(chunks=50, size=1000)
    async with serving(small_limit_app, INGEST_KEY) as client:
        response = await client.post(
            "/v1/events", content=body, headers={"content-length": "50004"}
        )
    assert response.status_code == 413
    assert response.json()["error"] == (
        "request body of 50004 bytes exceeds the limit of 10000 bytes"
    )
    assert body.pulled == 0
    assert ingestor.calls == []


async def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit(
    small_limit_app: FastAPI, ingestor: FakeIngestor
) -> None:
    body = CountingBody(chunks=1000, size=1000)  # ~1 MB, no Content-Length (chunked)
    async with serving(small_limit_app, INGEST_KEY) as client:
        response = await client.post("/v1/events", content=body)
    assert response.status_code == 413
    assert response.json()["error"] == "request body exceeds the limit of 10000 bytes"
    assert body.pulled <= 11  # stopped just past 10 kB, not after the whole megabyte
    assert ingestor.calls == []


async def test_a_body_just_under_the_limit_goes_through(
    small_limit_app: FastAPI, ingestor: FakeIngestor
) -> None:
    body = CountingBody(chunks=9, size=1000)
    async with serving(small_limit_app, INGEST_KEY) as client:
        response = await client.post("/v1/events", content=body)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 10
    assert body.pulled == 9


async def test_the_default_byte_limit_comes_from_the_settings(ingestor: FakeIngestor) -> None:
    settings = Settings(http_max_body_bytes=2048)
    app = create_app(keyed(settings), ingestor=ingestor, store=FakeStore())
    async with serving(app, INGEST_KEY) as client:
        response = await client.post("/v1/events", json=[{"pad": "x" * 3000}])
    assert response.status_code == 413


async def test_compressed_bodies_are_refused(
    client: httpx2.AsyncClient,
) -> None:
    gz = await client.post("/v1/events", content=b"...", headers={"content-encoding": "gzip"})
    assert gz.status_code == 415
    assert "Content-Encoding 'gzip' is not supported" in gz.json()["error"]


async def test_an_unexpected_pipeline_error_is_masked_and_logged_with_the_request_id(
    client: httpx2.AsyncClient, ingestor: FakeIngestor, caplog: pytest.LogCaptureFixture
) -> None:
    ingestor.error = RuntimeError("QueryError: MATCH (r:Record {key: 'crm:1'}) failed")
    with caplog.at_level("ERROR", logger="api"):
        response = await client.post(
            "/v1/events", json=[{"id": "x"}], headers={"X-Request-ID": "trace-42"}
        )
    assert response.status_code == 500
    assert response.json() == {"error": "internal error", "request_id": "trace-42"}
    assert response.headers["x-request-id"] == "trace-42"
    assert "MATCH" not in response.text
    assert "Traceback" not in response.text
    [line] = [r.getMessage() for r in caplog.records if "unhandled_error" in r.getMessage()]
    assert "\n" not in line  # one log line, traceback escaped inside the JSON
    logged = json.loads(line)
    assert logged["request_id"] == "trace-42"
    assert logged["route"] == "/v1/events"
    assert logged["error_type"] == "RuntimeError"
    assert "MATCH (r:Record" in logged["traceback"]  # the operator gets the details


async def test_ingest_counters_count_items_per_status(client: httpx2.AsyncClient) -> None:
    def counts() -> dict[str, float]:
        return {
            s: sample("cg_ingest_messages_total", {"source": "http", "status": s})
            for s in ("accepted", "duplicate", "rejected")
        }

    before = counts()
    await client.post("/v1/events", json=[{"id": "m1"}, {"id": "m2"}, {"bad": "x"}])
    await client.post("/v1/records", json=[{"id": "m1"}])
    after = counts()
    assert {s: after[s] - before[s] for s in after} == {
        "accepted": 2,
        "duplicate": 1,
        "rejected": 1,
    }


async def test_the_openapi_document_describes_both_body_forms(client: httpx2.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    kinds = [form["type"] for form in body["schema"]["oneOf"]]
    assert kinds == ["array", "object"]
    assert "413" in spec["paths"]["/v1/records"]["post"]["responses"]


# --- through the real pipeline, on the embedded store ------------------------------------


def _event(event_id: str, kind: str = "product_view", **identifiers: str) -> dict[str, Any]:
    return event(event_id, kind, "u-000000test", "I-TEST1", **identifiers)


_record = record


async def _counts(store: GraphStore) -> dict[str, int]:
    nodes = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    rels = {r["type"]: r["count"] for r in await store.read("stats/relationship_counts")}
    return {**nodes, **rels}


@pytest.fixture
def real_app(tmp_path: Path) -> FastAPI:
    return create_app(
        keyed(Settings(data_dir=tmp_path, hash_key=SecretStr("test-key-test-key-test-key")))
    )


async def test_events_through_the_real_pipeline_are_written_once(real_app: FastAPI) -> None:
    events = [
        _event("e-1", user_id="u-000000test", anonymous_id="c-000000cookie"),
        _event("e-2", "purchase", user_id="u-000000test"),
        {**_event("e-3"), "type": "teleport"},  # unknown type
        {**_event("e-4"), "identifiers": {}},  # no identifier
        {k: v for k, v in _event("e-5").items() if k != "occurred_at"},
    ]
    async with serving(real_app, INGEST_KEY) as client:
        store: GraphStore = real_app.state.store
        first = await client.post("/v1/events", json=events)
        assert first.status_code == 200, first.text
        body = first.json()
        assert [i["status"] for i in body["items"]] == [
            "accepted",
            "accepted",
            "rejected",
            "rejected",
            "rejected",
        ]
        assert [i["id"] for i in body["items"][:2]] == ["e-1", "e-2"]
        assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 3)
        assert body["items"][2]["field"] == "type"
        assert body["items"][4]["field"] == "occurred_at"
        assert all(i["reason"] for i in body["items"][2:])

        interactions = await store.read(
            "interactions/by_identifiers", {"keys": ["login:u-000000test"]}
        )
        assert {(r["item_id"], r["type"], r["count"]) for r in interactions} == {
            ("I-TEST1", "product_view", 1),
            ("I-TEST1", "purchase", 1),
        }
        counts = await _counts(store)
        assert counts["SEEN_WITH"] == 1  # the login and the cookie of e-1

        again = await client.post("/v1/events", json=events[:2])
        assert again.status_code == 200
        assert [i["status"] for i in again.json()["items"]] == ["duplicate", "duplicate"]
        assert again.json()["duplicates"] == 2
        assert await _counts(store) == counts

        letters = real_app.state.ingestor.dead_letters.entries(kind="event")
        assert [d.origin for d in letters] == [
            "http:/v1/events[2]",
            "http:/v1/events[3]",
            "http:/v1/events[4]",
        ]
        assert json.loads(letters[0].payload)["type"] == "teleport"


async def test_records_through_the_real_pipeline_are_upserted(real_app: FastAPI) -> None:
    records = [
        _record("CRM-1", login_id="u-000000ada"),
        _record("CRM-2", email="", first_name="Grace", updated_at="2026-03-02T00:00:00Z"),
        {"source": "crm", "updated_at": T0},  # no source_id
        _record("CRM-3", updated_at="yesterday"),
    ]
    async with serving(real_app, INGEST_KEY) as client:
        store: GraphStore = real_app.state.store
        response = await client.post("/v1/records", json={"items": records})
        assert response.status_code == 200, response.text
        body = response.json()
        assert [(i["status"], i["id"]) for i in body["items"]] == [
            ("accepted", "crm:CRM-1"),
            ("accepted", "crm:CRM-2"),
            ("rejected", None),
            ("rejected", None),
        ]
        assert [i["field"] for i in body["items"][2:]] == ["source_id", "updated_at"]
        counts = await _counts(store)
        assert counts["Record"] == 2
        [row] = await store.read("records/get_records", {"keys": ["crm:CRM-1"]})
        assert "login:u-000000ada" in row["identifier_keys"]
        assert not any("Ada@Example.com".lower() in k for k in row["identifier_keys"])

        again = await client.post("/v1/records", json=records[:2])
        assert [i["status"] for i in again.json()["items"]] == ["duplicate", "duplicate"]
        assert await _counts(store) == counts

        letters = real_app.state.ingestor.dead_letters.entries(kind="record")
        assert [d.origin for d in letters] == ["http:/v1/records[2]", "http:/v1/records[3]"]
        assert [d.field for d in letters] == ["source_id", "updated_at"]


async def test_the_lifespan_closes_what_it_opened(real_app: FastAPI) -> None:
    async with serving(real_app, INGEST_KEY) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["backend"] == "falkordb"
        pipeline = real_app.state.ingestor
        store: GraphStore = real_app.state.store
        [row] = await store.read(Cypher("RETURN 1 AS one"))
        assert row == {"one": 1}
    with pytest.raises(Exception, match="closed"):
        pipeline.dead_letters.count()
