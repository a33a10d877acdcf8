"""`submitEvents` / `submitRecords` through the real app, its own pipeline and an embedded store
of its own: items land in the graph, duplicates are counted, bad items are rejected with field
and reason (and dead-lettered) while the good ones of the same batch are stored, the limits
and the role check hold, and the HTTP routes share the very same pipeline."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api.app import create_app
from api.dependencies import DEFAULT_MAX_ITEMS
from customer_graph.settings import Settings
from graph.port import GraphStore
from tests.api.conftest import GraphQL, error_codes, sample, serving
from tests.api.graphql_world import HASH_KEY, KEYS
from tests.api.ingest_messages import T0, event, record

ADMIN = {"X-API-Key": KEYS["admin"]}  # the HTTP routes take the same keys

EVENTS = """mutation($events: [JSON!]!) { submitEvents(events: $events) {
  accepted duplicates rejected suppressed items { index status id field reason } } }"""
RECORDS = """mutation($records: [JSON!]!) { submitRecords(records: $records) {
  accepted duplicates rejected suppressed items { index status id field reason } } }"""


def _event(event_id: str, kind: str = "product_view", **identifiers: str) -> dict[str, Any]:
    return event(event_id, kind, "u-000000gql", "I-GQL1", **identifiers)


_record = record


def _millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


async def _counts(store: GraphStore) -> dict[str, int]:
    nodes = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    rels = {r["type"]: r["count"] for r in await store.read("stats/relationship_counts")}
    return {**nodes, **rels}


def _app(
    data_dir: Path, max_items: int = DEFAULT_MAX_ITEMS, max_body_bytes: int | None = None
) -> FastAPI:
    settings = Settings(
        data_dir=data_dir,
        hash_key=HASH_KEY,
        api_keys={key: role for role, key in KEYS.items()},
    )
    return create_app(settings, max_items=max_items, max_body_bytes=max_body_bytes)


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return _app(tmp_path)


@pytest.fixture
async def gql(app: FastAPI) -> AsyncIterator[GraphQL]:
    async with serving(app) as client:
        yield GraphQL(client)


async def test_events_land_in_the_graph_once_and_bad_ones_are_rejected_naming_the_field(
    app: FastAPI, gql: GraphQL
) -> None:
    events = [
        _event("g-1", user_id="u-000000gql", anonymous_id="c-000000gqlcookie"),
        {**_event("g-2"), "type": "teleport"},
        _event("g-3", "purchase"),
        {k: v for k, v in _event("g-4").items() if k != "occurred_at"},
        {**_event("g-5"), "properties": {"item_id": "I-GQL1", "quantity": "2"}},
    ]
    accepted_before = sample(
        "cg_ingest_messages_total", {"source": "graphql", "status": "accepted"}
    )
    result = (await gql.data(EVENTS, {"events": events}))["submitEvents"]
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (2, 0, 3)
    assert [(i["index"], i["status"], i["id"]) for i in result["items"][::2]] == [
        (0, "ACCEPTED", "g-1"),
        (2, "ACCEPTED", "g-3"),
        (4, "REJECTED", None),
    ]
    rejected = [(i["field"], bool(i["reason"])) for i in result["items"] if i["id"] is None]
    assert rejected == [("type", True), ("occurred_at", True), ("properties.quantity", True)]
    assert (
        sample("cg_ingest_messages_total", {"source": "graphql", "status": "accepted"})
        - accepted_before
        == 2
    )

    store: GraphStore = app.state.store
    interactions = await store.read("interactions/by_identifiers", {"keys": ["login:u-000000gql"]})
    assert {(r["item_id"], r["type"], r["count"]) for r in interactions} == {
        ("I-GQL1", "product_view", 1),
        ("I-GQL1", "purchase", 1),
    }
    counts = await _counts(store)
    assert counts["SEEN_WITH"] == 1  # the login and the cookie of g-1

    again = (await gql.data(EVENTS, {"events": [events[0], events[2]]}))["submitEvents"]
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert [i["status"] for i in again["items"]] == ["DUPLICATE", "DUPLICATE"]
    assert await _counts(store) == counts

    letters = app.state.ingestor.dead_letters.entries(kind="event")
    assert [(d.origin, d.field) for d in letters] == [
        ("graphql:submitEvents[1]", "type"),
        ("graphql:submitEvents[3]", "occurred_at"),
        ("graphql:submitEvents[4]", "properties.quantity"),
    ]


async def test_records_are_upserted_and_an_older_version_is_a_duplicate(
    app: FastAPI, gql: GraphQL
) -> None:
    records = [
        _record("CRM-G1", login_id="u-000000ada"),
        {"source": "crm", "updated_at": T0},  # no source_id
        _record("CRM-G2", first_name="Grace", updated_at="2026-03-02T00:00:00Z"),
        _record("CRM-G3", updated_at="yesterday"),
    ]
    result = (await gql.data(RECORDS, {"records": records}))["submitRecords"]
    assert [(i["status"], i["id"], i["field"]) for i in result["items"]] == [
        ("ACCEPTED", "crm:CRM-G1", None),
        ("REJECTED", None, "source_id"),
        ("ACCEPTED", "crm:CRM-G2", None),
        ("REJECTED", None, "updated_at"),
    ]
    store: GraphStore = app.state.store
    counts = await _counts(store)
    assert counts["Record"] == 2
    [row] = await store.read("records/get_records", {"keys": ["crm:CRM-G1"]})
    assert "login:u-000000ada" in row["identifier_keys"]
    assert not any("ada@example.com" in k for k in row["identifier_keys"])

    [before] = await store.read("records/get_records", {"keys": ["crm:CRM-G2"]})
    older = _record("CRM-G2", first_name="Old", updated_at="2026-01-01T00:00:00Z")
    again = (await gql.data(RECORDS, {"records": [records[0], older]}))["submitRecords"]
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, 0)
    assert await _counts(store) == counts
    [after] = await store.read("records/get_records", {"keys": ["crm:CRM-G2"]})
    assert after["record"] == before["record"]  # the older version changed nothing
    assert after["record"]["updated_at"] == _millis("2026-03-02T00:00:00Z")

    letters = app.state.ingestor.dead_letters.entries(kind="record")
    assert [d.origin for d in letters] == ["graphql:submitRecords[1]", "graphql:submitRecords[3]"]


async def test_the_http_routes_and_the_mutations_share_one_pipeline(
    app: FastAPI, gql: GraphQL
) -> None:
    over_http = await gql.client.post("/v1/events", json=[_event("shared-1")], headers=ADMIN)
    assert over_http.json()["accepted"] == 1
    result = await gql.data(EVENTS, {"events": [_event("shared-1"), _event("shared-2")]})
    assert [i["status"] for i in result["submitEvents"]["items"]] == ["DUPLICATE", "ACCEPTED"]
    back_over_http = await gql.client.post("/v1/events", json=[_event("shared-2")], headers=ADMIN)
    assert back_over_http.json()["items"][0]["status"] == "duplicate"


async def test_items_may_also_be_written_inline_in_the_document(app: FastAPI, gql: GraphQL) -> None:
    document = """mutation { submitEvents(events: [{schema_version: 1, event_id: "inline-1",
      type: "page_view", occurred_at: "2026-03-01T12:00:00Z",
      identifiers: {anonymous_id: "c-000000inline"}, properties: {}, source: "web"}]) {
      accepted items { status field reason } } }"""
    result = (await gql.data(document))["submitEvents"]
    assert result["accepted"] == 1, result


async def test_an_item_that_is_not_an_object_refuses_the_batch_naming_it(
    app: FastAPI, gql: GraphQL
) -> None:
    answer = await gql(EVENTS, {"events": [_event("x-1"), "not an object", 3, _event("x-2")]})
    assert error_codes(answer) == ["BAD_REQUEST"]
    message = answer["errors"][0]["message"]
    assert "events[1], events[2]" in message
    assert "JSON object" in message
    assert "Identifier" not in await _counts(app.state.store)  # nothing was written


async def test_batch_limits_are_the_http_routes_limits(tmp_path: Path) -> None:
    app = _app(tmp_path, max_items=3, max_body_bytes=2000)
    async with serving(app) as client:
        gql = GraphQL(client)
        too_many = await gql(RECORDS, {"records": [_record(f"L-{n}") for n in range(4)]})
        assert error_codes(too_many) == ["BAD_REQUEST"]
        assert "records: 4 items exceed the limit of 3 items" in too_many["errors"][0]["message"]
        http = await client.post(
            "/v1/records", json=[_record(f"L-{n}") for n in range(4)], headers=ADMIN
        )
        assert http.status_code == 413  # the same limit over HTTP

        big = [_record("L-big", address="x" * 2500)]
        too_big = await gql.post(RECORDS, {"records": big})
        assert too_big.status_code == 413  # the whole GraphQL request, before it is read
        assert too_big.json() == {
            "error": f"request body of {len(too_big.request.content)} bytes exceeds the limit "
            "of 2000 bytes",
            "request_id": too_big.headers["x-request-id"],
        }
        assert (await client.post("/v1/records", json=big, headers=ADMIN)).status_code == 413
        assert (await gql.data(RECORDS, {"records": [_record("L-ok")]}))["submitRecords"][
            "accepted"
        ] == 1

        body = json.dumps({"query": RECORDS, "variables": {"records": big}}).encode()

        async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: cut off while read
            for start in range(0, len(body), 500):
                yield body[start : start + 500]

        headers = {"X-API-Key": KEYS["admin"], "Content-Type": "application/json"}
        streamed = await client.post("/graphql", content=chunked(), headers=headers)
        assert streamed.status_code == 413
        assert streamed.json()["error"] == "request body exceeds the limit of 2000 bytes"
        assert (await _counts(app.state.store))["Record"] == 1  # only L-ok


async def test_roles_frontend_submits_events_not_records(app: FastAPI, gql: GraphQL) -> None:
    events = await gql.data(EVENTS, {"events": [_event("f-1")]}, role="frontend")
    assert events["submitEvents"]["accepted"] == 1
    for role in ("frontend", "steward", "ml"):
        refused = await gql(RECORDS, {"records": [_record(f"R-{role}")]}, role=role)
        assert error_codes(refused) == ["FORBIDDEN"]
    assert "Record" not in await _counts(app.state.store)
    anonymous = await gql(EVENTS, {"events": [_event("f-2")]}, role=None)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_events_without_properties_are_judged_by_their_type(
    app: FastAPI, gql: GraphQL
) -> None:
    # Found by the fuzz tests: a missing `properties` object was a KeyError (a 500, and a
    # message that would stop a Kafka consumer), not a rejection naming the field.
    bare = {k: v for k, v in _event("np-0").items() if k != "properties"}
    events = [{**bare, "event_id": f"np-{kind}", "type": kind} for kind in
              ("product_view", "search", "consent", "page_view")]  # fmt: skip
    result = (await gql.data(EVENTS, {"events": events}))["submitEvents"]
    assert [(i["status"], i["field"]) for i in result["items"]] == [
        ("REJECTED", "properties.item_id"),
        ("REJECTED", "properties.query"),
        ("REJECTED", "properties.purpose"),
        ("ACCEPTED", None),
    ]
    over_http = await gql.client.post(
        "/v1/events", json=[{**events[0], "event_id": "np-http"}], headers=ADMIN
    )
    assert over_http.status_code == 200
    assert over_http.json()["items"][0]["field"] == "properties.item_id"
