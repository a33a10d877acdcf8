"""Prometheus metrics: the process's metric objects, and `GET /metrics` to scrape them.

Metrics live in the default registry (so the client's process and platform collectors come
along). One API process per container: no multiprocess mode.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest

from ingestion.metrics import INGEST_MESSAGES
from ingestion.results import ItemStatus

HTTP_REQUEST_SECONDS = Histogram(
    "cg_http_request_seconds",
    "HTTP request latency by method, route template and status code.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# Shared with the Kafka consumer: one definition, in ingestion/metrics.py.
for _status in ItemStatus:  # every status is exported from the start, at 0
    INGEST_MESSAGES.labels(source="http", status=_status.value)

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """The default registry in the Prometheus text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
