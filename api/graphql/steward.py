"""The stewards' review queue (cursor-paginated) and their operations (identity's
`StewardService`): approve, reject, split, undo. Every operation is audited with the API
key's actor name. Annotations: see `api.graphql.customers`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.errors import BadRequest
from api.graphql.permissions import Operation, guarded, guarded_mutation
from identity.steward import OperationResult, ReviewItem, StewardError

MAX_PAGE = 100
_CURSOR_PREFIX = "queue:"


@strawberry.enum(description="Status of a candidate pair.")
class MatchStatus(Enum):
    """`CANDIDATE_MATCH.status`."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETRACTED = "retracted"


@strawberry.type(description="A pair of records that may be the same person.")
class MergeCandidate:
    """A review-queue entry with the model's evidence and both records side by side."""

    left_key: str
    right_key: str
    probability: float | None
    match_weight: float | None
    status: MatchStatus
    evidence: JSON = strawberry.field(description="Each comparison's level and match weight.")
    left: JSON = strawberry.field(description="The left record's attributes.")
    right: JSON = strawberry.field(description="The right record's attributes.")


@strawberry.type
class MergeCandidateEdge:
    """One candidate and its cursor."""

    cursor: str
    node: MergeCandidate


@strawberry.type
class PageInfo:
    """Relay-style page information."""

    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of the review queue, most uncertain pairs first.")
class MergeCandidateConnection:
    """Edges plus page information."""

    edges: list[MergeCandidateEdge]
    page_info: PageInfo


@strawberry.type(description="A record that moved to another customer.")
class RecordMove:
    """`record_key` now belongs to `customer_id`."""

    record_key: str
    customer_id: strawberry.ID


@strawberry.type(description="What a steward operation changed; `auditId` undoes it.")
class StewardResult:
    """The audit entry, moved records and the customers now holding them."""

    audit_id: str
    action: str
    moved: list[RecordMove]
    customers: list[strawberry.ID]


def encode_cursor(offset: int) -> str:
    """An opaque cursor for a queue position."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The queue position after `cursor`; BAD_REQUEST when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith(_CURSOR_PREFIX) and (offset := int(text[len(_CURSOR_PREFIX) :])) >= 0:
            return offset + 1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadRequest("after: not a cursor of this list")


def candidate_of(item: ReviewItem) -> MergeCandidate:
    """The GraphQL view of a queue item."""
    return MergeCandidate(
        left_key=item.left_key,
        right_key=item.right_key,
        probability=item.probability,
        match_weight=item.match_weight,
        status=MatchStatus(item.status),
        evidence=JSON(item.evidence),
        left=JSON(item.left),
        right=JSON(item.right),
    )


def result_of(outcome: OperationResult) -> StewardResult:
    """The GraphQL view of an operation's outcome."""
    return StewardResult(
        audit_id=outcome.audit_id,
        action=outcome.action,
        moved=[
            RecordMove(record_key=k, customer_id=strawberry.ID(c))
            for k, c in sorted(outcome.moved.items())
        ],
        customers=[strawberry.ID(c) for c in outcome.customers],
    )


@strawberry.type
class StewardQuery:
    """Root fields of the steward domain."""

    @guarded(Operation.MATCHES_READ, "The review queue, paged by cursor.")
    async def merge_candidates(
        self,
        info: Info,
        status: MatchStatus = MatchStatus.PENDING,
        first: int = 20,
        after: str | None = None,
    ) -> MergeCandidateConnection:
        """`first` pairs (at most 100) after the `after` cursor."""
        if not 1 <= first <= MAX_PAGE:
            raise BadRequest(f"first: must be between 1 and {MAX_PAGE}")
        start = decode_cursor(after) if after is not None else 0
        steward = info.context.services.steward
        items = await steward.queue(status=status.value, limit=first + 1, offset=start)
        edges = [
            MergeCandidateEdge(cursor=encode_cursor(start + i), node=candidate_of(item))
            for i, item in enumerate(items[:first])
        ]
        return MergeCandidateConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(items) > first,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type
class StewardMutation:
    """Mutations of the steward domain; a refused operation is a BAD_REQUEST saying why."""

    @guarded_mutation(Operation.MATCHES_DECIDE, "Same person: the records' customers merge.")
    async def approve_match(
        self, info: Info, left_key: str, right_key: str, reason: str = ""
    ) -> StewardResult:
        """`StewardService.approve`."""
        steward, actor = info.context.services.steward, info.context.principal.actor
        return result_of(await _run(steward.approve(left_key, right_key, actor, reason)))

    @guarded_mutation(Operation.MATCHES_DECIDE, "Not the same person: never merged again.")
    async def reject_match(
        self, info: Info, left_key: str, right_key: str, reason: str = ""
    ) -> StewardResult:
        """`StewardService.reject`."""
        steward, actor = info.context.services.steward, info.context.principal.actor
        return result_of(await _run(steward.reject(left_key, right_key, actor, reason)))

    @guarded_mutation(Operation.CUSTOMERS_SPLIT, "Move records of a customer to a new one.")
    async def split_customer(
        self, info: Info, customer_id: strawberry.ID, record_keys: list[str], reason: str = ""
    ) -> StewardResult:
        """`StewardService.split`: every pair across the split becomes cannot-link."""
        steward, actor = info.context.services.steward, info.context.principal.actor
        outcome = await _run(steward.split(str(customer_id), record_keys, actor, reason))
        return result_of(outcome)

    @guarded_mutation(Operation.OPERATIONS_UNDO, "Restore the state before an audited operation.")
    async def undo_operation(self, info: Info, audit_id: str, reason: str = "") -> StewardResult:
        """`StewardService.undo`."""
        steward, actor = info.context.services.steward, info.context.principal.actor
        return result_of(await _run(steward.undo(audit_id, actor, reason)))


async def _run(operation: Awaitable[OperationResult]) -> OperationResult:
    """Await a steward operation; its refusals become BAD_REQUEST errors."""
    try:
        return await operation
    except StewardError as refused:
        raise BadRequest(str(refused)) from None
