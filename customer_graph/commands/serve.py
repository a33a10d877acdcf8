"""`customer-graph serve`: the HTTP API under uvicorn, one process."""

from __future__ import annotations

import typer

from customer_graph.settings import get_settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 in a container)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the API (ingest, health, metrics) until SIGINT/SIGTERM; the store closes cleanly."""
    # Imported here so other commands do not pay for the web stack at start-up.
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,  # the API writes one JSON line per request itself
        proxy_headers=False,
    )
