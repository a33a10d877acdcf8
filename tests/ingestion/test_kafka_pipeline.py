"""Kafka → the real ingestion pipeline → the embedded graph, on a real broker (Tansu)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from customer_graph.runtime import ingestion
from graph.errors import GraphUnavailableError
from ingestion.kafka_consumer import ConsumeStats, KafkaIngestConfig, KafkaIngestor
from ingestion.kafka_producer import produce_messages
from ingestion.pipeline import PreparedEvents
from ingestion.results import RawMessage
from tests.ingestion.kafka_fixtures import (  # noqa: F401 - the *_fixture names are fixtures
    Topics,
    World,
    broker_fixture,
    consume_until,
    counter,
    ingest_directly,
    make_config,
    per_partition,
    settings_for,
    snapshot,
    topics_fixture,
)
from tests.servers.tansu import TansuBroker


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """100 people over 30 days (~450 events, ~200 records)."""
    return World(tmp_path_factory.mktemp("world-small"), people=100, days=30)


@pytest.fixture(scope="module")
def small_expected(small_world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The graph the small world gives through the pipeline directly."""
    return asyncio.run(ingest_directly(tmp_path_factory.mktemp("expected-small"), small_world))


async def consume_all(pipeline: Any, config: KafkaIngestConfig, messages: int) -> ConsumeStats:
    """Consume until *messages* more messages went through, then stop gracefully."""
    consumer = KafkaIngestor(config, pipeline)
    return await consume_until(consumer, lambda: consumer.stats.messages >= messages, within=90)


async def test_demo_world_through_kafka_gives_the_expected_graph_even_sent_twice(
    broker: TansuBroker,
    topics: Topics,
    small_world: World,
    small_expected: dict[str, Any],
    tmp_path: Path,
) -> None:
    """Events and records via Kafka = direct ingest; sending everything again changes nothing."""
    world = small_world
    total = len(world.events) + len(world.records)
    config = make_config(broker, topics, batch_size=100)
    for _ in range(2):
        produce_messages(broker.bootstrap, topics.events, world.events)
        produce_messages(broker.bootstrap, topics.records, world.records)

    async with ingestion(settings_for(tmp_path)) as pipeline:
        stats = await consume_all(pipeline, config, 2 * total)
        graph = await snapshot(pipeline.store)
        logged = pipeline.log.count()

    assert stats.messages == 2 * total
    # Not accepted == total exactly: the pipeline marks BOTH copies of an event DUPLICATE when
    # they arrive in one batch (reported); the graph and the log below are what count.
    assert stats.accepted + stats.duplicates == 2 * total
    assert stats.rejected == 0
    assert graph == small_expected
    assert logged == len(world.events)
    assert graph["nodes"]["Record"] == world.manifest.counts["records"]
    assert sum(row[3] for row in graph["interactions"]) == world.item_events
    assert broker.committed(config.group_id, topics.events) == per_partition(broker, topics.events)


def malformed_events() -> dict[str, tuple[bytes, str]]:
    """Bad events by name: (payload, the field the rejection must name)."""
    good = {
        "event_id": "e-bad",
        "type": "page_view",
        "occurred_at": "2026-01-01T00:00:00Z",
        "identifiers": {"anonymous_id": "c-1"},
    }

    def variant(**changes: Any) -> bytes:
        event = {**good, **changes}
        return json.dumps({k: v for k, v in event.items() if v is not None}).encode()

    return {
        "bad json": (b'{"event_id": "e-1", "type": ', "payload"),
        "not an object": (b"[1, 2, 3]", "payload"),
        "empty": (b"", "payload"),
        "missing occurred_at": (variant(event_id="e-m1", occurred_at=None), "occurred_at"),
        "missing identifiers": (variant(event_id="e-m2", identifiers=None), "identifiers"),
        "no identifier values": (variant(event_id="e-m3", identifiers={"user_id": " "}), ""),
        "event_id a number": (variant(event_id=12345), "event_id"),
        "time not a time": (variant(event_id="e-t1", occurred_at="yesterday"), "occurred_at"),
        "price a string": (
            variant(event_id="e-t2", type="purchase", properties={"item_id": "i", "price": "x"}),
            "properties.price",
        ),
        "unknown event type": (variant(event_id="e-u1", type="teleport"), "type"),
        "oversized": (variant(event_id="e-o1", properties={"page": "x" * 70_000}), "payload"),
    }


