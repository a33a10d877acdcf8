"""The HTTP metric objects (`api.middleware` observes them on every request)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from ingestion.metrics import INGEST_MESSAGES
from ingestion.results import ItemStatus

HTTP_REQUEST_SECONDS = Histogram(
    "cg_http_request_seconds",
    "HTTP request latency by method, route template and status code.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
HTTP_ERRORS = Counter(
    "cg_http_errors",  # exposed as cg_http_errors_total
    "HTTP responses with a 4xx or 5xx status, by method, route template and status code.",
    ["method", "route", "status"],
)
# Shared with the Kafka consumer: one definition, in ingestion/metrics.py.
for _status in ItemStatus:  # every status is exported from the start, at 0
    INGEST_MESSAGES.labels(source="http", status=_status.value)
