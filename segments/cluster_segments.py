"""Behaviour clusters as segments: `cluster:<n>` segments, recomputed from the whole population.

A recompute reads every active customer's facts (`SegmentService.population`), builds the
behaviour features, fits k-means (`segments.clusters`, off the event loop), upserts one
`Segment {kind: "cluster"}` per cluster (its definition holds the description, k, the
silhouette of every k tried and the centroid in raw units), writes the membership
differences (score: closeness to the centroid) and deletes cluster segments of a previous
fit with a larger k. Cluster numbers follow size (0 is the largest), so they may name
different behaviour after a recompute; `since` is kept while a customer stays in a number.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from segments.behaviour_features import behaviour_features
from segments.clusters import Cluster, ClusterConfig, fit_clusters
from segments.membership_writes import Key, write_differences
from segments.service import SegmentService

CLUSTER_PREFIX = "cluster:"


def cluster_segment_id(number: int) -> str:
    """The segment id of cluster `number`."""
    return f"{CLUSTER_PREFIX}{number}"


@dataclass
class ClusterReport:
    """What a recompute found and changed."""

    fitted_at: int
    k: int
    silhouettes: dict[int, float]
    customers: int  # clustered: active customers with interactions
    without_behaviour: int  # active customers without any interaction: in no cluster
    added: int = 0
    removed: int = 0
    deleted_segments: list[str] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)


class ClusterSegments:
    """Recomputes the behaviour cluster segments."""

    def __init__(
        self, segments: SegmentService, config: ClusterConfig, max_categories: int = 12
    ) -> None:
        self.segments = segments
        self.config = config
        self.max_categories = max_categories

    async def recompute(self, now: int | None = None) -> ClusterReport:
        """Fit the clusters on the current population and store them as segments."""
        now = self.segments.clock() if now is None else now
        population = await self.segments.population()
        features = behaviour_features(population, now, self.max_categories)
        clustering = await asyncio.to_thread(fit_clusters, features, self.config)
        store = self.segments.store
        rows = [
            {
                "id": cluster_segment_id(c.number),
                "kind": "cluster",
                "name": c.name,
                "definition": json.dumps(
                    {
                        "description": c.description,
                        "cluster": c.number,
                        "size": c.size,
                        "k": clustering.k,
                        "silhouette": clustering.silhouettes[clustering.k],
                        "silhouettes": {str(k): s for k, s in clustering.silhouettes.items()},
                        "centroid": c.centroid,
                        "seed": self.config.seed,
                        "fitted_at": now,
                    },
                    sort_keys=True,
                ),
            }
            for c in clustering.clusters
        ]
        current = [str(r["id"]) for r in rows]
        before = [s.id for s in await self.segments.list_segments() if s.kind == "cluster"]
        stale = [s for s in before if s not in current]
        await store.write_batch("segments/upsert_segments", rows)
        memberships = await store.read("segments/memberships", {"segment_ids": current + stale})
        existing: dict[Key, float] = {}
        stale_members = 0
        for r in memberships:
            if str(r["segment_id"]) in stale:
                stale_members += 1
            else:
                existing[(str(r["customer_id"]), str(r["segment_id"]))] = float(r["score"])
        desired = {
            (cid, cluster_segment_id(number)): score
            for cid, (number, score) in clustering.assignments.items()
        }
        added, removed = await write_differences(store, desired, existing, now)
        if stale:
            await store.write("segments/delete_segments", {"ids": stale})
        return ClusterReport(
            fitted_at=now,
            k=clustering.k,
            silhouettes=clustering.silhouettes,
            customers=len(features.customer_ids),
            without_behaviour=len(population) - len(features.customer_ids),
            added=added,
            removed=removed + stale_members,
            deleted_segments=stale,
            clusters=clustering.clusters,
        )
