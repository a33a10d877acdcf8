"""`customer-graph serve`: the HTTP API under uvicorn (one process, or several workers)."""

from __future__ import annotations

import typer

from customer_graph.settings import Settings, get_settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 in a container)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(
        1,
        min=1,
        max=32,
        help="Worker processes (one per core: each has its own event loop, store connection "
        "and loaded models; they share the store, the event log and the model registry).",
    ),
) -> None:
    """Serve the API (GraphQL, ingest, health, metrics) until SIGINT/SIGTERM; the store closes
    cleanly."""
    run_api(get_settings(), host, port, workers)


def run_api(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Run the API app under uvicorn until it is stopped (in this process, or in `workers`
    processes that each build the app from the environment's settings)."""
    # Imported here so other commands do not pay for the web stack at start-up.
    import uvicorn

    from api.app import create_app
    from api.http_protocol import NoDelayHttpToolsProtocol

    # httptools (C) parses HTTP in about half the CPU of h11 (~0.15 ms a request at the
    # frontend benchmark's rate); the subclass also turns Nagle off on every connection,
    # which uvicorn's multi-worker socket left on (a 40 ms stall; api/http_protocol.py).

    level = settings.log_level.lower()
    # access_log off: the API writes one JSON line per request itself.
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level=level,
            access_log=False,
            proxy_headers=False,
            http=NoDelayHttpToolsProtocol,
        )
    else:  # each worker process calls the factory (settings come from CG_* variables)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level=level,
            access_log=False,
            proxy_headers=False,
            http=NoDelayHttpToolsProtocol,
        )
