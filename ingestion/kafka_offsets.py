"""Offsets waiting to be committed, per partition, and what a rebalance does to them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.structs import OffsetAndMetadata

Offsets = dict[TopicPartition, OffsetAndMetadata]


class PendingOffsets:
    """The offset after each partition's last ingested record, kept until a commit of it
    succeeds (a refused commit is retried with the next one). Thread-safe: kafka-python
    revokes partitions from its own IO thread."""

    def __init__(self) -> None:
        self._offsets: Offsets = {}
        self._lock = threading.Lock()

    def to_commit(self, records: Iterable[Any], assigned: set[TopicPartition]) -> Offsets:
        """Add the records' offsets; return what to commit for the assigned partitions."""
        with self._lock:
            for record in records:
                tp = TopicPartition(record.topic, record.partition)
                epoch = record.leader_epoch if record.leader_epoch is not None else -1
                held = self._offsets.get(tp)
                if held is None or record.offset + 1 > held.offset:
                    self._offsets[tp] = OffsetAndMetadata(record.offset + 1, "", epoch)
            # A partition lost in a rebalance belongs to its new owner now: never commit it.
            self._offsets = {tp: o for tp, o in self._offsets.items() if tp in assigned}
            return dict(self._offsets)

    def committed(self, offsets: Offsets) -> None:
        """Forget offsets that were committed (unless a later one replaced them meanwhile)."""
        with self._lock:
            for tp, offset in offsets.items():
                if self._offsets.get(tp) == offset:
                    del self._offsets[tp]

    def drop(self, partitions: Iterable[TopicPartition]) -> None:
        """Forget partitions taken away (their new owner resumes from the last commit)."""
        with self._lock:
            for tp in partitions:
                self._offsets.pop(tp, None)


class Revocations(ConsumerRebalanceListener):  # type: ignore[misc]
    """Forgets uncommitted offsets of partitions taken away (runs on kafka-python's IO thread)."""

    def __init__(self, pending: PendingOffsets) -> None:
        """Remember whose pending offsets to trim."""
        self._pending = pending

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """Drop pending offsets of revoked partitions (their new owner resumes from the commit)."""
        self._pending.drop(revoked)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Nothing to do: positions start at the committed offsets."""

    def on_partitions_lost(self, lost: list[TopicPartition]) -> None:
        """Same as revoked."""
        self._pending.drop(lost)
