"""Records through the real pipeline: normalisation, hashing, recency, rejection."""

from __future__ import annotations

import json
from typing import Any

from ingestion.pipeline import IngestPipeline
from ingestion.results import ItemStatus, RawMessage


def record(source_id: str, **overrides: Any) -> dict[str, Any]:
    """A CRM record as JSON."""
    base: dict[str, Any] = {
        "source": "crm",
        "source_id": source_id,
        "first_name": "  Ann ",
        "last_name": "Lee",
        "email": "Ann.Lee@Example.com",
        "phone": "07700 900123",
        "date_of_birth": "1980-02-03",
        "postcode": "ls11aa",
        "city": "Leeds",
        "country": "gb",
        "device_ids": ["d-1"],
        "updated_at": "2026-03-01T12:00:00Z",
    }
    return {**base, **overrides}


def msgs(*records: dict[str, Any]) -> list[RawMessage]:
    """JSON messages."""
    return [RawMessage(json.dumps(r).encode(), f"t:{n}") for n, r in enumerate(records)]


async def stored(pipeline: IngestPipeline, key: str) -> dict[str, Any]:
    [row] = await pipeline.store.read("records/get_records", {"keys": [key]})
    return dict(row)


async def test_record_is_normalised_and_identifiers_hashed(pipeline: IngestPipeline) -> None:
    result = await pipeline.ingest_records(msgs(record("1")))
    assert result.items[0].status is ItemStatus.ACCEPTED
    got = await stored(pipeline, "crm:1")
    rec = got["record"]
    assert (rec["first_name"], rec["postcode"], rec["country"]) == ("Ann", "LS1 1AA", "GB")
    assert rec["date_of_birth"] == "1980-02-03"
    assert "email" not in rec
    assert "phone" not in rec
    kinds = sorted(k.split(":")[0] for k in got["identifier_keys"])
    assert kinds == ["device", "email", "phone"]
    assert not any("lee" in k.lower() or "900123" in k for k in got["identifier_keys"])


async def test_older_or_repeated_versions_do_not_overwrite(pipeline: IngestPipeline) -> None:
    await pipeline.ingest_records(msgs(record("1", city="York", updated_at="2026-03-02T00:00:00Z")))
    again = await pipeline.ingest_records(
        msgs(
            record("1", city="York", updated_at="2026-03-02T00:00:00Z"),
            record("1", city="Old", updated_at="2026-01-01T00:00:00Z"),
        )
    )
    assert [i.status for i in again.items] == [ItemStatus.DUPLICATE, ItemStatus.DUPLICATE]
    assert (await stored(pipeline, "crm:1"))["record"]["city"] == "York"
    newer = await pipeline.ingest_records(
        msgs(record("1", city="Hull", updated_at="2026-04-01T00:00:00Z"))
    )
    assert newer.items[0].status is ItemStatus.ACCEPTED
    assert (await stored(pipeline, "crm:1"))["record"]["city"] == "Hull"


async def test_csv_rows_as_dicts_are_accepted(pipeline: IngestPipeline) -> None:
    row = {
        "source": "web",
        "source_id": "W1",
        "first_name": "Bo",
        "email": "",
        "device_ids": "",
        "cookie_ids": "c-1;c-2",
        "date_of_birth": "",
        "updated_at": "2026-03-01T12:00:00.000Z",
    }
    result = await pipeline.ingest_records([RawMessage(row, "file:records.csv:2")])
    assert result.items[0].status is ItemStatus.ACCEPTED
    keys = (await stored(pipeline, "web:W1"))["identifier_keys"]
    assert sorted(keys) == ["cookie:c-1", "cookie:c-2"]


async def test_bad_records_are_rejected_by_field(pipeline: IngestPipeline) -> None:
    result = await pipeline.ingest_records(
        msgs(
            record("ok"),
            record("x", source="CRM!"),
            record("y", date_of_birth="31/02/1980"),
            record("z", updated_at="not a time"),
            {"source": "crm"},
            record("n", first_name="A\u0000B"),
        )
    )
    assert [(i.status, i.field) for i in result.items] == [
        (ItemStatus.ACCEPTED, None),
        (ItemStatus.REJECTED, "source"),
        (ItemStatus.REJECTED, "date_of_birth"),
        (ItemStatus.REJECTED, "updated_at"),
        (ItemStatus.REJECTED, "source_id"),
        (ItemStatus.REJECTED, "first_name"),
    ]
    assert pipeline.dead_letters.count() == 5
    assert (await stored(pipeline, "crm:ok"))["record"]["last_name"] == "Lee"
