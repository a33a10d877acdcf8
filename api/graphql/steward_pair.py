"""The steward page's pair view: one candidate pair with both records, the model's weight per
comparison (for the waterfall chart), the identifiers they share, the customers each record
belongs to and what approving would merge. Annotations: see `api.graphql.customers`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.customers import Customer, Identifier, Record, identifier_of, load_customer
from api.graphql.customers import record_of as record_view
from api.graphql.errors import NotFound
from api.graphql.permissions import Operation, field, guarded
from api.graphql.steward import MatchStatus
from graph.model import from_millis
from graph.port import GraphStore
from identity import graph_reads
from identity.links import pair as canonical


@strawberry.type(description="One comparison's contribution to the match weight.")
class ComparisonWeight:
    """Splink's level reached by one comparison, its weight and term-frequency adjustment."""

    comparison: str
    level: str
    gamma: int | None
    match_weight: float
    tf_adjustment: float


@strawberry.type(description="What approving the pair would do.")
class MergePreview:
    """The surviving customer (the larger keeps its id), the one retired, and any refusal."""

    same_customer: bool
    keep_customer_id: strawberry.ID | None
    retire_customer_id: strawberry.ID | None
    moving_records: list[str] = strawberry.field(description="Records that would change customer.")
    record_count: int = strawberry.field(description="Records of the customer afterwards.")
    blocked_by: str | None = strawberry.field(description="Why approval would be refused.")


@strawberry.type(description="A candidate pair with everything a steward decides on.")
class ReviewPair:
    """The pair, its evidence, both records and customers, shared identifiers, the preview."""

    left_key: str
    right_key: str
    status: MatchStatus
    probability: float | None
    match_weight: float | None
    queued_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    evidence: JSON = strawberry.field(description="The stored evidence, as the model wrote it.")
    prior_weight: float | None = strawberry.field(
        description="The weight before any comparison (Splink's prior): the waterfall's start."
    )
    comparisons: list[ComparisonWeight]
    left: Record | None
    right: Record | None
    preview: MergePreview
    left_customer_id: strawberry.Private[str | None]
    right_customer_id: strawberry.Private[str | None]

    @field("The customer the left record belongs to now.")
    async def left_customer(self, info: Info) -> Customer | None:
        """Through the customers loader."""
        return await _customer(info, self.left_customer_id)

    @field("The customer the right record belongs to now.")
    async def right_customer(self, info: Info) -> Customer | None:
        """Through the customers loader."""
        return await _customer(info, self.right_customer_id)

    @field("Identifiers both records hold (emails and phones are keyed hashes).")
    async def shared_identifiers(self, info: Info) -> list[Identifier]:
        """Through the identifiers loader, in key order."""
        left, right = await info.context.loaders.identifiers.load_many(
            [self.left_key, self.right_key]
        )
        keys = {i.key for i in right}
        return [identifier_of(i) for i in left if i.key in keys]


async def _customer(info: Info, customer_id: str | None) -> Customer | None:
    if customer_id is None:
        return None
    return await load_customer(info.context.loaders, customer_id, follow=False)


def comparisons_of(evidence: dict[str, Any]) -> list[ComparisonWeight]:
    """The comparisons of stored evidence (`{"comparisons": [...]}`; other shapes: none)."""
    found = evidence.get("comparisons")
    if not isinstance(found, list):
        return []
    return [
        ComparisonWeight(
            comparison=str(c.get("comparison", "")),
            level=str(c.get("level", "")),
            gamma=int(c["gamma"]) if isinstance(c.get("gamma"), int) else None,
            match_weight=float(c.get("match_weight") or 0.0),
            tf_adjustment=float(c.get("tf_adjustment") or 0.0),
        )
        for c in found
        if isinstance(c, dict)
    ]


def prior_of(match_weight: float | None, comparisons: list[ComparisonWeight]) -> float | None:
    """The prior: the total weight less every comparison's weight and adjustment."""
    if match_weight is None or not comparisons:
        return None
    return round(match_weight - sum(c.match_weight + c.tf_adjustment for c in comparisons), 4)


async def merge_preview(
    store: GraphStore, left: str, right: str, owners: dict[str, str | None]
) -> MergePreview:
    """What `StewardService.approve` would do now (read only): which customer keeps its id,
    which records move, and whether a rejected pair would end up inside one customer."""
    a, b = owners.get(left), owners.get(right)
    if not a or not b or a == b:
        return MergePreview(
            same_customer=bool(a) and a == b,
            keep_customer_id=strawberry.ID(a) if a else None,
            retire_customer_id=None,
            moving_records=[],
            record_count=0,
            blocked_by=None,
        )
    members = await graph_reads.customer_records(store, [a, b])
    ka, kb = members.get(a, []), members.get(b, [])
    _, rejected = await graph_reads.decided_pairs(store, ka + kb)
    crossing = sorted(p for p in rejected if (p[0] in ka) != (p[1] in ka))
    keep, move = (a, b) if (len(ka), b) >= (len(kb), a) else (b, a)
    blocked = None
    if crossing:
        blocked = f"{crossing[0][0]} and {crossing[0][1]} were rejected as different people"
    return MergePreview(
        same_customer=False,
        keep_customer_id=strawberry.ID(keep),
        retire_customer_id=strawberry.ID(move),
        moving_records=sorted(members.get(move, [])),
        record_count=len(ka) + len(kb),
        blocked_by=blocked,
    )


def _time(millis: Any) -> datetime | None:
    return from_millis(int(millis)) if isinstance(millis, int | float) else None


@strawberry.type
class StewardPairQuery:
    """Root fields of the steward page's pair view."""

    @guarded(Operation.MATCHES_READ, "One candidate pair, in either key order.")
    async def review_pair(self, info: Info, left_key: str, right_key: str) -> ReviewPair:
        """NOT_FOUND when the two records were never paired."""
        store = info.context.services.store
        left, right = canonical(left_key, right_key)
        found = await store.read("matches/get_pair", {"left_key": left, "right_key": right})
        if not found:
            raise NotFound(f"no candidate pair {left} | {right}")
        row = found[0]
        nodes = await store.read("records/get_records", {"keys": [left, right]})
        records = {str(n["record"]["key"]): n for n in nodes}
        owners = {k: records[k]["customer_id"] if k in records else None for k in (left, right)}
        evidence: dict[str, Any] = json.loads(row["evidence"] or "{}")
        comparisons = comparisons_of(evidence)
        return ReviewPair(
            left_key=left,
            right_key=right,
            status=MatchStatus(row["status"]),
            probability=row["probability"],
            match_weight=row["match_weight"],
            queued_at=_time(row["created_at"]),
            decided_by=row["decided_by"],
            decided_at=_time(row["decided_at"]),
            reason=row["reason"] or None,
            evidence=JSON(evidence),
            prior_weight=prior_of(row["match_weight"], comparisons),
            comparisons=comparisons,
            left=record_view(records[left]["record"]) if left in records else None,
            right=record_view(records[right]["record"]) if right in records else None,
            preview=await merge_preview(store, left, right, owners),
            left_customer_id=owners[left],
            right_customer_id=owners[right],
        )
