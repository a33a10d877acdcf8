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
from customer_graph.commands.serve import run_api
from customer_graph.commands.store import counts_table
from customer_graph.runtime import graph_config, ingestion
from customer_graph.settings import Settings, get_settings
from ingestion.file_import import FileKind, import_file

console = Console()
# Development keys for `demo --serve` when CG_API_KEYS is unset (documented in the README).
DEMO_API_KEYS = {
    "demo-frontend-key-0001": "frontend",
    "demo-steward-key-00001": "steward",
    "demo-admin-key-0000001": "admin",
    "demo-ml-key-0000000001": "ml",
}
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
    serve: bool = typer.Option(False, help="Then serve the API on 127.0.0.1 (make demo does)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port of --serve."),
) -> None:
    """Generate (or reuse) the demo world, ingest it, resolve identities, train recommendations,
    print what the graph holds; with --serve, then serve the API until Ctrl-C."""
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
    if serve:
        serve_demo(settings, port)


def serve_demo(settings: Settings, port: int) -> None:
    """Serve the API over the demo's data on loopback, with development keys when none are
    configured (printed, like the development hash key: never for production)."""
    if not settings.api_keys:
        settings = settings.model_copy(update={"api_keys": DEMO_API_KEYS})
        console.print("[yellow]CG_API_KEYS is not set: serving with the demo's development keys[/]")
    keys = "  ".join(f"{role}: {key}" for key, role in settings.api_keys.items())
    url = f"http://127.0.0.1:{port}/graphql"
    console.print(f"GraphQL API at [bold]{url}[/] (GraphiQL in a browser); keys  {keys}")
    ml_key = next((k for k, role in settings.api_keys.items() if role in ("ml", "admin")), "…")
    console.print(
        f"  try: curl -s {url} -H 'X-API-Key: {ml_key}' "
        "-H 'Content-Type: application/json' "
        '-d \'{"query": "{ modelVersions { version current } }"}\''
    )
    steward_key = next((k for k, role in settings.api_keys.items() if role == "steward"), None)
    console.print(
        f"Steward review page at [bold]http://127.0.0.1:{port}/steward[/]"
        + (f" (sign in with the steward key {steward_key})" if steward_key else "")
    )
    console.print("Ctrl-C stops the API (the store stops with it).")
    run_api(settings, "127.0.0.1", port)
