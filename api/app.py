"""The FastAPI app: `create_app()` builds it, its lifespan is the API's composition root.

At startup the lifespan opens the graph store and builds the ingestion pipeline from the
settings (unless the caller injected them: tests pass fakes at our own ports), puts them on
`app.state` for the dependency aliases of `api.dependencies`, and at shutdown closes what it
opened, never what was injected. It also builds the GraphQL services (recommendation serving
from `CG_DATA_DIR/models/gnn`, the stewards' service, the identifier hasher, the API keys,
the segment service over the store, the next-best-action service with its exposure log) onto
`app.state.graphql`. Routes live in `api/routes/`, one small module per feature; the GraphQL
endpoint (and GraphiQL in a browser) is mounted at `/graphql`, the stewards' review page at
`/steward` (`api.routes.steward_page`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.dependencies import DEFAULT_MAX_ITEMS, IngestLimits, get_request_id
from api.graphql.context import GraphQLServices
from api.graphql.post_route import GraphQLPostFastPath, GraphQLPostView
from api.graphql.schema import build_schema, graphql_router
from api.middleware import RequestContextMiddleware, log_json
from api.routes import health, ingest, metrics, steward_page
from customer_graph.runtime import (
    access_export,
    build_pipeline,
    consent_service,
    erasure_service,
    identity_service,
    open_store,
    pseudonymiser,
)
from customer_graph.settings import Settings, get_settings
from gnn.serving import RecommendationService
from graph.port import GraphStore
from identity.steward import StewardService
from ingestion.results import Ingestor
from nba.catalogue import load_catalogue
from nba.exposures import ExposureLog
from nba.service import NbaConfig, NextBestActionService
from segments.service import SegmentService

log = logging.getLogger("api")


def create_app(
    settings: Settings | None = None,
    *,
    ingestor: Ingestor | None = None,
    store: GraphStore | None = None,
    max_body_bytes: int | None = None,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> FastAPI:
    """The API app. Injected `ingestor`/`store` are used as they are and not closed.

    `max_body_bytes` defaults to `settings.http_max_body_bytes` (`CG_HTTP_MAX_BODY_BYTES`),
    `max_items` to 10,000 items per ingest request.
    """
    config = settings if settings is not None else get_settings()
    limits = IngestLimits(
        max_body_bytes=max_body_bytes if max_body_bytes is not None else config.http_max_body_bytes,
        max_items=max_items,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as opened:
            graph = store
            if graph is None:
                graph = await open_store(config)
                opened.push_async_callback(graph.close)
            pipeline = ingestor
            if pipeline is None:
                built = build_pipeline(config, graph, resolve=True)
                opened.callback(built.close)
                recovered = await built.recover()  # events logged but not applied before a crash
                if recovered:
                    log_json(logging.WARNING, "ingest_recovered", events=recovered)
                pipeline = built
            app.state.settings = config
            app.state.store = graph
            app.state.ingestor = pipeline
            app.state.ingest_limits = limits
            consents = consent_service(config, graph)
            app.state.graphql = GraphQLServices(
                store=graph,
                recommendations=RecommendationService(
                    config.gnn_model_dir, reload_check_seconds=config.gnn_reload_seconds
                ),
                steward=StewardService(identity_service(config, graph)),
                pseudonymiser=pseudonymiser(config),
                api_keys=dict(config.api_keys),
                segments=SegmentService(graph),
                consent=consents,
                nba=_next_best_action(config, opened),
                erasure=erasure_service(config, graph),
                access=access_export(config, graph),
            )
            log_json(logging.INFO, "api_started", backend=graph.backend)
            with frozen_heap():
                yield
            log_json(logging.INFO, "api_stopping")

    app = FastAPI(
        title="customer-graph",
        summary="Customer identity graph: ingestion, profiles, segments, recommendations.",
        version="0.1.0",
        lifespan=lifespan,
    )
    schema = build_schema()
    # Inside RequestContextMiddleware: POST /graphql skips FastAPI's routing (post_route).
    app.add_middleware(GraphQLPostFastPath, view=GraphQLPostView(schema, graphql_ide=None))
    app.add_middleware(RequestContextMiddleware)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(ingest.router)
    app.include_router(graphql_router(schema), prefix="/graphql", tags=["graphql"])
    steward_page.install(app)  # /steward: the stewards' review page (static, no build)
    return app


@contextmanager
def frozen_heap() -> Iterator[None]:
    """What start-up built (models, schema, services) moved out of the garbage collector's
    sight while the app serves: a full collection walked all of it, a 170 ms pause every
    thousand requests or so (the p99 of the GraphQL benchmark). Unfrozen at shutdown."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _next_best_action(config: Settings, opened: AsyncExitStack) -> NextBestActionService:
    """The decision service over the configured catalogue and learned state; its exposure
    log is flushed and closed at shutdown."""
    exposures = ExposureLog(config.nba_exposure_log)
    opened.callback(exposures.shutdown)
    settings = NbaConfig(
        config.nba_model_dir,
        alpha=config.nba_alpha,
        epsilon=config.nba_epsilon,
        reload_seconds=config.nba_reload_seconds,
    )
    catalogue = load_catalogue(config.nba_catalogue_file)
    return NextBestActionService(catalogue, settings, exposures=exposures)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Every HTTP error answers `{"error": <message>, "request_id": …}`."""
    if not isinstance(exc, StarletteHTTPException):  # registered for that class only
        raise exc
    return JSONResponse(
        {"error": exc.detail, "request_id": get_request_id(request)},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Parameter validation errors in the same envelope, with pydantic's details."""
    if not isinstance(exc, RequestValidationError):  # registered for that class only
        raise exc
    return JSONResponse(
        {
            "error": "invalid request",
            "detail": jsonable_encoder(exc.errors()),
            "request_id": get_request_id(request),
        },
        status_code=422,
    )
