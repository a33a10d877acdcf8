"""Prometheus metrics shared by every ingestion entry point (defined once per process)."""

from __future__ import annotations

from prometheus_client import Counter

INGEST_MESSAGES = Counter(
    "cg_ingest_messages",  # exposed as cg_ingest_messages_total
    "Ingested messages by entry point (source) and per-item result status.",
    ["source", "status"],
)
