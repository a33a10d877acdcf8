"""Resolving one new (or changed) record as it arrives: join, merge, create or queue."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from graph.port import GraphStore
from identity import graph_reads
from identity.clustering import cluster
from identity.config import IdentityConfig
from identity.deterministic import identifier_links, shared_identifier_pairs
from identity.evidence import ScoredPair, guard
from identity.links import Link, LinkKind, pair
from identity.match_keys import name_key, swapped_name_key
from identity.records import MatchRecord
from identity.resolution import limited_values
from identity.scoring import PairScorer
from identity.stable_ids import IdAssignment, assign_ids

# Stands in for a missing blocking value: FalkorDB answers `r.prop = null` with a label scan
# (18 ms at 100k records) instead of the index. A record really holding it would only add a
# harmless candidate.
NO_VALUE = "~no value~"


class IncrementalOutcome(BaseModel):
    """What happened to one record."""

    record_key: str
    customer_id: str | None
    action: str  # joined | merged | created | unchanged | missing
    merged_customers: list[str] = []
    review_queued: int = 0
    candidates: int = 0


@dataclass
class IncrementalPlan:
    """The local clustering around one record, before it is written."""

    outcome: IncrementalOutcome
    clusters: list[set[str]] = field(default_factory=list)
    ids: IdAssignment | None = None
    records: dict[str, MatchRecord] = field(default_factory=dict)
    review: list[ScoredPair] = field(default_factory=list)


def candidate_params(record: MatchRecord, config: IdentityConfig) -> dict[str, Any]:
    """Parameters of identity/candidate_records: the record's blocking values."""
    row = record.model_row(config.junk_dates)
    first, last = record.attrs.get("first_name"), record.attrs.get("last_name")
    blocked = config.protection.blocked_keys
    emails = [k for k in record.identifiers if k.startswith("email:")]
    # The local part of a blocklisted placeholder email (`test` of test@test.com) is as much
    # a placeholder: its block would be $limit arbitrary records of thousands.
    placeholder_email = bool(emails) and all(k in blocked for k in emails)
    return {
        "key": record.key,
        # A blocklisted placeholder (test@test.com) can be held by thousands of records.
        "identifier_keys": [k for k in record.identifiers if k not in blocked],
        "name_key": name_key(first, last) or NO_VALUE,
        "swapped_name_key": swapped_name_key(first, last) or NO_VALUE,
        "dob_key": row["date_of_birth"] or NO_VALUE,
        "postcode_key": row["postcode"] or NO_VALUE,
        "email_local": (None if placeholder_email else row["email_local"]) or NO_VALUE,
        "limit": config.max_candidates,  # a larger block is over-shared: left out
        "over": config.max_candidates + 1,
    }


async def plan_record(
    store: GraphStore, key: str, scorer: PairScorer, config: IdentityConfig
) -> IncrementalPlan:
    """Score one record against its candidates and cluster it with the customers it links to.

    Three reads, each one round trip: the record; its blocked candidates with their
    attributes (and, alongside, how many records hold each of its identifiers); then the
    records of the customers it links to, with the steward decisions touching them."""
    found = await graph_reads.records_by_keys(store, [key])
    if not found:
        return IncrementalPlan(
            IncrementalOutcome(record_key=key, customer_id=None, action="missing")
        )
    record = found[0]
    candidates, counts = await asyncio.gather(
        graph_reads.candidate_records(store, candidate_params(record, config)),
        graph_reads.identifier_record_counts(store, record.identifiers),
    )
    rows = {r.key: r.model_row(config.junk_dates) for r in (record, *candidates)}
    scores = guard(
        scorer.score(rows[record.key], [rows[c.key] for c in candidates]) if candidates else [],
        config.conflict_comparisons,
    )
    scored = {pair(record.key, c.key): s for c, s in zip(candidates, scores, strict=True)}
    id_pairs, _ = shared_identifier_pairs([record, *candidates], config.protection, counts)
    id_pairs = [p for p in id_pairs if record.key in (p.left, p.right)]
    probabilities = {k: s.match_probability for k, s in scored.items()}
    links, _ = identifier_links(
        id_pairs, probabilities, config.protection, config.review_threshold, config.veto_threshold
    )
    links += [
        Link(*k, LinkKind.MODEL, probability=s.match_probability)
        for k, s in scored.items()
        if s.match_probability >= config.auto_merge_threshold
    ]
    by_key = {c.key: c for c in candidates}
    linked = {other for link in links for other in (link.left, link.right)} - {record.key}
    customers = {c for c in (by_key[k].customer_id for k in linked) if c is not None}
    if record.customer_id:
        customers.add(record.customer_id)
    around = await graph_reads.neighbourhood(store, sorted(customers), [record.key, *linked])
    # Only the records being clustered: a candidate left out keeps its customer untouched.
    local = {r.key: r for r in (record, *(by_key[k] for k in linked), *around.records)}
    members = around.members(customers)
    approved, rejected = around.approved, around.rejected
    links += [Link(a, b, LinkKind.APPROVED) for a, b in approved if a in local and b in local]
    # Existing customers are applied first, as they stand: incremental resolution only joins
    # and merges; splitting a customer is a full run's or a steward's decision.
    existing = [
        Link(ks[0], k, LinkKind.APPROVED, detail="existing customer")
        for ks in members.values()
        for k in ks[1:]
    ]
    local_records = [local[k] for k in sorted(local)]
    clustering = cluster(
        [r.key for r in local_records],
        [*existing, *links],
        rejected,
        limited_values(local_records, config),
        config.protection.max_values_per_customer,
    )
    mine = next(c for c in clustering.clusters if record.key in c)
    clusters = clustering.clusters
    previous = {k: r.customer_id for k, r in local.items() if r.customer_id}
    ids = assign_ids(clusters, previous)
    cid = ids.record_ids(clusters)[record.key]
    decided = approved | rejected
    review = [
        s
        for k, s in scored.items()
        if config.review_threshold <= s.match_probability < config.auto_merge_threshold
        and k not in decided
        and not ({k[0], k[1]} <= mine)
    ]
    merged = sorted({previous[k] for k in mine if k in previous} - {cid})
    action = _action(record, cid, merged, ids)
    outcome = IncrementalOutcome(
        record_key=key,
        customer_id=cid,
        action=action,
        merged_customers=merged,
        review_queued=len(review),
        candidates=len(candidates),
    )
    return IncrementalPlan(outcome, clusters, ids, local, review)


def _action(record: MatchRecord, cid: str, merged: Sequence[str], ids: IdAssignment) -> str:
    if merged:
        return "merged"
    if record.customer_id == cid:
        return "unchanged"
    return "created" if cid in ids.created else "joined"
