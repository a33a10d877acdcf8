"""`POST /v1/events` and `POST /v1/records`: a batch of messages into the ingestion pipeline.

Body: a JSON array of objects, `[{…}, {…}]`, or the same array wrapped as `{"items": [...]}`.
Each object goes to the pipeline as it is, as `RawMessage(payload=<the object>,
origin="http:/v1/events[<index>]")`: the pipeline validates every item itself and writes the
rejected ones to the dead-letter store, so this module checks only the envelope.

Both need an `X-API-Key` whose role may ingest (api/rest_keys.py): 401 without one or with
an unknown one, 403 for a role that may not. Answers `200` with per-item results whenever
the envelope is fine, also when items are rejected. Envelope errors: `400` (not JSON),
`422` (JSON, but not an array of objects), `413` (more bytes or items than allowed), `415`
(compressed body). The byte limit is checked against `Content-Length` before anything is
read, and again while the body streams in, so a chunked or lying client cannot make the
process buffer more than the limit.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from api.dependencies import IngestLimits, IngestLimitsDep, IngestorDep
from api.graphql.permissions import Operation
from api.rest_keys import requires
from ingestion.metrics import INGEST_MESSAGES
from ingestion.results import BatchResult, ItemStatus, RawMessage

router = APIRouter(prefix="/v1", tags=["ingest"])

EVENTS_PATH = "/v1/events"
RECORDS_PATH = "/v1/records"


class ItemResultOut(BaseModel):
    """The fate of one item, in input order."""

    index: int = Field(description="Position of the item in the request (0-based).")
    status: ItemStatus
    id: str | None = Field(default=None, description="Event id or record key, when known.")
    field: str | None = Field(default=None, description="The offending field, if rejected.")
    reason: str | None = Field(default=None, description="Why it was rejected.")


class IngestResponse(BaseModel):
    """Totals and per-item results of one request."""

    accepted: int
    duplicates: int
    rejected: int
    items: list[ItemResultOut]


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            'A JSON array of items, or `{"items": [...]}`. Each item is validated by the '
            "pipeline (schemas in `ingestion/schemas.py`); invalid items are rejected one by "
            "one, the others are written."
        ),
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "array", "items": {"type": "object"}},
                        {
                            "type": "object",
                            "required": ["items"],
                            "properties": {"items": {"type": "array", "items": {"type": "object"}}},
                        },
                    ]
                }
            }
        },
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON."},
    401: {"description": "No `X-API-Key`, or an unknown one."},
    403: {"description": "The key's role may not ingest this kind of item."},
    413: {"description": "The body has more bytes or items than allowed."},
    415: {"description": "The body is compressed (`Content-Encoding`)."},
    422: {"description": "The body is JSON, but not an array of objects."},
}


@router.post(
    "/events",
    response_model=IngestResponse,
    responses=_ERRORS,
    openapi_extra=_BODY_DOC,
    summary="Ingest behavioural events",
    dependencies=[Depends(requires(Operation.INGEST_EVENTS))],
)
async def post_events(
    request: Request, ingestor: IngestorDep, limits: IngestLimitsDep
) -> IngestResponse:
    """Validate, deduplicate (by `event_id`) and write events; per-item results."""
    return await _ingest(request, limits, EVENTS_PATH, ingestor.ingest_events)


@router.post(
    "/records",
    response_model=IngestResponse,
    responses=_ERRORS,
    openapi_extra=_BODY_DOC,
    summary="Ingest source records",
    dependencies=[Depends(requires(Operation.INGEST_RECORDS))],
)
async def post_records(
    request: Request, ingestor: IngestorDep, limits: IngestLimitsDep
) -> IngestResponse:
    """Validate and upsert source records (CRM rows, web accounts, app profiles)."""
    return await _ingest(request, limits, RECORDS_PATH, ingestor.ingest_records)


async def _ingest(
    request: Request,
    limits: IngestLimits,
    path: str,
    ingest: Callable[[Sequence[RawMessage]], Awaitable[BatchResult]],
) -> IngestResponse:
    body = await read_body_limited(request, limits.max_body_bytes)
    items = parse_items(body, limits.max_items)
    messages = [
        RawMessage(payload=item, origin=f"http:{path}[{i}]") for i, item in enumerate(items)
    ]
    result = await ingest(messages) if messages else BatchResult()
    for item_status, n in Counter(r.status for r in result.items).items():
        INGEST_MESSAGES.labels(source="http", status=str(item_status)).inc(n)
    return IngestResponse(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=result.rejected,
        items=[
            ItemResultOut(index=r.index, status=r.status, id=r.id, field=r.field, reason=r.reason)
            for r in result.items
        ],
    )


async def read_body_limited(request: Request, max_bytes: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `max_bytes`."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"Content-Encoding {encoding!r} is not supported: send uncompressed JSON",
        )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "Content-Length is not a number")
        if int(declared) > max_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"request body of {int(declared)} bytes exceeds the limit of {max_bytes} bytes",
            )
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"request body exceeds the limit of {max_bytes} bytes",
            )
        chunks.append(chunk)
    return b"".join(chunks)


class _NonStandardJSONError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonStandardJSONError(f"{name} is not valid JSON")


_EXPECTED = 'expected a JSON array of objects, or {"items": [...]}'


def parse_items(body: bytes, max_items: int) -> list[dict[str, Any]]:
    """The items of an ingest body; HTTP 400/413/422 naming what is wrong."""
    if not body.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"request body is empty: {_EXPECTED}")
    try:
        document = json.loads(body, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        ) from None
    except UnicodeDecodeError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "request body is not UTF-8 encoded JSON"
        ) from None
    except _NonStandardJSONError as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"request body is not valid JSON: {exc}"
        ) from None
    except RecursionError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "request body is nested too deeply"
        ) from None

    items = _unwrap(document)
    if len(items) > max_items:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{len(items)} items exceed the limit of {max_items} items per request: "
            "split the batch",
        )
    wrong = [(i, item) for i, item in enumerate(items) if not isinstance(item, dict)]
    if wrong:
        shown = ", ".join(f"item {i} is {_json_type(item)}" for i, item in wrong[:5])
        more = f" (and {len(wrong) - 5} more)" if len(wrong) > 5 else ""
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"every item must be a JSON object: {shown}{more}",
        )
    return items


def _unwrap(document: object) -> list[Any]:
    """The item array of a parsed body: the array itself, or the `items` of a wrapper object."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{_EXPECTED}; got {_json_type(document)}"
        )
    if "items" not in document:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{_EXPECTED}; got an object without an 'items' key "
            "(to send one item, wrap it in an array)",
        )
    extra = sorted(set(document) - {"items"})
    if extra:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{_EXPECTED}; unexpected top-level keys: {', '.join(map(repr, extra[:5]))}",
        )
    items = document["items"]
    if not isinstance(items, list):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"'items' must be an array of objects, got {_json_type(items)}",
        )
    return items


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
