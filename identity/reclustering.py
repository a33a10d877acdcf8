"""One customer's records re-examined: the links that hold them together (explanation), and
re-clustering after a new cannot-link (a steward's rejection)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel

from identity import graph_reads
from identity.clustering import cluster
from identity.deterministic import identifier_links, shared_identifier_pairs
from identity.evidence import ScoredPair, guard
from identity.links import Link, LinkKind
from identity.records import MatchRecord
from identity.resolution import limited_values
from identity.scoring import score_pairs
from identity.stable_ids import assign_ids

if TYPE_CHECKING:
    from identity.service import IdentityService


class LinkExplanation(BaseModel):
    """Why two records of a customer belong together."""

    left_key: str
    right_key: str
    kind: str  # approved | identifier | model | weak_identifier
    reason: str
    probability: float | None
    evidence: dict[str, object] | None


@dataclass
class CustomerLinks:
    """A customer's records, the links among them, and the stewards' rejections."""

    records: list[MatchRecord]
    links: list[Link]
    scored: dict[tuple[str, str], ScoredPair]
    rejected: set[tuple[str, str]]


async def customer_links(identity: IdentityService, customer_id: str) -> CustomerLinks:
    """Every link among a customer's records, recomputed with the current model and rules."""
    store, config = identity.store, identity.config
    keys = (await graph_reads.customer_records(store, [customer_id])).get(customer_id, [])
    records = await graph_reads.records_by_keys(store, keys)
    rows = {r.key: r.model_row(config.junk_dates) for r in records}
    ordered = sorted(rows)
    pairs = [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]]
    _, _, scorer = identity.current_model()
    scored = guard(list(score_pairs(scorer, rows, pairs).values()), config.conflict_comparisons)
    probabilities = {(s.left, s.right): s.match_probability for s in scored}
    counts = await graph_reads.identifier_record_counts(
        store, sorted({i for r in records for i in r.identifiers})
    )
    id_pairs, _ = shared_identifier_pairs(records, config.protection, counts)
    links, _ = identifier_links(
        id_pairs, probabilities, config.protection, config.review_threshold, config.veto_threshold
    )
    links += [
        Link(a, b, LinkKind.MODEL, probability=p)
        for (a, b), p in probabilities.items()
        if p >= config.auto_merge_threshold
    ]
    approved, rejected = await graph_reads.decided_pairs(store, ordered)
    links += [Link(a, b, LinkKind.APPROVED) for a, b in approved if a in rows and b in rows]
    return CustomerLinks(records, links, {(s.left, s.right): s for s in scored}, rejected)


def explain(found: CustomerLinks) -> list[LinkExplanation]:
    """The links, strongest kind first, each with its reason and the model's evidence."""
    explained = []
    for link in sorted(found.links, key=Link.order):
        scored = found.scored.get((link.left, link.right))
        explained.append(
            LinkExplanation(
                left_key=link.left,
                right_key=link.right,
                kind=link.kind.name.lower(),
                reason=link.reason(),
                probability=scored.match_probability if scored else None,
                evidence=scored.evidence_json() if scored else None,
            )
        )
    return explained


async def recluster_moves(
    identity: IdentityService, customer_id: str, extra_rejected: set[tuple[str, str]]
) -> dict[str, str]:
    """Records of the customer that must move (to new customers) once the extra cannot-link
    pairs hold; the largest remaining group keeps the customer id."""
    found = await customer_links(identity, customer_id)
    ordered = sorted(r.key for r in found.records)
    clustering = cluster(
        ordered,
        found.links,
        found.rejected | extra_rejected,
        limited_values(found.records, identity.config),
        identity.config.protection.max_values_per_customer,
    )
    ids = assign_ids(clustering.clusters, dict.fromkeys(ordered, customer_id))
    return {k: c for k, c in ids.record_ids(clustering.clusters).items() if c != customer_id}
