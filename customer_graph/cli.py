"""The `customer-graph` command line (typer); each command group lives in `commands/`."""

from __future__ import annotations

import typer

from customer_graph.commands import (
    demo,
    dlq,
    gnn,
    identity,
    ingest,
    nba,
    privacy,
    segments,
    serve,
    store,
)
from customer_graph.runtime import configure_logging, exit_cleanly_on_sigterm
from customer_graph.settings import get_settings

app = typer.Typer(
    name="customer-graph",
    help="Customer identity graph and recommendations.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("demo-data")(demo.demo_data)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.add_typer(store.app, name="store")
app.add_typer(ingest.app, name="ingest")
app.add_typer(dlq.app, name="dlq")
app.add_typer(identity.app, name="identity")
app.add_typer(gnn.app, name="gnn")
app.add_typer(segments.app, name="segments")
app.add_typer(nba.app, name="nba")
app.add_typer(privacy.app, name="privacy")


@app.callback()
def _setup() -> None:
    """Read settings, configure logging, make SIGTERM a clean exit."""
    configure_logging(get_settings().log_level)
    exit_cleanly_on_sigterm()


def main() -> None:
    """Console-script entry point."""
    app()
