"""Segments: their definitions, a segment's members (cursor-paginated customers), and the
mutations that define rule segments, evaluate memberships (`SegmentService`) and build
lookalike audiences from the served model's embeddings (`LookalikeService`, composed by
`customer_graph.runtime`). Behaviour clusters are `cluster:<n>` segments of `segments`.

A customer's own segments are `Customer.segments` (`api.graphql.customers`, through the
request's segments loader). Annotations: see `api.graphql.customers`.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.customers import Customer, customer_of
from api.graphql.errors import BadRequest, ModelUnavailable, NotFound
from api.graphql.permissions import Operation, guarded, guarded_mutation
from api.graphql.steward import PageInfo
from customer_graph.runtime import lookalike_service
from graph.model import from_millis
from segments.lookalike import EmbeddingsUnavailable, LookalikeReport
from segments.rfm import RFM_SEGMENTS
from segments.service import EvaluationReport, SegmentInfo, rfm_segment_id

MAX_PAGE = 100
_CURSOR_PREFIX = "member:"
READ = Operation.SEGMENTS_READ


def encode_cursor(customer_id: str) -> str:
    """An opaque cursor for a member (members are listed in customer id order)."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{customer_id}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    """The customer id after which the next page starts; BAD_REQUEST when not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_CURSOR_PREFIX) or len(text) == len(_CURSOR_PREFIX):
        raise BadRequest("after: not a cursor of this list")
    return text[len(_CURSOR_PREFIX) :]


@strawberry.type
class SegmentMemberEdge:
    """One member, its cursor, and when and how it entered the segment."""

    cursor: str
    node: Customer
    since: datetime | None = strawberry.field(description="The evaluation that first put it in.")
    score: float = strawberry.field(
        description="1.0 for a rule; R·100 + F·10 + M for RFM; closeness to the centroid "
        "(1 / (1 + distance)) for a cluster; cosine to the seed for a lookalike."
    )


@strawberry.type(description="A page of a segment's members, in customer id order.")
class SegmentMemberConnection:
    """Edges plus page information."""

    edges: list[SegmentMemberEdge]
    page_info: PageInfo


@strawberry.type(
    description="A rule segment, a named RFM segment, a behaviour cluster or a lookalike audience."
)
class Segment:
    """A stored segment: its definition and members."""

    id: strawberry.ID
    kind: str = strawberry.field(description="`rule`, `rfm`, `cluster` or `lookalike`.")
    name: str
    description: str
    definition: JSON = strawberry.field(
        description="The definition as stored: the rule language's JSON (README, Segments)."
    )
    member_count: int = strawberry.field(description="Members after the last evaluation.")

    @guarded(READ, "The members, paged by cursor (`first` at most 100).")
    async def members(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> SegmentMemberConnection:
        """One read for the page, one (the customers loader) for the customers."""
        if not 1 <= first <= MAX_PAGE:
            raise BadRequest(f"first: must be between 1 and {MAX_PAGE}")
        start = decode_cursor(after) if after is not None else ""
        service = info.context.services.segments
        page = await service.members(str(self.id), first=first + 1, after=start)
        shown = page[:first]
        nodes = await info.context.loaders.customers.load_many([m.customer_id for m in shown])
        edges = [
            SegmentMemberEdge(
                cursor=encode_cursor(m.customer_id),
                node=customer_of(node),
                since=from_millis(m.since) if m.since else None,
                score=m.score,
            )
            for m, node in zip(shown, nodes, strict=True)
            if node is not None  # a membership outlives no customer; skip one if it does
        ]
        return SegmentMemberConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(page) > first,
                end_cursor=encode_cursor(shown[-1].customer_id) if shown else None,
            ),
        )


def segment_of(found: SegmentInfo) -> Segment:
    """The GraphQL view of a stored segment."""
    return Segment(
        id=strawberry.ID(found.id),
        kind=found.kind,
        name=found.name,
        description=found.description,
        definition=JSON(json.loads(found.definition or "{}")),
        member_count=found.members,
    )


@strawberry.type(description="Members of one segment after an evaluation.")
class SegmentCount:
    """A segment id and its member count."""

    segment_id: strawberry.ID
    members: int


@strawberry.type(description="What an evaluation changed.")
class SegmentEvaluation:
    """Customers evaluated, memberships added and removed, members per evaluated segment."""

    evaluated_at: datetime
    customers: int
    added: int
    removed: int
    segments: list[SegmentCount]


def evaluation_of(report: EvaluationReport) -> SegmentEvaluation:
    """The GraphQL view of an evaluation report."""
    return SegmentEvaluation(
        evaluated_at=from_millis(report.now),
        customers=report.customers,
        added=report.added,
        removed=report.removed,
        segments=[
            SegmentCount(segment_id=strawberry.ID(s), members=n)
            for s, n in sorted(report.members.items())
        ],
    )


