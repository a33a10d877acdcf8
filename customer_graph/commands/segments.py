"""`customer-graph segments …`: define rule segments, evaluate them (and RFM), list members."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from customer_graph.runtime import graph_store
from customer_graph.settings import get_settings
from graph.model import to_millis
from segments.service import SegmentService

app = typer.Typer(help="Customer segments: rules, RFM.", no_args_is_help=True)
console = Console()
T = TypeVar("T")
Now = Annotated[
    str | None,
    typer.Option(help="Evaluate as of this ISO time (default: now), e.g. for a replayed log."),
]


def _run(action: Callable[[SegmentService], Awaitable[T]]) -> T:
    async def run() -> T:
        async with graph_store(get_settings()) as store:
            return await action(SegmentService(store))

    return asyncio.run(run())


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
) -> None:
    """Re-evaluate every active customer against the rules and RFM; write the changes."""
    report = _run(lambda svc: svc.evaluate_all(_millis(now), segment or None))
    console.print(
        f"evaluated {report.customers:,} customers: {report.added:,} memberships added, "
        f"{report.removed:,} removed"
    )
    for segment_id, members in sorted(report.members.items()):
        console.print(f"  {segment_id}: {members:,}")


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
