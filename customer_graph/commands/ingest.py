"""`customer-graph ingest …`: files, Kafka, and the message schemas."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from customer_graph.commands.progress import progress_bars
from customer_graph.runtime import ingestion
from customer_graph.settings import get_settings
from ingestion.file_import import FileKind, FileReport, import_file
from ingestion.schema_export import export_schemas

app = typer.Typer(help="Ingest events, records and catalogue items.", no_args_is_help=True)
console = Console()


def print_report(report: FileReport) -> None:
    """A file import's totals and its most common rejection reasons."""
    console.print(
        f"{report.path.name} ({report.kind}): {report.messages:,} messages → "
        f"{report.accepted:,} accepted, {report.duplicates:,} duplicates, "
        f"{report.rejected:,} rejected"
    )
    for reason, count in report.reasons.most_common(5):
        console.print(f"  {count:>7,} × {reason}")


@app.command("file")
def ingest_file(
    paths: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Files to import."),
    kind: FileKind | None = typer.Option(None, help="events, records or items [default: guess]."),
) -> None:
    """Import JSONL events, CSV/JSONL records or a CSV catalogue through the pipeline."""
    settings = get_settings()

    async def run() -> list[FileReport]:
        async with ingestion(settings) as pipeline:
            with progress_bars(console) as update:
                return [
                    await import_file(pipeline, path, kind, settings.ingest_batch_size, update)
                    for path in paths
                ]

    for report in asyncio.run(run()):
        print_report(report)
    console.print(f"Rejected messages are in {settings.ingest_dir / 'dead_letters.sqlite3'}")


@app.command("schemas")
def schemas(
    out: Path = typer.Option(None, help="Folder to write to [default: ingestion/schemas]."),
) -> None:
    """Write the JSON Schema of events and records."""
    for path in export_schemas(out) if out else export_schemas():
        console.print(f"wrote {path}")


def _topics(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in value.split(",") if t.strip())


@app.command("kafka")
def ingest_kafka(
    events_topics: str = typer.Option(None, help="Event topics [default: CG_KAFKA_EVENTS_TOPICS]."),
    records_topics: str = typer.Option(
        None, help="Record topics [default: CG_KAFKA_RECORDS_TOPICS]."
    ),
    topics: str = typer.Option(
        None, help="Shortcut: comma-separated topics; names containing 'record' carry records."
    ),
    bootstrap: str = typer.Option(None, help="Bootstrap servers [default: CG_KAFKA_BOOTSTRAP]."),
    group_id: str = typer.Option(None, help="Consumer group [default: CG_KAFKA_GROUP_ID]."),
) -> None:
    """Consume events and records until SIGTERM/SIGINT; offsets commit after each graph write."""
    from ingestion.kafka_config import KafkaIngestConfig
    from ingestion.kafka_consumer import run_until_signalled

    settings = get_settings()
    events = _topics(events_topics or settings.kafka_events_topics)
    records = _topics(records_topics or settings.kafka_records_topics)
    if topics:
        listed = _topics(topics)
        records = tuple(t for t in listed if "record" in t)
        events = tuple(t for t in listed if "record" not in t)
    config = KafkaIngestConfig(
        bootstrap_servers=bootstrap or settings.kafka_bootstrap,
        group_id=group_id or settings.kafka_group_id,
        events_topics=events,
        records_topics=records,
        dead_letter_topic=settings.kafka_dead_letter_topic or None,
        batch_size=settings.ingest_batch_size,
        max_message_bytes=settings.max_message_bytes,
        session_timeout_ms=settings.kafka_session_timeout_ms,
    )

    async def run() -> None:
        async with ingestion(settings, resolve=True) as pipeline:
            stats = await run_until_signalled(config, pipeline)
        console.print(
            f"Consumed {stats.messages:,} messages in {stats.batches:,} batches: "
            f"{stats.accepted:,} accepted, {stats.duplicates:,} duplicates, "
            f"{stats.rejected:,} rejected ({stats.dead_lettered:,} sent to "
            f"{config.dead_letter_topic}); {stats.commits:,} commits"
        )

    asyncio.run(run())
