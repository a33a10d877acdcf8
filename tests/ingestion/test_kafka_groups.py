"""Consumer groups: refused commits, a real rebalance, SIGTERM — on a real broker (Tansu)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from types import FrameType
from typing import Any

import pytest
from kafka.errors import RebalanceInProgressError

from ingestion.kafka_consumer import (
    KafkaIngestor,
    run_until_signalled,
)
from ingestion.kafka_producer import produce_messages
from ingestion.results import RawMessage
from tests.ingestion.kafka_fixtures import (  # noqa: F401 - the *_fixture names are fixtures
    FakeIngestor,
    Topics,
    broker_fixture,
    consume_until,
    keyed,
    make_config,
    per_partition,
    topics_fixture,
)
from tests.servers.tansu import TansuBroker


async def test_a_refused_commit_is_logged_and_retried_with_the_next_one(
    broker: TansuBroker, topics: Topics, caplog: pytest.LogCaptureFixture
) -> None:
    """RebalanceInProgressError on commit does not stop the consumer; a later commit covers it."""
    produce_messages(broker.bootstrap, topics.events, keyed(20))
    config = make_config(broker, topics, batch_size=5)
    fake = FakeIngestor()

    class FlakyCommit(KafkaIngestor):
        """Refuses the first commit as a broker in the middle of a rebalance would."""

        refused = False

        def _commit(self, batch: list[Any]) -> None:
            real = self._consumer.commit
            if batch and not self.refused:
                self.refused = True

                def refuse(*args: Any, **kwargs: Any) -> None:
                    raise RebalanceInProgressError("simulated")

                self._consumer.commit = refuse
            try:
                super()._commit(batch)
            finally:
                self._consumer.commit = real

    consumer = FlakyCommit(config, fake)
    stats = await consume_until(consumer, lambda: len(fake.origins()) >= 20)

    assert stats.commit_failures == 1
    assert stats.batches >= 4
    assert "commit failed" in caplog.text
    assert broker.committed(config.group_id, topics.events) == per_partition(broker, topics.events)


async def test_sigterm_finishes_the_batch_commits_and_restores_handlers(
    broker: TansuBroker, topics: Topics
) -> None:
    """The entry point stops on SIGTERM after the current batch, and commits it."""
    produce_messages(broker.bootstrap, topics.events, keyed(25))
    config = make_config(broker, topics)
    received: list[int] = []

    def fallback(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, fallback)
    try:

        async def terminate(kind: str, messages: Sequence[RawMessage]) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.3)  # the signal arrives while this batch is in progress

        fake = FakeIngestor(hook=terminate)
        stats = await asyncio.wait_for(run_until_signalled(config, fake), 60)
        assert received == [], "SIGTERM reached the previous handler instead of the consumer"
        assert signal.getsignal(signal.SIGTERM) is fallback, "handler not restored"
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stats.batches == len(fake.calls) == 1
    committed = broker.committed(config.group_id, topics.events)
    assert sum(committed.values()) == stats.messages == len(fake.origins())


async def test_a_second_consumer_joining_splits_the_partitions(
    broker: TansuBroker, topics: Topics
) -> None:
    """A real rebalance mid-stream: nothing is lost, and the final commits cover everything."""
    produce_messages(broker.bootstrap, topics.events, keyed(200))
    config = make_config(broker, topics, batch_size=10, session_timeout_ms=3000)

    started = asyncio.Event()

    async def slow(kind: str, messages: Sequence[RawMessage]) -> None:
        if len(first.calls) >= 2:
            started.set()
        await asyncio.sleep(0.2)

    first, second = FakeIngestor(hook=slow), FakeIngestor(hook=slow)

    def everything() -> bool:
        return len(set(first.origins()) | set(second.origins())) >= 200

    a, b = KafkaIngestor(config, first), KafkaIngestor(config, second)
    task_a = asyncio.create_task(consume_until(a, everything, within=60))
    await asyncio.wait_for(started.wait(), 30)  # the first consumer is mid-stream
    stats_b = await consume_until(b, everything, within=60)
    stats_a = await task_a

    assert stats_a.messages > 0
    assert stats_b.messages > 0, "the second consumer never got a partition"
    assert broker.committed(config.group_id, topics.events) == per_partition(broker, topics.events)
