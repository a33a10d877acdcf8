"""Producing to Kafka: the dead-letter topic, and files (JSONL/CSV) as keyed messages."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kafka import KafkaProducer
from kafka.errors import MessageSizeTooLargeError

from ingestion.kafka_metrics import DEAD_LETTERS

log = logging.getLogger(__name__)

EVENT_KEY_FIELDS = ("identifiers.anonymous_id", "identifiers.user_id", "identifiers.device_id")
RECORD_KEY_FIELDS = ("source_id",)
_TRUNCATE_TO = 512 * 1024
_SEND_TIMEOUT_S = 30.0
DeadLetterItem = tuple[Any, str, str]  # (ConsumerRecord, field, reason)


class DeadLetterError(RuntimeError):
    """Rejected messages could not be written to the dead-letter topic."""


class DeadLetterProducer:
    """Writes rejected messages, raw, with `cg-origin`/`cg-field`/`cg-reason` headers."""

    def __init__(
        self, bootstrap_servers: str, topic: str, max_message_bytes: int, client_id: str
    ) -> None:
        """Connect a producer that waits for full acknowledgement."""
        self.topic = topic
        self._truncate_to = min(max_message_bytes, _TRUNCATE_TO)
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=f"{client_id}-dead-letters",
            acks="all",
            linger_ms=5,
            max_request_size=max(1024 * 1024, 2 * max_message_bytes + 64 * 1024),
        )

    def send(self, rejected: Sequence[DeadLetterItem]) -> None:
        """Produce every rejected message and flush; raise DeadLetterError if any is lost."""
        pending = [(item, self._send(item, truncate=False)) for item in rejected]
        self._producer.flush(timeout=_SEND_TIMEOUT_S)
        retry: list[DeadLetterItem] = []
        for item, future in pending:
            try:
                if future is None:
                    raise MessageSizeTooLargeError("refused before sending")
                future.get(timeout=_SEND_TIMEOUT_S)
            except MessageSizeTooLargeError:
                retry.append(item)
            except Exception as error:
                raise DeadLetterError(f"dead-letter produce failed: {error}") from error
        if retry:
            futures = [self._send(item, truncate=True) for item in retry]
            self._producer.flush(timeout=_SEND_TIMEOUT_S)
            for future in futures:
                try:
                    assert future is not None
                    future.get(timeout=_SEND_TIMEOUT_S)
                except Exception as error:
                    raise DeadLetterError(f"dead-letter produce failed: {error}") from error
        DEAD_LETTERS.labels(topic=self.topic).inc(len(rejected))

    def _send(self, item: DeadLetterItem, truncate: bool) -> Any:
        """Queue one message; None when the client refuses it as too large."""
        record, field, reason = item
        value: bytes = record.value if record.value is not None else b""
        headers = [(k, v) for k, v in (record.headers or []) if not k.startswith("cg-")]
        headers += [
            ("cg-origin", f"kafka:{record.topic}/{record.partition}/{record.offset}".encode()),
            ("cg-field", field.encode()),
            ("cg-reason", reason.encode()),
        ]
        if truncate:
            headers.append(("cg-truncated", str(len(value)).encode()))
            value = value[: self._truncate_to]
            log.warning("dead letter %s too large: truncated to %d bytes", headers, len(value))
        try:
            return self._producer.send(self.topic, key=record.key, value=value, headers=headers)
        except MessageSizeTooLargeError:
            if truncate:
                raise
            return None

    def close(self) -> None:
        """Flush and close the producer."""
        self._producer.close(timeout=_SEND_TIMEOUT_S)


def _lookup(data: Any, path: str) -> str | None:
    """The non-blank string at a dotted *path* of a JSON object, or None."""
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    if data is None or isinstance(data, dict | list):
        return None
    text = str(data).strip()
    return text or None


def message_key(data: Any, key_fields: Sequence[str]) -> bytes | None:
    """The first non-blank value among *key_fields* (dotted paths), as the message key."""
    for path in key_fields:
        value = _lookup(data, path)
        if value is not None:
            return value.encode()
    return None


def file_messages(
    path: Path, key_field: str | Sequence[str] | None = None
) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) per JSONL line (sent as is, even if malformed) or per CSV row (as JSON)."""
    if key_field is None:
        key_fields: Sequence[str] = (
            RECORD_KEY_FIELDS if path.suffix.lower() == ".csv" else EVENT_KEY_FIELDS
        )
    elif isinstance(key_field, str):
        key_fields = [f.strip() for f in key_field.split(",") if f.strip()]
    else:
        key_fields = key_field
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                yield message_key(row, key_fields), json.dumps(row).encode()
        return
    with path.open("rb") as handle:
        for line in handle:
            value = line.rstrip(b"\r\n")
            if not value.strip():
                continue
            try:
                data = json.loads(value)
            except ValueError:
                data = None
            yield message_key(data, key_fields), value


def produce_messages(
    bootstrap: str, topic: str, messages: Iterable[tuple[bytes | None, bytes]]
) -> int:
    """Produce (key, value) pairs, flush, and return how many were acknowledged."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="customer-graph-producer",
        acks="all",
        linger_ms=20,
        batch_size=256 * 1024,
        max_request_size=8 * 1024 * 1024,
    )
    try:
        futures = [producer.send(topic, key=key, value=value) for key, value in messages]
        producer.flush(timeout=120)
        for future in futures:
            future.get(timeout=_SEND_TIMEOUT_S)
        return len(futures)
    finally:
        producer.close(timeout=_SEND_TIMEOUT_S)


def produce_file(
    bootstrap: str, topic: str, path: str | Path, key_field: str | Sequence[str] | None = None
) -> int:
    """Produce a JSONL (events) or CSV (records) file as keyed messages; return the count."""
    # key_field: dotted paths (a list, or comma-separated); the first non-blank one is the key.
    # Default: the event's anonymous_id, else user_id, else device_id; a record's source_id.
    return produce_messages(bootstrap, topic, file_messages(Path(path), key_field))
