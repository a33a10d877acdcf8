"""Read the batch file formats (records CSV, items CSV, events JSONL) into domain objects.

Each reader keeps going past a bad row and reports it as a Rejection naming the file, the
line, the field and the reason, so one bad row loses nothing else.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graph.model import Identifier, IdentifierType, Item, Record, to_millis
from ingestion.pseudonymise import Pseudonymiser

RECORD_ATTRS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "postcode",
    "city",
    "country",
)
EVENT_IDENTIFIERS = {
    "user_id": IdentifierType.LOGIN,
    "device_id": IdentifierType.DEVICE,
    "anonymous_id": IdentifierType.COOKIE,
    "email": IdentifierType.EMAIL,
    "phone": IdentifierType.PHONE,
}


@dataclass(frozen=True)
class Rejection:
    """A row that was not loaded, and why."""

    file: str
    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class SourceRecord:
    """A record and the identifiers it holds."""

    record: Record
    identifiers: tuple[Identifier, ...]


@dataclass(frozen=True)
class ParsedEvent:
    """The parts of an event the bulk loader uses."""

    event_id: str
    type: str
    occurred_at: int
    identifiers: tuple[Identifier, ...]
    item_id: str | None
    source: str = "events.jsonl"
    line: int = 0


def _rejection(path: Path, line: int, error: Exception) -> Rejection:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "?"
        return Rejection(path.name, line, field, first["msg"])
    if isinstance(error, KeyError):
        return Rejection(path.name, line, str(error.args[0]), "missing field")
    return Rejection(path.name, line, "?", str(error))


def _millis(text: str, field: str) -> int:
    try:
        return to_millis(datetime.fromisoformat(text))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field}: not an ISO-8601 time: {text!r}") from error


def read_items(path: Path) -> tuple[list[Item], list[Rejection]]:
    """Items from `items.csv`."""
    items: list[Item] = []
    rejected: list[Rejection] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                items.append(
                    Item(
                        id=row["item_id"],
                        title=row["title"],
                        category=row["category"],
                        brand=row.get("brand") or "",
                        price=float(row["price"]),
                        currency=row.get("currency") or "GBP",
                        description=row.get("description") or "",
                        in_stock=(row.get("in_stock") or "true").strip().lower() == "true",
                    )
                )
            except (ValidationError, KeyError, ValueError) as error:
                rejected.append(_rejection(path, line, error))
    return items, rejected


def _record_identifiers(row: dict[str, str], pseudo: Pseudonymiser) -> tuple[Identifier, ...]:
    raw: list[tuple[IdentifierType, str | None]] = [
        (IdentifierType.EMAIL, row.get("email")),
        (IdentifierType.PHONE, row.get("phone")),
        (IdentifierType.LOGIN, row.get("login_id")),
    ]
    raw += [(IdentifierType.DEVICE, v) for v in (row.get("device_ids") or "").split(";")]
    raw += [(IdentifierType.COOKIE, v) for v in (row.get("cookie_ids") or "").split(";")]
    found = (pseudo.identifier(kind, value) for kind, value in raw)
    return tuple(dict.fromkeys(i for i in found if i is not None))


def read_records(
    path: Path, pseudo: Pseudonymiser, ingested_at: int
) -> tuple[list[SourceRecord], list[Rejection]]:
    """Source records from `records.csv`; emails and phones only as keyed hashes."""
    records: list[SourceRecord] = []
    rejected: list[Rejection] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                attrs = {name: (row.get(name) or "").strip() or None for name in RECORD_ATTRS}
                record = Record(
                    source=row["source"],
                    source_id=row["source_id"],
                    attrs={k: v for k, v in attrs.items() if v is not None},
                    updated_at=_millis(row["updated_at"], "updated_at"),
                    ingested_at=ingested_at,
                )
                records.append(SourceRecord(record, _record_identifiers(row, pseudo)))
            except (ValidationError, KeyError, ValueError) as error:
                rejected.append(_rejection(path, line, error))
    return records, rejected


def _parse_event(
    data: dict[str, Any], pseudo: Pseudonymiser, source: str, line: int
) -> ParsedEvent:
    ids = data["identifiers"]
    if not isinstance(ids, dict):
        raise ValueError("identifiers: must be an object")
    found = (pseudo.identifier(kind, ids.get(name)) for name, kind in EVENT_IDENTIFIERS.items())
    props = data.get("properties") or {}
    item_id = props.get("item_id") if isinstance(props, dict) else None
    return ParsedEvent(
        event_id=str(data["event_id"]),
        type=str(data["type"]),
        occurred_at=_millis(data["occurred_at"], "occurred_at"),
        identifiers=tuple(i for i in found if i is not None),
        item_id=str(item_id) if item_id else None,
        source=source,
        line=line,
    )


def read_events(path: Path, pseudo: Pseudonymiser) -> Iterator[ParsedEvent | Rejection]:
    """Events from a JSON Lines file, one per line; bad lines come back as Rejections."""
    with path.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
                if not isinstance(data, dict):
                    raise ValueError("event: must be a JSON object")
                yield _parse_event(data, pseudo, path.name, line)
            except (json.JSONDecodeError, KeyError, ValueError, ValidationError) as error:
                yield _rejection(path, line, error)
