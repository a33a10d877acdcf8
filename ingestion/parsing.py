"""Turn raw messages into validated schema objects, or a rejection naming field and reason."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ingestion.results import RawMessage
from ingestion.schemas import EVENT_V1, EventV1, RecordV1, event_problem, nul_field


@dataclass(frozen=True)
class Rejected:
    """Why a message was not accepted."""

    field: str
    reason: str


def payload_bytes(payload: bytes | str | Mapping[str, Any]) -> bytes:
    """The message as bytes, as it would be stored in the dead-letter store."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        try:  # bytes that were undecodable come back as they were
            return payload.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # other lone surrogates: kept, as invalid UTF-8
            return payload.encode("utf-8", "surrogatepass")
    try:
        return json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: keep them, escaped, for the dead letter
        return json.dumps(payload, ensure_ascii=True, default=str).encode("ascii")


def explain(error: ValidationError) -> Rejected:
    """The first problem of a validation error, as (dotted field path, reason)."""
    first = error.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"])
    if first["type"] == "json_invalid":
        return Rejected("payload", f"not valid JSON: {first.get('ctx', {}).get('error', message)}")
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
        head, sep, rest = message.partition(": ")
        if not loc and sep and " " not in head:  # model-level checks say "field: reason"
            return Rejected(head, rest)
    return Rejected(loc or "payload", message)


def _checked_bytes(message: RawMessage, limit: int) -> bytes | Rejected:
    """The payload as bytes, or why it cannot be taken (unreadable, or too big)."""
    try:
        raw = payload_bytes(message.payload)
    except (TypeError, ValueError) as error:
        return Rejected("payload", f"cannot be read as JSON: {error}")
    if len(raw) > limit:
        return Rejected("payload", f"{len(raw)} bytes is larger than the {limit}-byte limit")
    return raw


def parse_event(message: RawMessage, limit: int) -> EventV1 | Rejected:
    """Validate an event strictly from its JSON (wrong types are errors, not coerced)."""
    raw = _checked_bytes(message, limit)
    if isinstance(raw, Rejected):
        return raw
    try:
        event = EVENT_V1.validate_json(raw, strict=True)
    except ValidationError as error:
        return explain(error)
    # JSON can only carry a NUL as an escape: events without one need no walk.
    if b"\\u0000" in raw:
        field = nul_field(event)
        if field is not None:
            return Rejected(field, "contains a NUL character")
    problem = event_problem(event)
    return event if problem is None else Rejected(*problem)


def parse_record(message: RawMessage, limit: int) -> RecordV1 | Rejected:
    """Validate a record from JSON, or from a CSV row given as a dict of strings."""
    raw = _checked_bytes(message, limit)
    if isinstance(raw, Rejected):
        return raw
    try:
        if isinstance(message.payload, Mapping):
            return RecordV1.model_validate(dict(message.payload))
        return RecordV1.model_validate_json(raw)
    except ValidationError as error:
        return explain(error)
