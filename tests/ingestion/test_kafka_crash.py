"""kill -9 of `customer-graph ingest kafka` mid-stream, then a restart: every event exactly once."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from customer_graph.runtime import ingestion
from ingestion.kafka_consumer import KafkaIngestConfig
from ingestion.kafka_producer import produce_messages
from tests.ingestion.kafka_fixtures import (  # noqa: F401 - the *_fixture names are fixtures
    Topics,
    World,
    broker_fixture,
    ingest_directly,
    make_config,
    per_partition,
    settings_for,
    snapshot,
    topics_fixture,
)
from tests.servers.tansu import TansuBroker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def crash_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """400 people over 60 days (~4,400 events, ~760 records)."""
    return World(tmp_path_factory.mktemp("world-crash"), people=400, days=60)


def start_consumer(config: KafkaIngestConfig, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """`customer-graph ingest kafka` as its own process, with the real pipeline on *data_dir*."""
    args = [
        sys.executable,
        "-m",
        "customer_graph",
        "ingest",
        "kafka",
        "--bootstrap",
        config.bootstrap_servers,
        "--group-id",
        config.group_id,
        "--events-topics",
        ",".join(config.events_topics),
        "--records-topics",
        ",".join(config.records_topics),
    ]
    env = {
        **os.environ,
        "CG_DATA_DIR": str(data_dir),
        "CG_GRAPH_URL": "falkordb-embedded://",
        "CG_KAFKA_DEAD_LETTER_TOPIC": str(config.dead_letter_topic),
        "CG_INGEST_BATCH_SIZE": str(config.batch_size),
        "CG_LOG_LEVEL": "INFO",
        # Not read yet (proposed setting): a killed member holds up the restarted consumer's
        # group join for a whole session timeout, 6 s by default.
        "CG_KAFKA_SESSION_TIMEOUT_MS": "2000",
    }
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(
    condition: Callable[[], bool],
    within: float,
    what: str,
    proc: subprocess.Popen[bytes],
    log: Path,
) -> None:
    """Poll *condition()* until true; fail with the consumer's log if it dies or time runs out."""
    deadline = time.monotonic() + within
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:]
            pytest.fail(f"{what}: not reached (exit code {proc.poll()})\n{tail}")
        time.sleep(0.02)


def test_kill_9_mid_stream_then_restart_applies_every_event_exactly_once(
    broker: TansuBroker, topics: Topics, crash_world: World, tmp_path: Path
) -> None:
    """SIGKILL the consumer mid-stream, start it again: the graph is as if nothing happened."""
    world = crash_world
    expected = asyncio.run(ingest_directly(tmp_path / "expected", world))
    produce_messages(broker.bootstrap, topics.records, world.records)
    produce_messages(broker.bootstrap, topics.events, world.events)
    ends = {
        topics.events: per_partition(broker, topics.events),
        topics.records: per_partition(broker, topics.records),
    }
    config = make_config(broker, topics, batch_size=50)
    data, log = tmp_path / "data", tmp_path / "consumer.log"

    with broker.admin() as admin:

        def committed(topic: str) -> dict[int, int]:
            found = admin.list_group_offsets({config.group_id: None}).get(config.group_id, {})
            return {tp.partition: o.offset for tp, o in found.items() if tp.topic == topic}

        # Killed twice, at different points of a batch (polling, logging, applying, committing).
        at_kill: dict[int, int] = {}
        for threshold, pause in ((1000, 0.0), (2500, 0.03)):
            doomed = start_consumer(config, data, log)
            try:
                reached = functools.partial(
                    lambda n: sum(committed(topics.events).values()) >= n, threshold
                )
                wait_for(reached, 90, f"{threshold} events committed", doomed, log)
                time.sleep(pause)
            finally:
                doomed.kill()
                doomed.wait()
            at_kill = committed(topics.events)
            assert threshold <= sum(at_kill.values()) < len(world.events), "not mid-stream"

        last = start_consumer(config, data, log)
        try:

            def complete() -> bool:
                return all(committed(t) == ends[t] for t in ends)

            wait_for(complete, 120, "the whole stream committed", last, log)
            last.send_signal(signal.SIGTERM)
            assert last.wait(timeout=60) == 0, log.read_text(errors="replace")[-4000:]
        finally:
            if last.poll() is None:
                last.kill()
                last.wait()

    async def inspect() -> tuple[dict[str, Any], set[str]]:
        async with ingestion(settings_for(data)) as pipeline:
            ids = {e.event_id for e in pipeline.log.since(0, 10 * len(world.events))}
            return await snapshot(pipeline.store), ids

    graph, logged = asyncio.run(inspect())
    before_kill = {
        json.loads(r.value)["event_id"]
        for r in broker.read_all(topics.events)
        if r.offset < at_kill.get(r.partition, 0)
    }
    assert before_kill <= logged
    assert len(logged) == len(world.events)
    assert graph == expected, "an event was lost or applied twice"
