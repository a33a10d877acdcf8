"""Events through the real pipeline: validation, dead letters, idempotency, crash recovery."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graph.queries import Cypher
from ingestion.pipeline import IngestPipeline
from ingestion.results import ItemStatus, RawMessage


def event(event_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid purchase event."""
    base: dict[str, Any] = {
        "schema_version": 1,
        "event_id": event_id,
        "type": "purchase",
        "occurred_at": "2026-03-01T12:00:00.000Z",
        "identifiers": {"anonymous_id": "c-1", "user_id": "u-1"},
        "properties": {"item_id": "I-1", "price": 2.5, "quantity": 1},
    }
    return {**base, **overrides}


def raw(*events: dict[str, Any] | bytes) -> list[RawMessage]:
    """Messages as a broker would deliver them (JSON bytes)."""
    return [
        RawMessage(e if isinstance(e, bytes) else json.dumps(e).encode(), f"test:{n}")
        for n, e in enumerate(events)
    ]


async def interaction_total(pipeline: IngestPipeline) -> int:
    rows = await pipeline.store.read(Cypher("MATCH ()-[x:INTERACTED]->() RETURN sum(x.count) AS n"))
    return int(rows[0]["n"] or 0)


async def test_accepts_aggregates_and_links_identifiers(pipeline: IngestPipeline) -> None:
    result = await pipeline.ingest_events(raw(event("e1"), event("e2", type="add_to_cart")))
    assert [i.status for i in result.items] == [ItemStatus.ACCEPTED] * 2
    rows = await pipeline.store.read("interactions/by_identifiers", {"keys": ["login:u-1"]})
    assert {(r["type"], r["count"], r["weight"]) for r in rows} == {
        ("purchase", 1, 5.0),
        ("add_to_cart", 1, 3.0),
    }
    seen = await pipeline.store.read(Cypher("MATCH (a)-[s:SEEN_WITH]->(b) RETURN s.count AS c"))
    assert seen == [{"c": 2}], "cookie and login were seen together twice"


async def test_every_event_twice_changes_nothing(pipeline: IngestPipeline) -> None:
    batch = raw(*(event(f"e{n}", properties={"item_id": f"I-{n % 3}"}) for n in range(20)))
    first = await pipeline.ingest_events(batch)
    total = await interaction_total(pipeline)
    second = await pipeline.ingest_events(batch)
    assert (first.accepted, second.duplicates, second.accepted) == (20, 20, 0)
    assert await interaction_total(pipeline) == total == 20
    assert pipeline.log.duplicates_seen() == 20


async def test_duplicate_inside_one_batch(pipeline: IngestPipeline) -> None:
    result = await pipeline.ingest_events(raw(event("same"), event("same")))
    assert [i.status for i in result.items] == [ItemStatus.ACCEPTED, ItemStatus.DUPLICATE]
    assert await interaction_total(pipeline) == 1


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        (b"{not json", "payload", "not valid JSON"),
        (b"[1, 2]", "payload", "object"),
        (json.dumps({"event_id": "x"}).encode(), "type", "Field required"),
        (json.dumps(event("x", type="teleport")).encode(), "type", "Input should be"),
        (json.dumps(event("x", occurred_at="yesterday")).encode(), "occurred_at", "datetime"),
        (
            json.dumps(event("x", occurred_at="2026-03-01T12:00:00")).encode(),
            "occurred_at",
            "timezone",
        ),
        (
            json.dumps(event("x", properties={"item_id": "I", "quantity": "2"})).encode(),
            "properties.quantity",
            "valid integer",
        ),
        (
            json.dumps(event("x", properties={"item_id": "I", "price": -1})).encode(),
            "properties.price",
            "greater than or equal",
        ),
        (json.dumps(event("x", properties={})).encode(), "properties.item_id", "required"),
        (json.dumps(event("x", identifiers={})).encode(), "identifiers", "at least one"),
        (
            json.dumps(event("x", identifiers={"email": "null"})).encode(),
            "identifiers",
            "no usable identifier",
        ),
        (json.dumps(event("x", extra_field=1)).encode(), "extra_field", "not permitted"),
        (json.dumps(event("bad id with spaces")).encode(), "event_id", "pattern"),
        (
            json.dumps(event("x", properties={"item_id": "I", "blob": "x" * 70_000})).encode(),
            "payload",
            "larger than",
        ),
    ],
)
async def test_malformed_events_go_to_dead_letters_with_reasons(
    pipeline: IngestPipeline, payload: bytes, field: str, reason: str
) -> None:
    result = await pipeline.ingest_events(raw(event("good-1"), payload, event("good-2")))
    statuses = [i.status for i in result.items]
    assert statuses == [ItemStatus.ACCEPTED, ItemStatus.REJECTED, ItemStatus.ACCEPTED]
    bad = result.items[1]
    assert bad.field == field
    assert reason in (bad.reason or "")
    [letter] = pipeline.dead_letters.entries()
    assert (letter.kind, letter.origin, letter.field) == ("event", "test:1", field)
    assert letter.payload == payload, "the raw payload is kept for inspection and replay"
    assert await interaction_total(pipeline) == 2


