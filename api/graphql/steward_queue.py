"""The steward page's review queue: candidate pairs of one status, filtered (source, date
queued, probability band), sorted (closest to a threshold first by default, or by the value
of the customers involved), paged, with counts per status and per band; and the thresholds.
Annotations: see `api.graphql.customers`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.errors import BadRequest
from api.graphql.permissions import Operation, guarded
from api.graphql.review_ordering import (
    PairRow,
    QueueFilter,
    QueueOrder,
    Thresholds,
    band_counts,
    sort_rows,
)
from api.graphql.steward import MAX_PAGE, MatchStatus, PageInfo, decode_cursor, encode_cursor
from graph.model import from_millis
from graph.port import GraphStore
from identity import graph_reads
from identity.records import NOT_SHOWN_TO_STEWARDS

MAX_PAIRS_READ = 20_000  # pairs of one status read per request (the queue is sorted in full)
# Registers the queue order with strawberry (as `ReviewSort`), so resolvers can annotate with it.
strawberry.enum(QueueOrder, name="ReviewSort", description="How the review queue is sorted.")


@strawberry.input(description="Narrows the review queue; every field is optional.")
class ReviewFilter:
    """Status (pending by default), a record source, the days queued, a probability band."""

    status: MatchStatus = MatchStatus.PENDING
    source: str | None = strawberry.field(default=None, description="Either record's source.")
    queued_from: date | None = strawberry.field(default=None, description="From this day (UTC).")
    queued_to: date | None = strawberry.field(default=None, description="To this day, included.")
    min_probability: float | None = strawberry.field(default=None, description="At least this.")
    max_probability: float | None = strawberry.field(
        default=None, description="Below this (1.0 includes 1.0)."
    )


@strawberry.type(description="The identity thresholds the queue is sorted around.")
class ReviewSettings:
    """`CG_IDENTITY_REVIEW_THRESHOLD` and `CG_IDENTITY_AUTO_MERGE_THRESHOLD`."""

    review_threshold: float
    auto_merge_threshold: float


@strawberry.type(description="Pairs per probability band (filters other than the band applied).")
class ProbabilityBand:
    """From `min` (included) to `max` (excluded, except 1.0)."""

    min: float
    max: float
    count: int


@strawberry.type(description="Candidate pairs with one status.")
class StatusCount:
    """A status and its number of pairs (over the whole graph)."""

    status: MatchStatus
    count: int


@strawberry.type(description="A pair in the review queue, with both records' attributes.")
class QueuedPair:
    """What the queue lists: the model's numbers, the records, how far from a threshold."""

    left_key: str
    right_key: str
    status: MatchStatus
    probability: float | None
    match_weight: float | None
    queued_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    threshold_distance: float | None = strawberry.field(
        description="Distance of the probability from the nearer threshold."
    )
    customer_value: float = strawberry.field(
        description="Purchase value of the customers the two records belong to."
    )
    same_customer: bool = strawberry.field(description="Both records already in one customer.")
    left: JSON = strawberry.field(description="The left record's attributes and customer.")
    right: JSON = strawberry.field(description="The right record's attributes and customer.")


@strawberry.type(description="A page of the filtered, sorted review queue, and its counts.")
class ReviewQueue:
    """`pairs` is the page; `total` counts every pair the filter keeps."""

    total: int
    truncated: bool = strawberry.field(
        description=f"More than {MAX_PAIRS_READ} pairs have this status: only those were read."
    )
    statuses: list[StatusCount]
    bands: list[ProbabilityBand]
    sources: list[str] = strawberry.field(description="Record sources among pairs of the status.")
    pairs: list[QueuedPair]
    page_info: PageInfo


def thresholds_of(info: Info) -> Thresholds:
    """The identity service's thresholds."""
    config = info.context.services.steward.identity.config
    return Thresholds(config.review_threshold, config.auto_merge_threshold)


async def customer_values(store: GraphStore, ids: list[str]) -> dict[str, float]:
    """Purchase value per customer (customers without purchases are absent)."""
    if not ids:
        return {}
    rows = await store.read("customers/purchase_value", {"ids": sorted(set(ids))})
    return {str(r["customer_id"]): float(r["value"] or 0.0) for r in rows}