def malformed_records() -> dict[str, tuple[bytes, str]]:
    """Bad records by name: (payload, the field the rejection must name)."""
    good = {"source": "crm", "source_id": "CRM-X", "updated_at": "2026-01-01T00:00:00Z"}
    return {
        "record missing source_id": (json.dumps({**good, "source_id": None}).encode(), ""),
        "record bad updated_at": (json.dumps({**good, "updated_at": "soon"}).encode(), ""),
        "record unknown field": (json.dumps({**good, "shoe_size": 9}).encode(), "shoe_size"),
        "record bad json": (b"source,source_id\ncrm,1", "payload"),
    }


async def test_malformed_messages_are_dead_lettered_and_good_ones_ingested(
    broker: TansuBroker, topics: Topics, small_world: World, tmp_path: Path
) -> None:
    """Every bad message is in the dead-letter store and topic with a reason; the rest is in."""
    bad_events, bad_records = malformed_events(), malformed_records()
    good_events, good_records = small_world.events[:20], small_world.records[:5]
    events = good_events[:10] + [(b"bad", v) for v, _ in bad_events.values()] + good_events[10:]
    records = [(b"bad", v) for v, _ in bad_records.values()] + good_records
    produce_messages(broker.bootstrap, topics.events, events)
    produce_messages(broker.bootstrap, topics.records, records)
    config = make_config(broker, topics)

    async with ingestion(settings_for(tmp_path)) as pipeline:
        stats = await consume_all(pipeline, config, len(events) + len(records))
        letters = pipeline.dead_letters.entries(limit=1000)
        graph = await snapshot(pipeline.store)

    expected = {v: (name, f) for name, (v, f) in {**bad_events, **bad_records}.items()}
    assert stats.accepted == len(good_events) + len(good_records)
    assert stats.rejected == stats.dead_lettered == len(expected)
    assert graph["nodes"]["Record"] == len(good_records)
    assert sorted(letter.payload for letter in letters) == sorted(expected)
    for letter in letters:
        name, field = expected[letter.payload]
        assert letter.origin.startswith(("kafka:" + topics.events, "kafka:" + topics.records))
        assert letter.reason, name
        assert field in letter.field, (name, letter.field, letter.reason)
    oversized = next(x for x in letters if x.payload == bad_events["oversized"][0])
    assert "limit" in oversized.reason

    on_topic = broker.read_all(topics.dead)
    assert sorted(r.value for r in on_topic) == sorted(expected)
    stored = {x.origin: (x.field, x.reason) for x in letters}
    for record in on_topic:
        headers = {k: v.decode() for k, v in record.headers}
        assert stored[headers["cg-origin"]] == (headers["cg-field"], headers["cg-reason"])


async def test_a_failed_graph_write_rewinds_the_overlapping_batches(
    broker: TansuBroker,
    topics: Topics,
    small_world: World,
    small_expected: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batch n's graph write fails while n+1 is already staged: both come again, and the
    graph, the log and the commits end exactly as if nothing had failed."""
    world = small_world
    total = len(world.events) + len(world.records)
    produce_messages(broker.bootstrap, topics.records, world.records)
    produce_messages(broker.bootstrap, topics.events, world.events)
    config = make_config(broker, topics, batch_size=60)
    failures = counter("cg_kafka_batch_failures_total", error="GraphUnavailableError")

    async with ingestion(settings_for(tmp_path)) as pipeline:
        real_stage, real_apply = pipeline.stage_events, pipeline.apply_events
        staged: list[int] = []
        applies = 0

        async def stage(messages: Sequence[RawMessage], record: bool = True) -> PreparedEvents:
            staged.append(len(messages))
            return await real_stage(messages, record)

        async def apply_failing_once(prepared: PreparedEvents) -> None:
            nonlocal applies
            applies += 1
            if applies == 2:
                raise GraphUnavailableError("the graph went away (simulated)")
            await real_apply(prepared)

        monkeypatch.setattr(pipeline, "stage_events", stage)
        monkeypatch.setattr(pipeline, "apply_events", apply_failing_once)
        stats = await consume_all(pipeline, config, total)
        graph = await snapshot(pipeline.store)
        logged = pipeline.log.count()

    assert counter("cg_kafka_batch_failures_total", error="GraphUnavailableError") == failures + 1
    assert sum(staged) > len(world.events), "the failed batches were not delivered again"
    assert graph == small_expected
    assert logged == len(world.events)
    assert broker.committed(config.group_id, topics.events) == per_partition(broker, topics.events)
    assert broker.committed(config.group_id, topics.records) == per_partition(
        broker, topics.records
    )
    assert stats.messages == total