async def test_no_plaintext_email_or_phone_in_log_or_graph(pipeline: IngestPipeline) -> None:
    ids = {"anonymous_id": "c-9", "email": "Ann.Lee@Example.com", "phone": "07700 900123"}
    await pipeline.ingest_events(raw(event("e-pii", identifiers=ids)))
    logged = pipeline.log.since(0, 10)[0].to_json()
    values = await pipeline.store.read(Cypher("MATCH (i:Identifier) RETURN i.value AS v"))
    everything = logged + json.dumps(values)
    for secret in ("ann.lee", "Ann.Lee", "900123", "7700"):
        assert secret not in everything


async def test_crash_between_log_and_graph_is_repaired(pipeline: IngestPipeline) -> None:
    # Simulate a process that logged a batch and died before the graph write.
    prepared = pipeline.prepare_events(raw(*(event(f"c{n}") for n in range(5))))
    assert prepared.result.accepted == 5
    assert await interaction_total(pipeline) == 0
    # The next batch (or `recover()` at start-up) applies the left-over events first.
    await pipeline.ingest_events(raw(event("after")))
    assert await interaction_total(pipeline) == 6
    assert await pipeline.recover() == 0, "nothing is applied twice"
    cursor = await pipeline.store.read("ingest/get_cursor", {"id": pipeline.log.log_id})
    assert cursor == [{"seq": pipeline.log.last_seq()}]


async def test_recover_applies_everything_logged(pipeline: IngestPipeline) -> None:
    pipeline.prepare_events(raw(*(event(f"r{n}") for n in range(7))))
    assert await pipeline.recover() == 7
    assert await interaction_total(pipeline) == 7
    assert await pipeline.recover() == 0


async def test_unknown_item_is_kept_not_dropped(pipeline: IngestPipeline) -> None:
    await pipeline.ingest_events(raw(event("n1", properties={"item_id": "NEW-ITEM"})))
    items = await pipeline.store.read("items/get_items", {"ids": ["NEW-ITEM"]})
    assert [i["id"] for i in items] == ["NEW-ITEM"]


async def test_nul_and_lone_surrogates_are_rejected_not_fatal(pipeline: IngestPipeline) -> None:
    nul = json.dumps(event("n1", identifiers={"user_id": "u\u0000x"})).encode()
    surrogate = RawMessage(event("s1", identifiers={"user_id": "u\ud800"}), "http:[2]")
    messages = [*raw(event("ok1"), nul), surrogate, *raw(event("ok2"))]
    result = await pipeline.ingest_events(messages)
    assert [i.status for i in result.items] == [
        ItemStatus.ACCEPTED,
        ItemStatus.REJECTED,
        ItemStatus.REJECTED,
        ItemStatus.ACCEPTED,
    ]
    assert result.items[1].field == "identifiers.user_id"
    assert pipeline.dead_letters.count() == 2
    assert await interaction_total(pipeline) == 2
    assert await pipeline.recover() == 0
