"""`GET /metrics`: the default Prometheus registry, scrape-time gauges refreshed first.

Metrics live in the default registry (so the client's process and platform collectors come
along). One API process per container: no multiprocess mode. What is exported: HTTP latency
and errors by route template (`api.http_metrics`, observed by `api.middleware`), GraphQL
latency and errors by operation (`api.graphql.operation_metrics`), ingested messages by entry
point and status (`ingestion.metrics`; `cg_pipeline_messages_total`), Kafka lag, and, read at
each scrape, the review queue, the dead letters and the model versions (`api.scrape_gauges`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from api.scrape_gauges import refresh

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """The default registry in the Prometheus text format."""
    await refresh(request.app.state)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
