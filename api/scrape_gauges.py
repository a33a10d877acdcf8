"""Gauges read when `/metrics` is scraped: queue sizes and the model versions being served.

What they show lives elsewhere (the graph's review queue, the dead-letter store's SQLite file,
the model registries), so each scrape reads it: one small graph read (`matches/status_counts`,
bounded by `READ_TIMEOUT_S`) and two SQLite counts. A source that fails or hangs keeps its
last values and counts `cg_metrics_refresh_errors_total{source}`: the scrape itself answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Counter, Gauge

from api.graphql.context import GraphQLServices
from api.middleware import log_json
from graph.port import GraphStore
from ingestion.dead_letters import DeadLetterStore

READ_TIMEOUT_S = 2.0
REVIEW_STATUSES = ("pending", "approved", "rejected")
DEAD_LETTER_STATUSES = ("new", "replayed")

REVIEW_QUEUE = Gauge(
    "cg_review_queue_pairs",
    "Candidate pairs in the stewards' review queue by status (pending: waiting for a decision).",
    ["status"],
)
DEAD_LETTERS = Gauge(
    "cg_dead_letters",
    "Entries in the dead-letter store by status (new: not replayed yet).",
    ["status"],
)
MODEL_INFO = Gauge(
    "cg_model_info",
    "The model version in use, as a label (value 1): gnn (recommendations being served), "
    "identity (the Splink model resolution uses), nba (the bandit state's version).",
    ["model", "version"],
)
REFRESH_ERRORS = Counter(
    "cg_metrics_refresh_errors",  # exposed as cg_metrics_refresh_errors_total
    "Gauge sources that could not be read during a scrape (the gauges keep their last values).",
    ["source"],
)
for _status in REVIEW_STATUSES:
    REVIEW_QUEUE.labels(status=_status)
for _status in DEAD_LETTER_STATUSES:
    DEAD_LETTERS.labels(status=_status)
for _source in ("review_queue", "dead_letters", "models"):
    REFRESH_ERRORS.labels(source=_source)


async def refresh(state: Any) -> None:
    """Update every scrape-time gauge from the app's state (`app.state`)."""
    store: GraphStore | None = getattr(state, "store", None)
    if store is not None:
        await _guarded("review_queue", lambda: _review_queue(store))
    letters = getattr(getattr(state, "ingestor", None), "dead_letters", None)
    if isinstance(letters, DeadLetterStore):
        await _guarded("dead_letters", lambda: _dead_letters(letters))
    services = getattr(state, "graphql", None)
    if isinstance(services, GraphQLServices):
        await _guarded("models", lambda: _models(services))


async def _guarded(source: str, read: Callable[[], Awaitable[None]]) -> None:
    try:
        await asyncio.wait_for(read(), READ_TIMEOUT_S)
    except Exception as error:  # a scrape must answer: count it, log it, keep the last values
        REFRESH_ERRORS.labels(source=source).inc()
        log_json(logging.WARNING, "metrics_refresh_failed", source=source, error=repr(error))


async def _review_queue(store: GraphStore) -> None:
    counts = {str(r["status"]): int(r["pairs"]) for r in await store.read("matches/status_counts")}
    for status in {*REVIEW_STATUSES, *counts}:
        REVIEW_QUEUE.labels(status=status).set(counts.get(status, 0))


async def _dead_letters(letters: DeadLetterStore) -> None:
    counts = await asyncio.to_thread(lambda: {s: letters.count(s) for s in DEAD_LETTER_STATUSES})
    for status, n in counts.items():
        DEAD_LETTERS.labels(status=status).set(n)


async def _models(services: GraphQLServices) -> None:
    gnn = services.recommendations.version
    current = await asyncio.to_thread(services.steward.identity.registry.current)
    versions = {
        "gnn": gnn,
        "identity": None if current is None else current.version,
        "nba": str(services.nba.state.version),
    }
    _set_info(versions)


_shown: dict[str, str] = {}  # model -> the version its series is labelled with


def _set_info(versions: dict[str, str | None]) -> None:
    """One series per model, labelled with its version (none: `none`)."""
    for model, version in versions.items():
        shown = version or "none"
        previous = _shown.get(model)
        if previous is not None and previous != shown:
            MODEL_INFO.remove(model, previous)
        MODEL_INFO.labels(model=model, version=shown).set(1)
        _shown[model] = shown