async def record_sides(store: GraphStore, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Each record's attributes, source and current customer, as the queue shows them."""
    records = await graph_reads.records_by_keys(store, sorted(set(keys)))
    return {
        r.key: {
            "key": r.key,
            "source": r.source,
            "customer_id": r.customer_id,
            **{k: v for k, v in r.attrs.items() if k not in NOT_SHOWN_TO_STEWARDS},
        }
        for r in records
    }


def _time(millis: int | None) -> datetime | None:
    return from_millis(int(millis)) if millis is not None else None


def queued_pair(
    row: PairRow,
    status: MatchStatus,
    sides: dict[str, dict[str, Any]],
    values: dict[str, float],
    t: Thresholds,
) -> QueuedPair:
    """The GraphQL view of one queue row (pending pairs get their threshold distance)."""
    return QueuedPair(
        left_key=row.left_key,
        right_key=row.right_key,
        status=status,
        probability=row.probability,
        match_weight=row.match_weight,
        queued_at=_time(row.created_at),
        decided_by=row.decided_by,
        decided_at=_time(row.decided_at),
        threshold_distance=t.distance(row.probability) if status is MatchStatus.PENDING else None,
        customer_value=row.value(values),
        same_customer=bool(row.left_customer) and row.left_customer == row.right_customer,
        left=JSON(sides.get(row.left_key, {"key": row.left_key})),
        right=JSON(sides.get(row.right_key, {"key": row.right_key})),
    )


@strawberry.type
class StewardQueueQuery:
    """Root fields of the steward page's queue."""

    @guarded(Operation.MATCHES_READ, "The thresholds the review queue lies between.")
    def review_settings(self, info: Info) -> ReviewSettings:
        """From the identity configuration the API runs with."""
        t = thresholds_of(info)
        return ReviewSettings(review_threshold=t.review, auto_merge_threshold=t.auto_merge)

    @guarded(Operation.MATCHES_READ, "The review queue, filtered, sorted and paged, with counts.")
    async def review_queue(
        self,
        info: Info,
        filter: ReviewFilter | None = None,
        sort: QueueOrder = QueueOrder.THRESHOLD,
        first: int = 25,
        after: str | None = None,
    ) -> ReviewQueue:
        """`first` pairs (at most 100) after the `after` cursor of the same filter and sort."""
        if not 1 <= first <= MAX_PAGE:
            raise BadRequest(f"first: must be between 1 and {MAX_PAGE}")
        wanted = filter or ReviewFilter()
        start = decode_cursor(after) if after is not None else 0
        store, t = info.context.services.store, thresholds_of(info)
        params = {"status": wanted.status.value, "limit": MAX_PAIRS_READ + 1}
        read = await store.read("matches/review_pairs", params)
        rows = [PairRow.from_row(r) for r in read[:MAX_PAIRS_READ]]
        sources = sorted({s for r in rows for s in (r.left_source, r.right_source) if s})
        narrowing = QueueFilter(
            wanted.source,
            wanted.queued_from,
            wanted.queued_to,
            wanted.min_probability,
            wanted.max_probability,
        )
        unbanded = [r for r in rows if narrowing.keeps(r, band=False)]
        kept = [r for r in unbanded if narrowing.keeps(r)]
        values: dict[str, float] = {}
        if sort is QueueOrder.VALUE:
            values = await customer_values(store, [c for r in kept for c in r.customers()])
        ordered = sort_rows(kept, sort, t, values)
        page = ordered[start : start + first]
        if sort is not QueueOrder.VALUE:
            values = await customer_values(store, [c for r in page for c in r.customers()])
        sides = await record_sides(store, [k for r in page for k in (r.left_key, r.right_key)])
        counts = await store.read("matches/status_counts")
        return ReviewQueue(
            total=len(kept),
            truncated=len(read) > MAX_PAIRS_READ,
            statuses=[
                StatusCount(status=MatchStatus(c["status"]), count=int(c["pairs"]))
                for c in counts
                if c["status"] in {s.value for s in MatchStatus}
            ],
            bands=[
                ProbabilityBand(min=low, max=high, count=n)
                for low, high, n in band_counts(unbanded, t.bands())
            ],
            sources=sources,
            pairs=[queued_pair(r, wanted.status, sides, values, t) for r in page],
            page_info=PageInfo(
                has_next_page=start + first < len(ordered),
                end_cursor=encode_cursor(start + len(page) - 1) if page else None,
            ),
        )
