"""The Kafka consumer against a real Kafka-protocol broker (Tansu), with a fake pipeline."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from ingestion.kafka_consumer import (
    BatchFailedError,
    KafkaIngestConfig,
    KafkaIngestor,
)
from ingestion.kafka_producer import produce_file, produce_messages
from ingestion.results import RawMessage
from tests.ingestion.kafka_fixtures import (  # noqa: F401 - the *_fixture names are fixtures
    FakeIngestor,
    Topics,
    broker_fixture,
    consume_until,
    counter,
    keyed,
    make_config,
    per_partition,
    reject_bad,
    topics_fixture,
)
from tests.servers.tansu import TansuBroker


async def test_routes_by_topic_and_commits_after_the_batch(
    broker: TansuBroker, topics: Topics
) -> None:
    """Events go to ingest_events, records to ingest_records, with kafka: origins."""
    produce_messages(broker.bootstrap, topics.events, keyed(30, "e"))
    produce_messages(broker.bootstrap, topics.records, keyed(10, "r"))
    fake = FakeIngestor()
    config = make_config(broker, topics)
    before = counter("cg_ingest_messages_total", source="kafka", status="accepted")

    stats = await consume_until(KafkaIngestor(config, fake), lambda: len(fake.origins()) >= 40)

    events = [m for k, ms in fake.calls if k == "events" for m in ms]
    records = [m for k, ms in fake.calls if k == "records" for m in ms]
    assert sorted(json.loads(m.payload)["event_id"] for m in events) == sorted(  # type: ignore[arg-type]
        f"e-{i}" for i in range(30)
    )
    assert {json.loads(m.payload)["event_id"][0] for m in records} == {"r"}  # type: ignore[arg-type]
    assert len(records) == 10
    assert all(isinstance(m.payload, bytes) for m in events + records)
    for message in events:
        topic, partition, offset = message.origin.removeprefix("kafka:").split("/")
        assert topic == topics.events
        assert int(partition) in range(3)
        assert int(offset) >= 0
    assert stats.accepted == 40
    assert stats.rejected == 0
    assert stats.commit_failures == 0
    assert broker.committed(config.group_id, topics.events) == per_partition(broker, topics.events)
    assert broker.committed(config.group_id, topics.records) == per_partition(
        broker, topics.records
    )
    after = counter("cg_ingest_messages_total", source="kafka", status="accepted")
    assert after - before == 40


async def test_nothing_is_committed_until_ingest_returns(
    broker: TansuBroker, topics: Topics
) -> None:
    """Ingest raises once: nothing is committed, the batch comes again, then all is committed."""
    produce_messages(broker.bootstrap, topics.events, keyed(50))
    config = make_config(broker, topics)
    committed_during: list[dict[int, int]] = []

    async def look(kind: str, messages: Sequence[RawMessage]) -> None:
        seen = await asyncio.to_thread(broker.committed, config.group_id, topics.events)
        committed_during.append(seen)

    fake = FakeIngestor(fail=1, hook=look)
    failures = counter("cg_kafka_batch_failures_total", error="RuntimeError")
    consumer = KafkaIngestor(config, fake)
    await consume_until(consumer, lambda: len(set(fake.origins())) >= 50 and len(fake.calls) > 1)

    assert committed_during[:2] == [{}, {}], "offsets were committed before ingest returned"
    first_batch = fake.origins()[: len(fake.calls[0][1])]
    assert set(first_batch) <= set(fake.origins()[len(first_batch) :]), "not redelivered"
    assert counter("cg_kafka_batch_failures_total", error="RuntimeError") == failures + 1
    assert consumer.stats.accepted == 50
    assert broker.committed(config.group_id, topics.events) == per_partition(broker, topics.events)


async def test_gives_up_after_max_attempts_and_the_next_consumer_gets_everything(
    broker: TansuBroker, topics: Topics
) -> None:
    """A batch that keeps failing stops the consumer with nothing committed."""
    produce_messages(broker.bootstrap, topics.records, keyed(20))
    config = make_config(broker, topics, max_attempts=2)
    broken = FakeIngestor(fail=100)
    with pytest.raises(BatchFailedError):
        await consume_until(KafkaIngestor(config, broken), lambda: False)
    assert len(broken.calls) == 2
    assert broker.committed(config.group_id, topics.records) == {}

    fixed = FakeIngestor()
    await consume_until(KafkaIngestor(config, fixed), lambda: len(fixed.origins()) >= 20)
    assert sorted(fixed.origins()) == sorted(set(fixed.origins()))
    assert broker.committed(config.group_id, topics.records) == per_partition(
        broker, topics.records
    )


async def test_rejected_messages_go_to_the_dead_letter_topic_with_headers(
    broker: TansuBroker, topics: Topics
) -> None:
    """Every rejected message is on the dead-letter topic, raw, before the commit."""
    bad: list[tuple[bytes | None, bytes]] = [
        (b"k1", b"{not json"),
        (b"k2", b"[1, 2]"),
        (b"k3", b"\xff\xfe binary"),
    ]
    produce_messages(broker.bootstrap, topics.events, keyed(10) + bad)
    produce_messages(broker.bootstrap, topics.records, [(b"tomb", None)])  # type: ignore[list-item]
    fake = FakeIngestor(reject=reject_bad)
    config = make_config(broker, topics)

    stats = await consume_until(KafkaIngestor(config, fake), lambda: len(fake.origins()) >= 14)

    assert stats.rejected == stats.dead_lettered == 4
    tombstone = [m for k, ms in fake.calls if k == "records" for m in ms]
    assert [m.payload for m in tombstone] == [b""], "an empty value reaches the pipeline"
    letters = broker.read_all(topics.dead)
    assert sorted((r.key, r.value) for r in letters) == sorted([*bad, (b"tomb", b"")])
    origins = {m.payload: m.origin for _, ms in fake.calls for m in ms}
    for letter in letters:
        headers = dict(letter.headers)
        assert headers["cg-origin"].decode() == origins[letter.value]
        assert headers["cg-field"] == b"payload"
        assert headers["cg-reason"].decode() in (
            "not valid JSON: «ça ne va pas»",
            "must be an object",
        )
    assert broker.committed(config.group_id, topics.events) == per_partition(broker, topics.events)


async def test_oversized_messages_reach_the_pipeline_and_the_dead_letter_topic(
    broker: TansuBroker, topics: Topics
) -> None:
    """Messages over max_message_bytes are not dropped; huge ones are dead-lettered truncated."""
    big, huge = b"x" * 200_000, b"y" * 1_500_000
    produce_messages(broker.bootstrap, topics.events, [(b"a", big), (b"b", huge)])
    limit = 1024

    def too_big(message: RawMessage) -> tuple[str, str] | None:
        size = len(message.payload)
        return ("payload", f"{size} bytes is over the limit") if size > limit else None

    fake = FakeIngestor(reject=too_big)
    config = make_config(broker, topics, max_message_bytes=limit)
    await consume_until(KafkaIngestor(config, fake), lambda: len(fake.origins()) >= 2)

    assert sorted(len(m.payload) for _, ms in fake.calls for m in ms) == [200_000, 1_500_000]
    letters = {r.key: r for r in broker.read_all(topics.dead)}
    assert letters[b"a"].value == big
    assert "cg-truncated" not in dict(letters[b"a"].headers)
    assert letters[b"b"].value == huge[:limit]
    assert dict(letters[b"b"].headers)["cg-truncated"] == b"1500000"


async def test_lag_gauge_follows_the_position(broker: TansuBroker, topics: Topics) -> None:
    """After a batch the gauge shows what is left; at the end of the stream it is 0."""
    produce_messages(broker.bootstrap, topics.events, [(b"same", b"{}")] * 100)
    config = make_config(broker, topics, batch_size=10)
    fake = FakeIngestor()
    first = KafkaIngestor(config, fake)
    await consume_until(first, lambda: len(fake.calls) >= 1)
    [partition] = per_partition(broker, topics.events)
    labels = {"topic": topics.events, "partition": str(partition)}
    assert REGISTRY.get_sample_value("cg_kafka_consumer_lag", labels) == 100 - len(fake.origins())
    left = 100 - len(fake.origins())
    rest = FakeIngestor()
    await consume_until(KafkaIngestor(config, rest), lambda: len(rest.origins()) >= left)
    assert len(rest.origins()) == left, "the second consumer resumes at the commit"
    assert REGISTRY.get_sample_value("cg_kafka_consumer_lag", labels) == 0


def test_config_validation() -> None:
    """Topics are normalised; impossible configurations are refused."""
    config = KafkaIngestConfig("b:9092", "g", events_topics="a", records_topics=())  # type: ignore[arg-type]
    assert config.events_topics == ("a",)
    assert config.topics == ("a",)
    with pytest.raises(ValueError, match="both"):
        KafkaIngestConfig("b:9092", "g", events_topics=("a",), records_topics=("a",))
    with pytest.raises(ValueError, match="no topics"):
        KafkaIngestConfig("b:9092", "g", events_topics=(), records_topics=())
    with pytest.raises(ValueError, match="dead-letter"):
        KafkaIngestConfig("b:9092", "g", events_topics=("a",), dead_letter_topic="a")


def test_produce_file_keys_events_by_identifier(
    broker: TansuBroker, topics: Topics, tmp_path: Path
) -> None:
    """JSONL lines go as they are, keyed by anonymous_id, else user_id; CSV rows as JSON."""
    events = tmp_path / "events.jsonl"
    lines = [
        json.dumps({"identifiers": {"anonymous_id": "c-1", "user_id": "u-1"}}),
        json.dumps({"identifiers": {"anonymous_id": None, "user_id": "u-2"}}),
        "{broken",
    ]
    events.write_text("\n".join(lines) + "\n\n")
    assert produce_file(broker.bootstrap, topics.events, events) == 3
    got = {r.value.decode(): r.key for r in broker.read_all(topics.events)}
    assert got == {lines[0]: b"c-1", lines[1]: b"u-2", lines[2]: None}

    records = tmp_path / "records.csv"
    records.write_text("source,source_id,email\ncrm,CRM-1,a@b.c\n")
    assert produce_file(broker.bootstrap, topics.records, records) == 1
    [record] = broker.read_all(topics.records)
    assert record.key == b"CRM-1"
    assert json.loads(record.value) == {"source": "crm", "source_id": "CRM-1", "email": "a@b.c"}
