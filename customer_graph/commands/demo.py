"""`customer-graph demo-data` and `customer-graph demo`: the synthetic retail world, end to end."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer
from rich.console import Console

import demo_world
from customer_graph.commands.demo_identity import resolve_and_score
from customer_graph.commands.demo_recommendations import train_and_recommend
from customer_graph.commands.ingest import print_report
from customer_graph.commands.progress import progress_bars
from customer_graph.commands.store import counts_table
from customer_graph.runtime import graph_config, ingestion
from customer_graph.settings import Settings, get_settings
from ingestion.file_import import FileKind, import_file

console = Console()
DEMO_FILES = (
    ("items.csv", FileKind.ITEMS),
    ("records.csv", FileKind.RECORDS),
    ("events.jsonl", FileKind.EVENTS),
)


def ensure_demo_world(settings: Settings, people: int, seed: int, force: bool) -> Path:
    """Generate the demo world unless identical files already exist; returns its folder."""
    config = demo_world.DemoWorldConfig(seed=seed, people=people, output_dir=settings.demo_dir)
    if not force and demo_world.is_up_to_date(settings.demo_dir, config):
        console.print(f"Reusing the demo world in [bold]{settings.demo_dir}[/] (unchanged)")
        return settings.demo_dir
    started = time.perf_counter()
    with progress_bars(console) as update:
        demo_world.generate(config, progress=update)
    console.print(
        f"Generated the demo world ({people:,} people, seed {seed}) in "
        f"{time.perf_counter() - started:.1f}s → [bold]{settings.demo_dir}[/]"
    )
    return settings.demo_dir


def demo_data(
    people: int = typer.Option(None, help="People to generate [default: CG_DEMO_PEOPLE]."),
    seed: int = typer.Option(None, help="Random seed [default: CG_DEMO_SEED]."),
    force: bool = typer.Option(False, help="Regenerate even when the files are up to date."),
) -> None:
    """Generate the synthetic retail demo world (records, items, events, ground truth)."""
    settings = get_settings()
    ensure_demo_world(
        settings,
        people if people is not None else settings.demo_people,
        seed if seed is not None else settings.demo_seed,
        force,
    )


def demo(
    people: int = typer.Option(None, help="People in the demo world [default: CG_DEMO_PEOPLE]."),
) -> None:
    """Generate (or reuse) the demo world, ingest it through the pipeline, print what it holds."""
    settings = get_settings()
    directory = ensure_demo_world(
        settings, people if people is not None else settings.demo_people, settings.demo_seed, False
    )

    async def run() -> None:
        async with ingestion(settings) as pipeline:
            info = await pipeline.store.ping()
            console.print(f"Graph store: {info.backend} {info.version} at {info.address}")
            started = time.perf_counter()
            with progress_bars(console) as update:
                reports = [
                    await import_file(
                        pipeline, directory / name, kind, settings.ingest_batch_size, update
                    )
                    for name, kind in DEMO_FILES
                ]
            console.print(f"Ingested in {time.perf_counter() - started:.1f}s")
            for report in reports:
                print_report(report)
            records_changed = any(r.kind is FileKind.RECORDS and r.accepted for r in reports)
            await resolve_and_score(settings, pipeline.store, directory, console, records_changed)
            await train_and_recommend(settings, pipeline.store, console)
            console.print(await counts_table(pipeline.store))

    asyncio.run(run())
    config = graph_config(settings)
    console.print("Where the data lives:")
    console.print(f"  demo world files   {directory.resolve()}")
    if config.url.startswith("falkordb-embedded://"):
        console.print(f"  embedded FalkorDB  {config.embedded_dir().resolve()} (AOF persistence)")
    else:
        console.print(f"  graph store        {config.url}")
    console.print(f"  event log, DLQ     {settings.ingest_dir.resolve()}")