@strawberry.type(description="A lookalike audience just built, and who could not be compared.")
class LookalikeAudience:
    """The segment (`lookalike:<seed>:<size>`) and the counts of the build."""

    segment: Segment
    members: int = strawberry.field(description="Customers in the audience (at most `size`).")
    seed_members: int
    seed_without_embedding: int = strawberry.field(
        description="Seed members skipped: the served model has no embedding for them."
    )
    candidates: int = strawberry.field(description="Active non-seed customers compared.")
    candidates_without_embedding: int = strawberry.field(
        description="Active non-seed customers skipped for want of an embedding."
    )
    model_version: str
    added: int
    removed: int


def audience_of(report: LookalikeReport, found: SegmentInfo) -> LookalikeAudience:
    """The GraphQL view of a lookalike build."""
    return LookalikeAudience(
        segment=segment_of(found),
        members=report.members,
        seed_members=report.seed_members,
        seed_without_embedding=report.seed_without_embedding,
        candidates=report.candidates,
        candidates_without_embedding=report.candidates_without_embedding,
        model_version=report.model_version,
        added=report.added,
        removed=report.removed,
    )


@strawberry.type
class SegmentsQuery:
    """Root fields of the segments domain."""

    @guarded(READ, "Every segment (rule, RFM, behaviour cluster, lookalike), by id.")
    async def segments(self, info: Info) -> list[Segment]:
        """One read, with member counts."""
        return [segment_of(s) for s in await info.context.services.segments.list_segments()]

    @guarded(READ, "A segment by id (`rfm:<name>` for the RFM segments).")
    async def segment(self, info: Info, id: strawberry.ID) -> Segment | None:
        """Null when no segment has this id."""
        found = await info.context.services.segments.get(str(id))
        return None if found is None else segment_of(found)


@strawberry.type
class SegmentsMutation:
    """Mutations of the segments domain."""

    @guarded_mutation(
        Operation.SEGMENTS_DEFINE,
        "Create or replace a rule segment from its JSON definition; members follow at the "
        "next evaluation.",
    )
    async def define_segment(self, info: Info, definition: str) -> Segment:
        """`SegmentService.define`; a bad definition is a BAD_REQUEST naming each field."""
        try:
            found = await info.context.services.segments.define(definition)
        except ValueError as bad:
            raise BadRequest(str(bad)) from None
        return segment_of(found)

    @guarded_mutation(
        Operation.SEGMENTS_EVALUATE,
        "Re-evaluate every active customer against the given segments (null: all, RFM "
        "refitted) and write the differences.",
    )
    async def evaluate_segments(
        self, info: Info, segment_ids: list[str] | None = None
    ) -> SegmentEvaluation:
        """`SegmentService.evaluate_all`; unknown ids are NOT_FOUND before anything runs."""
        service = info.context.services.segments
        if segment_ids is not None:
            if not segment_ids:
                raise BadRequest("segmentIds: give at least one id, or null for all")
            known = {s.id for s in await service.list_segments(segment_ids)}
            known |= {rfm_segment_id(name) for name in RFM_SEGMENTS}
            unknown = [s for s in segment_ids if s not in known]
            if unknown:
                raise NotFound(f"segmentIds: no segment {unknown[0]!r}")
        return evaluation_of(await service.evaluate_all(segment_ids=segment_ids))

    @guarded_mutation(
        Operation.SEGMENTS_LOOKALIKE,
        "Build (or rebuild) `lookalike:<seed>:<size>`: the `size` active customers outside the "
        "seed segment whose embeddings in the served recommendation model are closest to the "
        "seed's (cosine to its centroid); customers without an embedding are skipped.",
    )
    async def build_lookalike(
        self, info: Info, seed_segment_id: strawberry.ID, size: int
    ) -> LookalikeAudience:
        """NOT_FOUND for an unknown seed, BAD_REQUEST for a bad size or a seed without any
        embedded member, MODEL_NOT_AVAILABLE without a served model."""
        services = info.context.services
        builder = lookalike_service(services.segments, services.recommendations)
        try:
            report = await builder.build(str(seed_segment_id), size)
        except KeyError as unknown:
            raise NotFound(str(unknown.args[0])) from None
        except ValueError as bad:
            raise BadRequest(str(bad)) from None
        except EmbeddingsUnavailable as missing:
            raise ModelUnavailable(str(missing)) from None
        found = await services.segments.get(report.segment_id)
        assert found is not None, "the build just wrote it"
        return audience_of(report, found)
