"""`customer-graph segments …`: define rule segments, evaluate them (and RFM), list members;
recompute behaviour clusters (once or `--every` N minutes), build lookalike audiences."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from customer_graph.runtime import cluster_config, graph_store, lookalike_service
from customer_graph.settings import get_settings
from gnn.serving import RecommendationService
from graph.model import to_millis
from segments.cluster_segments import ClusterReport, ClusterSegments
from segments.lookalike import EmbeddingsUnavailable, LookalikeReport
from segments.service import SegmentService

app = typer.Typer(
    help="Customer segments: rules, RFM, behaviour clusters, lookalikes.", no_args_is_help=True
)
console = Console()
T = TypeVar("T")
Now = Annotated[
    str | None,
    typer.Option(help="Evaluate as of this ISO time (default: now), e.g. for a replayed log."),
]
Every = Annotated[
    float | None,
    typer.Option(min=0.01, help="Repeat every this many minutes until stopped (Ctrl-C, SIGTERM)."),
]
Runs = Annotated[int | None, typer.Option(min=1, help="With --every: stop after this many runs.")]


def _run(action: Callable[[SegmentService], Awaitable[T]]) -> T:
    async def run() -> T:
        async with graph_store(get_settings()) as store:
            return await action(SegmentService(store))

    return asyncio.run(run())


def _repeat(every: float | None, runs: int | None, once: Callable[[], None]) -> None:
    """Run `once`, then with `every` again each `every` minutes (at most `runs` times)."""
    done = 0
    while True:
        started = time.monotonic()
        once()
        done += 1
        if every is None or (runs is not None and done >= runs):
            return
        time.sleep(max(0.0, every * 60 - (time.monotonic() - started)))


def _millis(now: str | None) -> int | None:
    if now is None:
        return None
    try:
        moment = datetime.fromisoformat(now)
    except ValueError as error:
        raise typer.BadParameter(f"--now {now!r} is not an ISO date-time") from error
    return to_millis(moment)  # naive: UTC


@app.command()
def define(path: Annotated[Path, typer.Argument(help="A JSON segment definition.")]) -> None:
    """Create or replace a rule segment from a JSON file (members follow at `evaluate`)."""
    try:
        info = _run(lambda svc: svc.define(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        console.print(f"[red]{path}: {error}[/]")
        raise typer.Exit(2) from error
    console.print(f"defined [bold]{info.id}[/] ({info.name}); run `segments evaluate` to fill it")


@app.command("list")
def list_() -> None:
    """Every segment with its kind and member count."""
    found = _run(lambda svc: svc.list_segments())
    table = Table(title="Segments")
    for column in ("id", "kind", "name", "members"):
        table.add_column(column, justify="right" if column == "members" else "left")
    for info in found:
        table.add_row(info.id, info.kind, info.name, f"{info.members:,}")
    console.print(table)


@app.command()
def evaluate(
    now: Now = None,
    segment: Annotated[
        list[str] | None, typer.Option("--segment", help="Only these segment ids.")
    ] = None,
    every: Every = None,
    runs: Runs = None,
) -> None:
    """Re-evaluate every active customer against the rules and RFM; write the changes."""

    def once() -> None:
        report = _run(lambda svc: svc.evaluate_all(_millis(now), segment or None))
        console.print(
            f"evaluated {report.customers:,} customers: {report.added:,} memberships added, "
            f"{report.removed:,} removed"
        )
        for segment_id, members in sorted(report.members.items()):
            console.print(f"  {segment_id}: {members:,}")

    _repeat(every, runs, once)


@app.command()
def clusters(now: Now = None, every: Every = None, runs: Runs = None) -> None:
    """Recompute the k-means behaviour clusters (`cluster:<n>` segments; k by silhouette
    between CG_SEGMENT_CLUSTER_K_MIN and _K_MAX)."""
    config = cluster_config(get_settings())

    def once() -> None:
        try:
            report = _run(lambda svc: ClusterSegments(svc, config).recompute(_millis(now)))
        except ValueError as error:  # too few customers with behaviour for k_min
            console.print(f"[red]{error}[/]")
            raise typer.Exit(2) from error
        _print_clusters(report)

    _repeat(every, runs, once)


def _print_clusters(report: ClusterReport) -> None:
    tried = ", ".join(f"k={k}: {s:.3f}" for k, s in sorted(report.silhouettes.items()))
    console.print(
        f"clustered {report.customers:,} customers into k={report.k} (silhouette {tried}); "
        f"{report.without_behaviour:,} without any interaction left out; "
        f"{report.added:,} memberships added, {report.removed:,} removed"
    )
    for cluster in report.clusters:
        console.print(f"  cluster:{cluster.number}  {cluster.name} — {cluster.description}")
    if report.deleted_segments:
        console.print(f"  deleted: {', '.join(report.deleted_segments)}")


@app.command()
def lookalike(
    seed: Annotated[str, typer.Argument(help="The seed segment's id.")],
    size: Annotated[int, typer.Option(min=1, max=100_000, help="Customers in the audience.")],
) -> None:
    """Build `lookalike:<seed>:<size>`: the customers whose GNN embeddings (the current
    recommendation model) are closest to the seed segment's members."""
    served = RecommendationService(get_settings().gnn_model_dir)
    try:
        report = _run(lambda svc: lookalike_service(svc, served).build(seed, size))
    except (KeyError, ValueError, EmbeddingsUnavailable) as error:
        console.print(f"[red]{error.args[0] if error.args else error}[/]")
        raise typer.Exit(2) from error
    _print_lookalike(report)


def _print_lookalike(report: LookalikeReport) -> None:
    console.print(
        f"{report.segment_id}: {report.members:,} members (model {report.model_version}); "
        f"seed {report.seed_members:,} members, {report.seed_without_embedding:,} without an "
        f"embedding skipped; {report.candidates:,} candidates, "
        f"{report.candidates_without_embedding:,} without an embedding skipped; "
        f"{report.added:,} added, {report.removed:,} removed"
    )


@app.command()
def members(
    segment_id: Annotated[str, typer.Argument(help="The segment's id.")],
    first: Annotated[int, typer.Option(min=1, max=10_000, help="How many.")] = 100,
    after: Annotated[str, typer.Option(help="Customer id to continue after.")] = "",
) -> None:
    """A page of a segment's members: customer id, since, score (tab-separated)."""

    async def page(svc: SegmentService) -> tuple[bool, list[tuple[str, int, float]]]:
        found = await svc.get(segment_id)
        rows = await svc.members(segment_id, first, after)
        return found is not None, [(m.customer_id, m.since, m.score) for m in rows]

    exists, rows = _run(page)
    if not exists:
        console.print(f"[red]no segment {segment_id!r}[/]")
        raise typer.Exit(2)
    for customer_id, since, score in rows:
        when = datetime.fromtimestamp(since / 1000, UTC).isoformat(timespec="seconds")
        typer.echo(f"{customer_id}\t{when}\t{score:g}")  # tab-separated, for scripts
