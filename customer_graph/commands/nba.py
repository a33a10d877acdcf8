"""`customer-graph nba …`: list the action catalogue, learn from exposures and conversions."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from customer_graph.runtime import graph_store
from customer_graph.settings import Settings, get_settings
from graph.model import to_millis
from nba.catalogue import Catalogue, CatalogueError, load_catalogue
from nba.exposures import ExposureLog
from nba.learning import UpdateReport, update
from nba.state import BanditState, StateError, load_state

app = typer.Typer(help="Next best action: catalogue and learning.", no_args_is_help=True)
console = Console()
HOUR_MS = 3_600_000


def _catalogue(settings: Settings) -> Catalogue:
    try:
        return load_catalogue(settings.nba_catalogue_file)
    except CatalogueError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error


def _state(settings: Settings) -> BanditState | None:
    try:
        return load_state(settings.nba_model_dir)
    except StateError as error:
        console.print(f"[yellow]{error}[/]")
        return None


@app.command()
def actions() -> None:
    """The catalogue: each action's kind, channels, consent and eligibility, and what the
    bandit has learned of it so far (exposures learned, mean reward)."""
    settings = get_settings()
    catalogue = _catalogue(settings)
    state = _state(settings)
    learned = state.aligned(catalogue.ids).contextual if state is not None else None
    table = Table(title=f"{catalogue.source} ({len(catalogue.actions)} actions)")
    for column in ("id", "kind", "channel", "consent", "eligibility", "learned", "mean reward"):
        table.add_column(column, overflow="fold")
    for i, action in enumerate(catalogue.actions):
        rule = action.eligibility
        table.add_row(
            action.id,
            action.kind,
            ", ".join(action.channel),
            ", ".join(action.consent) or "none",
            rule.model_dump_json(by_alias=True, exclude_none=True) if rule else "everyone",
            str(int(learned.pulls[i])) if learned is not None else "0",
            f"{learned.mean_rewards()[i]:.4f}" if learned is not None else "-",
        )
    console.print(table)
    if state is not None:
        console.print(f"state version {state.version}, learned up to exposure {state.learned_seq}")


def _report(report: UpdateReport, window_hours: float) -> None:
    console.print(
        f"closed {report.rewarded + report.unrewarded} exposures: {report.rewarded} rewarded "
        f"(a conversion within {window_hours:g} h), {report.unrewarded} without; "
        f"{report.pending} still inside their window"
    )
    if report.reset:
        console.print("[yellow]the saved state was not usable: learning started again[/]")
    console.print(f"learned {report.learned} exposures; state version {report.version}")


@app.command("update")
def update_command(
    now: Annotated[
        str | None, typer.Option(help="Act as of this ISO time (default: now), e.g. for tests.")
    ] = None,
    window_hours: Annotated[
        float | None,
        typer.Option(help="Reward window in hours (default: CG_NBA_REWARD_WINDOW_HOURS)."),
    ] = None,
) -> None:
    """Reward exposures followed by a conversion in the graph, close those whose window
    passed, learn every closed exposure not learned yet, and save the state (the API picks
    it up within CG_NBA_RELOAD_SECONDS). Run it more often than the window, e.g. hourly."""
    settings = get_settings()
    catalogue = _catalogue(settings)
    hours = window_hours if window_hours is not None else settings.nba_reward_window_hours
    if hours <= 0:
        raise typer.BadParameter("--window-hours must be positive")
    try:
        moment = to_millis(datetime.fromisoformat(now)) if now else None
    except ValueError as error:
        raise typer.BadParameter(f"--now {now!r} is not an ISO date-time") from error

    async def run() -> UpdateReport:
        exposures = ExposureLog(settings.nba_exposure_log, background=False)
        try:
            async with graph_store(settings) as store:
                return await update(
                    exposures,
                    settings.nba_model_dir,
                    catalogue,
                    window_ms=int(hours * HOUR_MS),
                    now_ms=moment if moment is not None else int(time.time() * 1000),
                    store=store,
                )
        finally:
            exposures.shutdown()

    _report(asyncio.run(run()), hours)
