"""`customer-graph gnn …`: train, evaluate, list, promote and roll back recommendation models."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from customer_graph.runtime import consent_service, graph_store
from customer_graph.settings import get_settings
from gnn.comparison import Comparison, comparison_table
from gnn.config import GnnConfig, load_config
from gnn.dataset import export_graph, summary
from gnn.interactions import Interactions
from gnn.item_features import ItemFeatureEncoder
from gnn.loaders import load_interactions
from gnn.model_version import RegistryError
from gnn.service import GnnService

app = typer.Typer(help="GraphSAGE recommendations for ML engineers.", no_args_is_help=True)
console = Console()

InteractionsOpt = Annotated[
    Path | None,
    typer.Option(
        help="Train on this interaction file (CSV, TSV, .dat, parquet) instead of the graph."
    ),
]
SepOpt = Annotated[str | None, typer.Option(help="Separator: tab, comma, pipe, :: or literal.")]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(help="user=userId,item=movieId,... (header) or user,item,rating,timestamp."),
]
ItemsOpt = Annotated[Path | None, typer.Option(help="Item metadata file (id, categories, text).")]
ConfigOpt = Annotated[Path | None, typer.Option(help="Hyper-parameter TOML file.")]
PresetOpt = Annotated[
    str, typer.Option(help="Packaged recipe when no config file is given: default or demo.")
]


def _service() -> GnnService:
    return GnnService(get_settings().gnn_model_dir)


def _recipe(config: Path | None, preset: str) -> GnnConfig:
    """The given file, else CG_GNN_CONFIG_FILE, else the packaged preset."""
    return load_config(config or get_settings().gnn_config_file, preset)


def _note(message: str) -> None:
    console.print(f"  {message}")


def load_training_data(
    interactions: Path | None, sep: str | None, columns: str | None, items: Path | None
) -> tuple[Interactions, ItemFeatureEncoder | None]:
    """Interactions from a file, or a snapshot of the graph (resolved customers)."""
    if interactions is not None:
        data = load_interactions(interactions, sep=sep, columns=columns, items_path=items)
        return data, None
    settings = get_settings()

    async def snapshot() -> tuple[Interactions, ItemFeatureEncoder]:
        async with graph_store(settings) as store:
            return await export_graph(store, consent_service(settings, store))

    return asyncio.run(snapshot())


def print_comparison(comparison: Comparison, figures: dict[str, Any]) -> None:
    """The side-by-side table and the headline ratio."""
    rows = comparison_table(comparison)
    table = Table(title="Test split (last interactions per user), seen items excluded")
    for index, name in enumerate(rows[0]):
        table.add_column(name, justify="left" if index == 0 else "right")
    for row in rows[1:]:
        style = "bold" if row[0] == "graphsage" else None
        table.add_row(*row, style=style)
    console.print(table)
    console.print(
        f"GraphSAGE / best baseline ({figures['best_baseline']}) NDCG@20: "
        f"[bold]{figures['graphsage_over_best_baseline']:.3f}[/]; trained in "
        f"{figures['train_seconds']:.1f}s on {figures['interactions']:,} interactions "
        f"({figures['users']:,} users × {figures['items']:,} items)"
    )
    if figures["best_any_baseline"] != figures["best_baseline"]:
        console.print(
            f"GraphSAGE / strongest extra baseline ({figures['best_any_baseline']}) NDCG@20: "
            f"{figures['graphsage_over_best_any_baseline']:.3f}"
        )


@app.command()
def train(
    interactions: InteractionsOpt = None,
    sep: SepOpt = None,
    columns: ColumnsOpt = None,
    items: ItemsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = "default",
    promote: bool = typer.Option(True, help="Make the new version current (serving follows)."),
) -> None:
    """Train GraphSAGE, evaluate it against the baselines, register a version."""
    data, encoder = load_training_data(interactions, sep, columns, items)
    console.print(f"Dataset: {summary(data)}")
    outcome = _service().train(data, _recipe(config, preset), encoder, promote, _note)
    print_comparison(outcome.comparison, outcome.summary)
    state = "current" if outcome.promoted else "not promoted"
    console.print(
        f"Registered [bold]{outcome.version.version}[/] ({state}); report: "
        f"{outcome.version.path / 'report.html'}"
    )


@app.command()
def evaluate(
    interactions: InteractionsOpt = None,
    sep: SepOpt = None,
    columns: ColumnsOpt = None,
    items: ItemsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = "default",
) -> None:
    """Compare GraphSAGE with the baselines on a temporal split; nothing is registered."""
    data, _ = load_training_data(interactions, sep, columns, items)
    comparison, figures = _service().evaluate(data, _recipe(config, preset), _note)
    print_comparison(comparison, figures)


@app.command(name="list")
def list_versions() -> None:
    """Registered versions, oldest first; the current one is marked."""
    service = _service()
    current = service.registry.current_name()
    table = Table(title=f"Recommendation models in {service.registry.root}")
    for column in ("version", "current", "created", "ndcg@20", "vs best baseline", "data"):
        table.add_column(column)
    for found in service.registry.versions():
        meta = found.meta
        ndcg = (meta.get("metrics") or {}).get("graphsage/ndcg@20")
        table.add_row(
            found.version,
            "*" if found.version == current else "",
            str(meta.get("created_at", "")),
            f"{ndcg:.4f}" if isinstance(ndcg, float) else "",
            f"{meta.get('graphsage_over_best_baseline', '')} ({meta.get('best_baseline', '')})",
            str(meta.get("data_hash", "")),
        )
    console.print(table)


@app.command(name="promote")
def promote_version(version: str) -> None:
    """Make a version current (verified first; serving hot-reloads it)."""
    try:
        found = _service().registry.promote(version)
    except RegistryError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    console.print(f"Current recommendation model: [bold]{found.version}[/]")


@app.command()
def rollback() -> None:
    """Go back to the version that was current before this one."""
    try:
        found = _service().registry.rollback()
    except RegistryError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    console.print(f"Rolled back; current recommendation model: [bold]{found.version}[/]")
