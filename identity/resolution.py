"""Full resolution: every record in the graph, re-clustered with stable customer ids."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from identity.batch_scoring import predict_pairs
from identity.clustering import cluster
from identity.config import IdentityConfig
from identity.deterministic import identifier_links, shared_identifier_pairs
from identity.evidence import ScoredPair, guard
from identity.links import Link, LinkKind, pair
from identity.records import MatchRecord
from identity.scoring import PairScorer, score_pairs
from identity.stable_ids import IdAssignment, assign_ids
from identity.training import TrainedModel

Progress = Callable[[str], None]


class ResolutionReport(BaseModel):
    """What a full resolution run found and changed."""

    records: int
    customers: int
    created: int
    merged: int
    split: int
    retired: int
    identifier_links: int
    model_links: int
    approved_links: int
    refused_links: int
    protected_values: int
    review_queued: int
    scored_pairs: int
    model_version: str | None = None
    seconds: float = 0.0


@dataclass
class ResolutionPlan:
    """The outcome of resolution before it is written."""

    clusters: list[set[str]]
    ids: IdAssignment
    review: list[ScoredPair]
    links: list[Link]
    refused: list[tuple[Link, str]]
    refused_identifiers: int
    protected: int
    scored: int


def limited_values(
    records: Sequence[MatchRecord], config: IdentityConfig
) -> dict[str, dict[str, set[str]]]:
    """Per record, its values of the identifier types limited per customer."""
    limits = config.protection.max_values_per_customer
    return {
        r.key: {t: set(r.identifier_values(t)) for t in limits if r.identifier_values(t)}
        for r in records
    }


def plan_resolution(
    records: Sequence[MatchRecord],
    model: TrainedModel,
    scorer: PairScorer,
    config: IdentityConfig,
    approved: set[tuple[str, str]],
    rejected: set[tuple[str, str]],
    progress: Progress | None = None,
) -> ResolutionPlan:
    """Score, link and cluster all records; nothing is written."""
    note = progress or (lambda message: None)
    rows = {r.key: r.model_row(config.junk_dates) for r in records}
    note(f"scoring blocked pairs of {len(records):,} records")
    scored = guard(
        predict_pairs(model, list(rows.values()), config.review_threshold),
        config.conflict_comparisons,
    )
    probabilities = {(p.left, p.right): p.match_probability for p in scored}
    id_pairs, protected = shared_identifier_pairs(records, config.protection)
    unscored = [(p.left, p.right) for p in id_pairs if (p.left, p.right) not in probabilities]
    note(f"scoring {len(unscored):,} identifier pairs below the review threshold")
    extra = guard(list(score_pairs(scorer, rows, unscored).values()), config.conflict_comparisons)
    probabilities.update({(p.left, p.right): p.match_probability for p in extra})
    links, refused_identifiers = identifier_links(
        id_pairs,
        probabilities,
        config.protection,
        config.review_threshold,
        config.veto_threshold,
    )
    links += [
        Link(p.left, p.right, LinkKind.MODEL, probability=p.match_probability)
        for p in scored
        if p.match_probability >= config.auto_merge_threshold
    ]
    links += [Link(a, b, LinkKind.APPROVED) for a, b in approved if a in rows and b in rows]
    note("clustering")
    clustering = cluster(
        rows,
        links,
        rejected,
        limited_values(records, config),
        config.protection.max_values_per_customer,
    )
    previous = {r.key: r.customer_id for r in records if r.customer_id}
    ids = assign_ids(clustering.clusters, previous)
    cluster_of = ids.record_ids(clustering.clusters)
    decided = approved | rejected
    review = [
        p
        for p in scored
        if config.review_threshold <= p.match_probability < config.auto_merge_threshold
        and pair(p.left, p.right) not in decided
        and cluster_of[p.left] != cluster_of[p.right]
    ]
    return ResolutionPlan(
        clustering.clusters,
        ids,
        review,
        clustering.accepted,
        clustering.refused,
        len(refused_identifiers),
        len(protected),
        len(scored) + len(unscored),
    )
