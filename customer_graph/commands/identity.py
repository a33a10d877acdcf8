"""`customer-graph identity …`: train the matching model, resolve customers, steward the queue."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from customer_graph.runtime import graph_store, identity_service
from customer_graph.settings import get_settings
from identity.service import IdentityService
from identity.steward import OperationResult, StewardError, StewardService

Actor = Annotated[str, typer.Option(help="Who decides (recorded in the audit entry).")]
Reason = Annotated[str, typer.Option(help="Why (recorded in the audit entry).")]
app = typer.Typer(help="Identity resolution and data stewardship.", no_args_is_help=True)
console = Console()
T = TypeVar("T")


def _run(action: Callable[[IdentityService], Awaitable[T]]) -> T:
    settings = get_settings()

    async def run() -> T:
        async with graph_store(settings) as store:
            return await action(identity_service(settings, store))

    try:
        return asyncio.run(run())
    except StewardError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error


def _done(verb: str, result: OperationResult) -> None:
    console.print(
        f"{verb}; moved {len(result.moved)} record(s); customers {', '.join(result.customers)}; "
        f"undo with: customer-graph identity undo {result.audit_id} --actor …"
    )


def _note(message: str) -> None:
    console.print(f"  {message}")


@app.command()
def train() -> None:
    """Train the Splink model on the graph's records (u by sampling, m by EM); make it current."""
    report = _run(lambda svc: svc.train(_note))
    console.print(
        f"Trained model [bold]{report.version}[/] on {report.records:,} records "
        f"in {report.seconds:.1f}s; columns: {', '.join(report.columns)}"
    )


@app.command()
def resolve() -> None:
    """Resolve every record into customers (trains a model first if none exists)."""
    report = _run(lambda svc: svc.resolve_all(_note))
    table = Table(title=f"Resolution ({report.seconds:.1f}s, model {report.model_version})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in report.model_dump().items():
        if name not in ("model_version", "seconds"):
            table.add_row(name.replace("_", " "), f"{value:,}")
    console.print(table)


@app.command()
def models(promote: str = typer.Option(None, help="Make this version current.")) -> None:
    """List trained model versions (and optionally promote one)."""

    async def act(svc: IdentityService) -> None:
        if promote:
            svc.registry.promote(promote)
        current = svc.registry.current()
        for version in svc.registry.versions():
            mark = "*" if current and current.version == version.version else " "
            console.print(
                f"{mark} {version.version}  records={version.meta['records']:,}  "
                f"trained_at={version.meta['trained_at']}"
            )

    _run(act)


@app.command()
def queue(
    limit: int = typer.Option(20, min=1),
    offset: int = typer.Option(0, min=0),
    status: str = typer.Option("pending", help="pending, approved, rejected or retracted."),
) -> None:
    """The review queue: uncertain pairs with both records side by side."""
    items = _run(lambda svc: StewardService(svc).queue(status, limit, offset))
    for item in items:
        console.rule(f"{item.left_key} ↔ {item.right_key}  p={item.probability:.3f}")
        table = Table(show_header=True)
        table.add_column("attribute")
        table.add_column(item.left_key)
        table.add_column(item.right_key)
        for name in sorted(set(item.left) | set(item.right)):
            table.add_row(name, str(item.left.get(name, "")), str(item.right.get(name, "")))
        console.print(table)
        weights = {
            c["comparison"]: c["match_weight"] + c["tf_adjustment"]
            for c in item.evidence.get("comparisons", [])
        }
        console.print(f"  match weights: {json.dumps(weights)}")


@app.command()
def approve(
    left: str,
    right: str,
    actor: Actor,
    reason: Reason = "",
) -> None:
    """Same person: merge the two records' customers."""
    _done("approved", _run(lambda svc: StewardService(svc).approve(left, right, actor, reason)))


@app.command()
def reject(
    left: str,
    right: str,
    actor: Actor,
    reason: Reason = "",
) -> None:
    """Not the same person: never merge them (splits a customer holding both)."""
    _done("rejected", _run(lambda svc: StewardService(svc).reject(left, right, actor, reason)))


@app.command()
def split(
    customer_id: str,
    record_keys: list[str],
    actor: Actor,
    reason: Reason = "",
) -> None:
    """Move records of a customer to a new customer, for good."""
    _done(
        "split",
        _run(lambda svc: StewardService(svc).split(customer_id, record_keys, actor, reason)),
    )


@app.command()
def undo(
    audit_id: str,
    actor: Actor,
    reason: Reason = "",
) -> None:
    """Restore the state before an audited operation."""
    _done("undone", _run(lambda svc: StewardService(svc).undo(audit_id, actor, reason)))


@app.command("explain")
def explain_customer(customer_id: str) -> None:
    """Why a customer's records belong together (identifiers, model evidence, approvals)."""
    for link in _run(lambda svc: StewardService(svc).explain(customer_id)):
        console.print(f"{link.left_key} ↔ {link.right_key}: {link.kind}, {link.reason}")


@app.command()
def history(
    subject_id: str = typer.Argument(None, help="Customer id or pair `left|right`; none: newest."),
    action: str = typer.Option(None, help="Without a subject: only this action."),
    limit: int = typer.Option(20, min=1),
) -> None:
    """Audit trail of a customer id or a record pair (`left|right`), or the newest entries."""

    def entries(svc: IdentityService) -> Awaitable[list[dict[str, Any]]]:
        steward = StewardService(svc)
        return steward.history(subject_id, limit) if subject_id else steward.recent(action, limit)

    for row in _run(entries):
        console.print(f"{row['at']}  {row['action']:<28} {row['actor']:<24} {row['reason']}")
