"""A customer's segment memberships (`Customer.segments`).

Its own module so `api.graphql.customers` can use the type while `api.graphql.segments`
imports `Customer` for a segment's members (no import cycle). Annotations: see
`api.graphql.customers`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.model import from_millis
from segments.service import Membership


@strawberry.type(description="A segment a customer is in.")
class SegmentMembership:
    """The segment's id, kind and name, when the customer entered it and the score."""

    segment_id: strawberry.ID
    kind: str = strawberry.field(description="`rule`, `rfm`, `cluster` or `lookalike`.")
    name: str
    since: datetime | None = strawberry.field(
        description="The evaluation that first put the customer in (kept while they stay)."
    )
    score: float = strawberry.field(
        description="1.0 for a rule; R·100 + F·10 + M for RFM; closeness to the centroid for a "
        "cluster; cosine to the seed for a lookalike."
    )


def membership_of(found: Membership) -> SegmentMembership:
    """The GraphQL view of a stored membership."""
    return SegmentMembership(
        segment_id=strawberry.ID(found.segment_id),
        kind=found.kind,
        name=found.name,
        since=from_millis(found.since) if found.since else None,
        score=found.score,
    )
