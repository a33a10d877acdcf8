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
