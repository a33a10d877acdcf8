"""`customer-graph serve`: the HTTP API under uvicorn, one process."""

from __future__ import annotations

import typer

from customer_graph.settings import Settings, get_settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 in a container)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the API (GraphQL, ingest, health, metrics) until SIGINT/SIGTERM; the store closes
    cleanly."""
    run_api(get_settings(), host, port)


def run_api(settings: Settings, host: str, port: int) -> None:
    """Run the API app under uvicorn in this process until it is stopped."""
    # Imported here so other commands do not pay for the web stack at start-up.
    import uvicorn

    from api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,  # the API writes one JSON line per request itself
        proxy_headers=False,
    )
