"""`customer-graph demo-data` and `customer-graph demo`: the synthetic retail world, end to end."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

import demo_world
from customer_graph.commands.store import counts_table
from customer_graph.runtime import graph_config, graph_store, pseudonymiser
from customer_graph.settings import Settings, get_settings
from ingestion.bulk_loader import BulkLoader, LoadReport

console = Console()
ProgressFn = Callable[[str, int, int], None]


@contextmanager
def progress_bars() -> Iterator[ProgressFn]:
    """A rich progress display driven by (stage, done, total) callbacks."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=max(total, 1))
            progress.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


def ensure_demo_world(settings: Settings, people: int, seed: int, force: bool) -> Path:
    """Generate the demo world unless identical files already exist; returns its folder."""
    config = demo_world.DemoWorldConfig(seed=seed, people=people, output_dir=settings.demo_dir)
    if not force and demo_world.is_up_to_date(settings.demo_dir, config):
        console.print(f"Reusing the demo world in [bold]{settings.demo_dir}[/] (unchanged)")
        return settings.demo_dir
    started = time.perf_counter()
    with progress_bars() as update:
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


def _print_report(report: LoadReport) -> None:
    console.print(
        f"Read {report.records:,} records, {report.items:,} items, {report.events:,} events → "
        f"{report.interactions:,} interaction aggregates, {report.seen_with:,} co-occurrences"
    )
    written = report.written
    console.print(
        f"This run created {written.nodes_created:,} nodes and "
        f"{written.relationships_created:,} relationships"
        + (" (nothing new: the data was already loaded)" if written.nodes_created == 0 else "")
    )
    if report.rejected:
        reasons = Counter(f"{r.file} {r.field}: {r.reason}" for r in report.rejected)
        console.print(f"[yellow]{len(report.rejected):,} rows rejected[/]:")
        for reason, count in reasons.most_common(10):
            console.print(f"  {count:>6,} × {reason}")


def demo(
    people: int = typer.Option(None, help="People in the demo world [default: CG_DEMO_PEOPLE]."),
) -> None:
    """Generate (or reuse) the demo world, load it into the graph, and print what it holds."""
    settings = get_settings()
    directory = ensure_demo_world(
        settings, people if people is not None else settings.demo_people, settings.demo_seed, False
    )

    async def run() -> None:
        async with graph_store(settings) as store:
            info = await store.ping()
            console.print(f"Graph store: {info.backend} {info.version} at {info.address}")
            loader = BulkLoader(store, pseudonymiser(settings))
            started = time.perf_counter()
            with progress_bars() as update:
                loader.progress = update
                report = await loader.load(directory)
            console.print(f"Loaded in {time.perf_counter() - started:.1f}s")
            _print_report(report)
            console.print(await counts_table(store))

    asyncio.run(run())
    config = graph_config(settings)
    console.print("Where the data lives:")
    console.print(f"  demo world files   {directory.resolve()}")
    if config.url.startswith("falkordb-embedded://"):
        console.print(f"  embedded FalkorDB  {config.embedded_dir().resolve()} (AOF persistence)")
    else:
        console.print(f"  graph store        {config.url}")
