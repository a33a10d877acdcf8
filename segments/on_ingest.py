"""Keeping memberships current as data arrives: re-evaluate only the customers a batch touched.

The ingestion pipeline calls `events_applied` with the identifier keys of the events it just
wrote to the graph (ingestion does not import segments: the composition root wires this in,
`customer_graph.runtime.build_pipeline`). The customers those identifiers feed are
re-evaluated against every rule segment and RFM (`SegmentService.evaluate_customers`, RFM
against the last population fit) and only the differences are written, before the ingest
call returns: a membership a new event earns is visible to the next read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from graph.port import GraphStore
from segments.service import EvaluationReport, SegmentService

log = logging.getLogger(__name__)


async def customers_of_identifiers(store: GraphStore, keys: Sequence[str]) -> list[str]:
    """The active customers the given identifier keys feed (directly or seen with), sorted."""
    if not keys:
        return []
    rows = await store.read("segments/customers_of_identifiers", {"keys": sorted(set(keys))})
    return [str(r["customer_id"]) for r in rows]


@dataclass
class HookStats:
    """What the hook has done so far (batches, customers, memberships, seconds)."""

    batches: int = 0
    customers: int = 0
    added: int = 0
    removed: int = 0
    seconds: float = 0.0


class SegmentsOnIngest:
    """Re-evaluates the segments of customers whose data just changed."""

    def __init__(self, service: SegmentService) -> None:
        self.service = service
        self.stats = HookStats()

    async def events_applied(self, identifier_keys: Sequence[str]) -> EvaluationReport | None:
        """Re-evaluate the customers these identifiers feed (None: they feed no customer)."""
        started = time.perf_counter()
        ids = await customers_of_identifiers(self.service.store, identifier_keys)
        report = await self.customers_changed(ids) if ids else None
        self.stats.seconds += time.perf_counter() - started
        return report

    async def customers_changed(self, customer_ids: Sequence[str]) -> EvaluationReport | None:
        """Re-evaluate these customers (after new events, or a resolution that merged them)."""
        ids = sorted(set(customer_ids))
        if not ids:
            return None
        report = await self.service.evaluate_customers(ids)
        self.stats.batches += 1
        self.stats.customers += report.customers
        self.stats.added += report.added
        self.stats.removed += report.removed
        if report.added or report.removed:
            log.debug(
                "segments: %d customers re-evaluated, %d memberships added, %d removed",
                report.customers, report.added, report.removed,
            )  # fmt: skip
        return report
