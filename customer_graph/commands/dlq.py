"""`customer-graph dlq …`: inspect and re-submit rejected messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from customer_graph.runtime import ingestion
from customer_graph.settings import get_settings
from ingestion.dead_letters import DeadLetterStore
from ingestion.replay import replay_dead_letters

app = typer.Typer(help="The dead-letter store of rejected messages.", no_args_is_help=True)
console = Console()


def _store() -> DeadLetterStore:
    return DeadLetterStore(get_settings().ingest_dir / "dead_letters.sqlite3")


@app.command("list")
def list_letters(
    status: str = typer.Option("new", help="new, replayed, or all."),
    kind: str | None = typer.Option(None, help="event, record or item."),
    limit: int = typer.Option(50, min=1),
    after: int = typer.Option(0, help="Show entries with a larger id (paging)."),
    payload_chars: int = typer.Option(80, help="How much of each payload to show."),
) -> None:
    """Rejected messages, oldest first, with origin, field and reason."""
    store = _store()
    letters = store.entries(None if status == "all" else status, kind, limit, after)
    table = Table(title=f"Dead letters ({store.count(None if status == 'all' else status):,})")
    for column in ("id", "received", "kind", "origin", "field", "reason", "status", "payload"):
        table.add_column(column, overflow="fold")
    for d in letters:
        received = datetime.fromtimestamp(d.received_at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        payload = d.payload.decode("utf-8", "replace")[:payload_chars]
        table.add_row(str(d.id), received, d.kind, d.origin, d.field, d.reason, d.status, payload)
    console.print(table)
    store.close()


@app.command("replay")
def replay(
    ids: list[int] = typer.Argument(None, help="Entry ids; none with --all."),
    all_new: bool = typer.Option(False, "--all", help="Replay every entry with status new."),
) -> None:
    """Re-submit entries through the pipeline (after fixing the sender or the data)."""
    if not ids and not all_new:
        raise typer.BadParameter("give entry ids, or --all")
    settings = get_settings()

    async def run() -> tuple[int, int]:
        async with ingestion(settings) as pipeline:
            return await replay_dead_letters(pipeline, ids or None)

    passed, failed = asyncio.run(run())
    console.print(f"{passed:,} went through; {failed:,} were rejected again (reasons updated)")
