"""Map benchmark dataset rows to the project's record message, `RecordV1`."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from pydantic import ValidationError

from benchmarks.identity_datasets import BenchDataset
from ingestion.results import RawMessage
from ingestion.schemas import RecordV1

DEFAULT_UPDATED_AT = datetime(2026, 1, 1, tzinfo=UTC)
PLAIN_FIELDS = (
    "first_name",
    "last_name",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "login_id",
    "national_id",
)
LIST_FIELDS = ("device_ids", "cookie_ids")


@dataclass
class MappedRecords:
    """The records built from a dataset, and what could not be carried over."""

    records: list[RecordV1] = field(default_factory=list)
    invalid_dob: int = 0  # present but unparseable: sent as missing
    rejected: dict[str, str] = field(default_factory=dict)  # record key → validation error

    def messages(self) -> list[RawMessage]:
        """The records as pipeline messages (JSON-shaped dicts)."""
        return [to_message(r) for r in self.records]


def parse_dob(value: str | None, fmt: str) -> date | None:
    """The date of birth, or None when missing or not a valid date in `fmt`."""
    if not value:
        return None
    try:
        return datetime.strptime(value, fmt).date()
    except ValueError:
        return None


def parse_updated_at(value: str | None) -> datetime:
    """An ISO-8601 time (UTC assumed when naive), or DEFAULT_UPDATED_AT."""
    if not value:
        return DEFAULT_UPDATED_AT
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return DEFAULT_UPDATED_AT
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def record_payload(row: Mapping[str, str | None], dob_format: str) -> dict[str, Any]:
    """The RecordV1 fields of one canonical dataset row (address parts joined)."""
    parts = (row.get("street_number"), row.get("address_1"), row.get("address_2"))
    payload: dict[str, Any] = {
        "source": row["source"],
        "source_id": row["source_id"],
        "date_of_birth": parse_dob(row.get("date_of_birth"), dob_format),
        "address": " ".join(p for p in parts if p) or None,
        "updated_at": parse_updated_at(row.get("updated_at")),
    }
    payload.update({name: row.get(name) for name in PLAIN_FIELDS})
    payload.update({name: row.get(name) or [] for name in LIST_FIELDS})
    return payload


def to_records(dataset: BenchDataset) -> MappedRecords:
    """Every row of the dataset as a RecordV1; invalid dates of birth become None."""
    mapped = MappedRecords()
    rows = cast("list[dict[str, str | None]]", dataset.frame.to_dict("records"))
    for row in rows:
        payload = record_payload(row, dataset.dob_format)
        if row.get("date_of_birth") and payload["date_of_birth"] is None:
            mapped.invalid_dob += 1
        try:
            mapped.records.append(RecordV1.model_validate(payload))
        except ValidationError as error:
            mapped.rejected[str(row["record_id"])] = str(error.errors()[0]["msg"])
    return mapped


def to_message(record: RecordV1) -> RawMessage:
    """A pipeline message for one record, as the HTTP API would receive it."""
    payload = record.model_dump(mode="json", exclude_none=True)
    return RawMessage(payload, f"benchmark:{record.source}:{record.source_id}")


def record_key(record: RecordV1) -> str:
    """The project's record key, `<source>:<source_id>`."""
    return f"{record.source}:{record.source_id}"


def split_background(
    truth: Mapping[str, str], wanted: int, held: int, seed: int
) -> tuple[list[str], list[str]]:
    """(background keys, held-out keys): whole persons in seeded random order until `wanted`
    records (at least 3 per held-out one); then one record of each of the first `held`
    persons with several records is held out, so that it has somewhere to join."""
    by_person: dict[str, list[str]] = {}
    for key, person in truth.items():
        by_person.setdefault(person, []).append(key)
    persons = sorted(by_person)
    rng = random.Random(seed)
    rng.shuffle(persons)
    chosen: list[str] = []
    total = 0
    for person in persons:
        if total >= max(wanted, 3 * held):
            break
        chosen.append(person)
        total += len(by_person[person])
    several = [p for p in chosen if len(by_person[p]) > 1][:held]
    held_out = [rng.choice(sorted(by_person[p])) for p in several]
    skip = set(held_out)
    return [k for p in chosen for k in by_person[p] if k not in skip], held_out


def exact_share(predicted: Mapping[str, str], truth: Mapping[str, str], keys: list[str]) -> float:
    """Share of `keys` whose predicted cluster, within the truth's records, is exactly
    their true cluster."""
    members: dict[str, set[str]] = {}
    for key, cluster in truth.items():
        members.setdefault(cluster, set()).add(key)
    predicted_members: dict[str, set[str]] = {}
    for key in truth:
        if key in predicted:
            predicted_members.setdefault(predicted[key], set()).add(key)
    right = sum(
        1
        for key in keys
        if key in predicted and predicted_members[predicted[key]] == members[truth[key]]
    )
    return right / len(keys) if keys else 1.0
