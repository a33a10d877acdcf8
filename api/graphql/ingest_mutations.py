"""`submitEvents` and `submitRecords`: a batch of messages into the ingestion pipeline.

The same pipeline object, the same limits and the same per-item answer as `POST /v1/events`
and `POST /v1/records` (`api.routes.ingest`): each item is a JSON object that the pipeline
validates itself (schemas in `ingestion/schemas/`), rejected items go to the dead-letter
store with field and reason (origin `graphql:submitEvents[<index>]`) while the others are
written. An item that is not an object, or more items than `IngestLimits.max_items`, refuse
the whole batch (`BAD_REQUEST`), as the HTTP routes refuse the whole body (422, 413); the
byte limit is the HTTP routes' too, on the whole GraphQL request (`api.graphql.router`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Any

import strawberry
from starlette.requests import Request
from strawberry.scalars import JSON

from api.dependencies import IngestLimits, get_ingest_limits, get_ingestor
from api.graphql.context import Info
from api.graphql.errors import BadRequest
from api.graphql.permissions import Operation, guarded_mutation
from ingestion.metrics import INGEST_MESSAGES
from ingestion.results import BatchResult, ItemStatus, RawMessage

METRICS_SOURCE = "graphql"
for _status in ItemStatus:  # every status is exported from the start, at 0
    INGEST_MESSAGES.labels(source=METRICS_SOURCE, status=_status.value)


@strawberry.enum(description="The fate of one submitted item.")
class IngestStatus(Enum):
    """`ingestion.results.ItemStatus`."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    SUPPRESSED = "suppressed"


@strawberry.type(description="The result of one submitted item, in input order.")
class IngestItemResult:
    """Accepted, duplicate (already seen, nothing changed), rejected (field and reason) or
    suppressed (it carries an erased identifier)."""

    index: int = strawberry.field(description="Position of the item in the list (0-based).")
    status: IngestStatus
    id: str | None = strawberry.field(description="Event id or record key, when known.")
    field: str | None = strawberry.field(description="The offending field, if rejected.")
    reason: str | None = strawberry.field(description="Why it was rejected.")


@strawberry.type(description="Totals and per-item results of one submitted batch.")
class IngestResult:
    """What the pipeline did with each item."""

    accepted: int
    duplicates: int
    rejected: int
    suppressed: int
    items: list[IngestItemResult]


def _result(batch: BatchResult) -> IngestResult:
    return IngestResult(
        accepted=batch.accepted,
        duplicates=batch.duplicates,
        rejected=batch.rejected,
        suppressed=batch.suppressed,
        items=[
            IngestItemResult(
                index=r.index, status=IngestStatus(r.status.value), id=r.id, field=r.field,
                reason=r.reason,
            )
            for r in batch.items
        ],
    )  # fmt: skip


def checked_items(
    argument: str, items: Sequence[object], limits: IngestLimits
) -> list[dict[str, Any]]:
    """The items as objects, or `BadRequest` naming the argument and what is wrong."""
    if len(items) > limits.max_items:
        raise BadRequest(
            f"{argument}: {len(items)} items exceed the limit of {limits.max_items} items per "
            "request: split the batch"
        )
    wrong = [i for i, item in enumerate(items) if not isinstance(item, dict)]
    if wrong:
        shown = ", ".join(f"{argument}[{i}]" for i in wrong[:5])
        more = f" (and {len(wrong) - 5} more)" if len(wrong) > 5 else ""
        raise BadRequest(f"{argument}: every item must be a JSON object: {shown}{more}")
    return [item for item in items if isinstance(item, dict)]


def _request(info: Info) -> Request:
    request = info.context.request
    if not isinstance(request, Request):  # a websocket: strawberry serves none here
        raise BadRequest("ingestion needs an HTTP request")
    return request


async def submit(
    info: Info,
    mutation: str,
    argument: str,
    items: Sequence[object],
    ingest: Callable[[Sequence[RawMessage]], Awaitable[BatchResult]],
) -> IngestResult:
    """Check the batch, send it through `ingest` item by item, count the results."""
    objects = checked_items(argument, items, get_ingest_limits(_request(info)))
    messages = [
        RawMessage(payload=item, origin=f"graphql:{mutation}[{i}]")
        for i, item in enumerate(objects)
    ]
    batch = await ingest(messages) if messages else BatchResult()
    for item_status, n in Counter(r.status for r in batch.items).items():
        INGEST_MESSAGES.labels(source=METRICS_SOURCE, status=str(item_status)).inc(n)
    return _result(batch)


@strawberry.type
class IngestMutation:
    """Submitting events and records through the ingestion pipeline."""

    @guarded_mutation(
        Operation.INGEST_EVENTS,
        "Ingest behavioural events (JSON objects, schema `ingestion/schemas/event.v1.json`) "
        "through the ingestion pipeline, like `POST /v1/events`: validated, deduplicated by "
        "`event_id` and written; rejected ones are dead-lettered with field and reason while "
        "the others go on. At most 10,000 per request by default.",
    )
    async def submit_events(self, info: Info, events: list[JSON]) -> IngestResult:
        """Per-item results of the events, in order."""
        pipeline = get_ingestor(_request(info))
        return await submit(info, "submitEvents", "events", events, pipeline.ingest_events)

    @guarded_mutation(
        Operation.INGEST_RECORDS,
        "Ingest source records (JSON objects, schema `ingestion/schemas/record.v1.json`) "
        "through the ingestion pipeline, like `POST /v1/records`: upserted by "
        "`source:source_id`, a version not newer than the stored one is a duplicate; "
        "rejected ones are dead-lettered with field and reason while the others go on.",
    )
    async def submit_records(self, info: Info, records: list[JSON]) -> IngestResult:
        """Per-item results of the records, in order."""
        pipeline = get_ingestor(_request(info))
        return await submit(info, "submitRecords", "records", records, pipeline.ingest_records)
