"""`customer-graph privacy …`: erase or export a customer, rotate the master key."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from customer_graph.runtime import access_export, erasure_service, graph_store, key_store
from customer_graph.settings import get_settings
from privacy.erasure import ErasureError

app = typer.Typer(help="Privacy: erasure, access export, key rotation.", no_args_is_help=True)
console = Console()
Actor = Annotated[str, typer.Option(help="Who asks (kept in the audit log).")]
Reason = Annotated[
    str, typer.Option(help="Why, e.g. a ticket number (no personal data: it is kept).")
]


@app.command()
def erase(
    customer_id: Annotated[str, typer.Argument(help="The customer to erase.")],
    reason: Reason,
    actor: Actor = "cli",
) -> None:
    """Erase a customer everywhere and print the receipt (JSON)."""

    async def run() -> dict[str, object]:
        settings = get_settings()
        async with graph_store(settings) as store:
            receipt = await erasure_service(settings, store).erase(customer_id, actor, reason)
            return receipt.to_json()

    try:
        print(json.dumps(asyncio.run(run()), indent=2, sort_keys=True))
    except ErasureError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error


@app.command()
def export(
    customer_id: Annotated[str, typer.Argument(help="The customer whose data to export.")],
    reason: Reason,
    actor: Actor = "cli",
    output: Annotated[Path | None, typer.Option(help="Write here (default: stdout).")] = None,
) -> None:
    """Everything held about a customer, as JSON (right of access)."""

    async def run() -> dict[str, object]:
        settings = get_settings()
        async with graph_store(settings) as store:
            return await access_export(settings, store).export(customer_id, actor, reason)

    try:
        document = asyncio.run(run())
    except ErasureError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    text = json.dumps(document, indent=2, sort_keys=True, default=str)
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {output}")


@app.command("rotate-master-key")
def rotate_master_key() -> None:
    """Re-wrap every data key under CG_MASTER_KEY (old keys in CG_PREVIOUS_MASTER_KEYS)."""
    keys = key_store(get_settings())
    try:
        rotated = keys.rotate_master()
        in_use = keys.masters_in_use()
    finally:
        keys.close()
    console.print(f"re-wrapped {rotated} data keys; master keys in use: {in_use}")
    console.print("the previous master keys can now be removed from CG_PREVIOUS_MASTER_KEYS")
