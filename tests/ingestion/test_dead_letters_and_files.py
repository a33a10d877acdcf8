"""Dead-letter replay, file import, and the exported JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

from ingestion.file_import import FileKind, import_file
from ingestion.pipeline import IngestPipeline
from ingestion.replay import replay_dead_letters
from ingestion.results import RawMessage
from ingestion.schema_export import SCHEMA_DIR, SCHEMAS, render
from tests.ingestion.test_pipeline_events import event


async def test_replay_after_the_cause_is_fixed(pipeline: IngestPipeline) -> None:
    unknown_type = json.dumps(event("r1", type="wishlist")).encode()
    good_later = json.dumps(event("r2")).encode()
    await pipeline.ingest_events([RawMessage(unknown_type, "t:0")])
    [letter] = pipeline.dead_letters.entries()
    passed, failed = await replay_dead_letters(pipeline, [letter.id])
    assert (passed, failed) == (0, 1), "still invalid: stays new, reason refreshed"
    assert pipeline.dead_letters.count("new") == 1

    await pipeline.ingest_events([RawMessage(b"{broken", "t:1")])
    broken = pipeline.dead_letters.entries()[-1]
    pipeline.dead_letters._db.execute(  # simulate the operator's fix of the stored payload
        "UPDATE dead_letters SET payload=? WHERE id=?", (good_later, broken.id)
    )
    passed, failed = await replay_dead_letters(pipeline, [broken.id])
    assert (passed, failed) == (1, 0)
    assert [d.id for d in pipeline.dead_letters.entries("replayed")] == [broken.id]
    assert pipeline.dead_letters.count(None) == 2, "replay adds no new dead letters"


async def test_file_import_reports_and_is_idempotent(
    pipeline: IngestPipeline, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(event(f"f{n}")) for n in range(12)] + ["{oops", ""]
    path.write_text("\n".join(lines) + "\n")
    seen: list[tuple[str, int, int]] = []
    first = await import_file(
        pipeline, path, None, batch_size=5, progress=lambda *a: seen.append(a)
    )
    assert (first.kind, first.accepted, first.rejected) == (FileKind.EVENTS, 12, 1)
    assert seen[-1] == ("events.jsonl", 13, 13)
    [letter] = pipeline.dead_letters.entries()
    assert letter.origin == "file:events.jsonl:13"
    again = await import_file(pipeline, path, None, batch_size=5)
    assert (again.accepted, again.duplicates) == (0, 12)


def test_checked_in_json_schemas_match_the_models() -> None:
    for name, model in SCHEMAS.items():
        assert (SCHEMA_DIR / name).read_text() == render(model), (
            f"{name} is stale: run `customer-graph ingest schemas`"
        )


async def test_undecodable_csv_bytes_reject_one_row_not_the_file(
    pipeline: IngestPipeline, tmp_path: Path
) -> None:
    items = tmp_path / "items.csv"
    header = b"item_id,title,category,brand,price,currency,description,in_stock\n"
    good = b"I-1,Lamp,home,Acme,2.5,GBP,A lamp,true\n"
    bad = b"I-2,L\xe4mpchen,home,Acme,2.5,GBP,Latin-1 bytes,true\n"
    items.write_bytes(header + good + bad)
    report = await import_file(pipeline, items)  # kind guessed from the header
    assert (report.kind, report.accepted, report.rejected) == (FileKind.ITEMS, 1, 1)
    [letter] = pipeline.dead_letters.entries(kind="item")
    assert (letter.field, letter.origin) == ("title", "file:items.csv:3")

    records = tmp_path / "records.csv"
    records.write_bytes(
        b"source,source_id,first_name,updated_at\n"
        b"crm,1,Ann,2026-01-01T00:00:00Z\n"
        b"crm,2,J\xf6rg,2026-01-01T00:00:00Z\n"
    )
    report = await import_file(pipeline, records)
    assert (report.kind, report.accepted, report.rejected) == (FileKind.RECORDS, 1, 1)
