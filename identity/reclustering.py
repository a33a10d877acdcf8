"""Re-clustering one customer's records after a new cannot-link (a steward's rejection)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity import graph_reads
from identity.clustering import cluster
from identity.deterministic import identifier_links, shared_identifier_pairs
from identity.evidence import guard
from identity.links import Link, LinkKind
from identity.resolution import limited_values
from identity.scoring import score_pairs
from identity.stable_ids import assign_ids

if TYPE_CHECKING:
    from identity.service import IdentityService


async def recluster_moves(
    identity: IdentityService, customer_id: str, extra_rejected: set[tuple[str, str]]
) -> dict[str, str]:
    """Records of the customer that must move (to new customers) once the extra cannot-link
    pairs hold; the largest remaining group keeps the customer id."""
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
    clustering = cluster(
        ordered,
        links,
        rejected | extra_rejected,
        limited_values(records, config),
        config.protection.max_values_per_customer,
    )
    ids = assign_ids(clustering.clusters, dict.fromkeys(ordered, customer_id))
    return {k: c for k, c in ids.record_ids(clustering.clusters).items() if c != customer_id}
