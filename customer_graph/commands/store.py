"""`customer-graph store …`: the graph store, for operators."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Table

from customer_graph.runtime import graph_config, graph_store
from customer_graph.settings import get_settings
from graph.embedded_server import EmbeddedFalkorDB
from graph.port import GraphStore

app = typer.Typer(help="Inspect and operate the graph store.", no_args_is_help=True)
console = Console()


def _embedded() -> EmbeddedFalkorDB:
    config = graph_config(get_settings())
    if not config.url.startswith("falkordb-embedded://"):
        raise typer.BadParameter("only for the embedded store (CG_GRAPH_URL=falkordb-embedded://)")
    return EmbeddedFalkorDB(config.embedded_dir(), fsync=config.fsync)


async def counts_table(store: GraphStore) -> Table:
    """Nodes per label and relationships per type, as a table."""
    table = Table(title="Graph contents")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("count", justify="right")
    for row in await store.read("stats/node_counts"):
        table.add_row("nodes", str(row["label"]), f"{row['count']:,}")
    for row in await store.read("stats/relationship_counts"):
        table.add_row("relationships", str(row["type"]), f"{row['count']:,}")
    return table


@app.command()
def start() -> None:
    """Start the embedded FalkorDB server in the background (kept running until `stop`)."""
    server = _embedded()
    endpoint = server.ensure_running(detached=True)
    console.print(f"FalkorDB for {server.directory} listening on {endpoint.host}:{endpoint.port}")


@app.command()
def stop() -> None:
    """Stop the embedded FalkorDB server of the data folder, whoever started it."""
    server = _embedded()
    stopped = server.shutdown_running()
    console.print("stopped" if stopped else f"no server running for {server.directory}")


@app.command()
def status() -> None:
    """Ping the configured store and print what it holds."""

    async def run() -> None:
        async with graph_store(get_settings()) as store:
            info = await store.ping()
            console.print(f"{info.backend} {info.version} at {info.address}")
            console.print(await counts_table(store))

    asyncio.run(run())


@app.command()
def reset(yes: bool = typer.Option(False, "--yes", help="Confirm deleting everything.")) -> None:
    """Delete every node and relationship of the configured graph."""
    if not yes:
        raise typer.BadParameter("refusing to delete the graph without --yes")

    async def run() -> None:
        async with graph_store(get_settings()) as store:
            summary = (await store.write("admin/delete_all")).summary
            console.print(f"deleted {summary.nodes_deleted:,} nodes")

    asyncio.run(run())
