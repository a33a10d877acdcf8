"""Behaviour features, k-means clusters (k by silhouette) and the cluster segments."""

from __future__ import annotations

import json

import numpy as np
import pytest

from graph.port import GraphStore
from segments.behaviour_features import behaviour_features
from segments.cluster_segments import ClusterSegments
from segments.clusters import ClusterConfig, TooFewCustomers, fit_clusters
from segments.facts import CustomerFacts, InteractionFact
from segments.service import SegmentService
from tests.segments import behaviour_world
from tests.segments.conftest import DAY, NOW


def test_features_in_their_own_units_and_log_scaled_for_k_means() -> None:
    views = InteractionFact("G", "product_view", 3, 0, NOW - 2 * DAY, 3.0, "Garden", 4.0)
    bought = InteractionFact("K", "purchase", 2, 0, NOW - 5 * DAY, 99.0, "kitchen", 10.0)
    unpriced = InteractionFact("X", "purchase", 1, 0, NOW - 9 * DAY, 7.5, None, None)
    population = [
        CustomerFacts("A", {}, (views, bought, unpriced)),
        CustomerFacts("B", {}, (views,)),
        CustomerFacts("C", {}, ()),  # no behaviour: left out
    ]
    found = behaviour_features(population, NOW, max_categories=1)
    assert found.customer_ids == ["A", "B"]
    assert found.names == [
        "days_since_active",
        "product_view_events",
        "add_to_cart_events",
        "purchase_events",
        "spend",
        "share_garden",  # 6 garden events against 2 kitchen ones: the top category
    ]
    # A: last active 2 days ago; 3 views, 3 purchases; spend 2 x 10 + 7.5 (weight, no
    # price); 3 of its 6 events on garden items.
    assert found.raw[0].tolist() == [2.0, 3.0, 0.0, 3.0, 27.5, 0.5]
    assert found.raw[1].tolist() == [2.0, 3.0, 0.0, 0.0, 0.0, 1.0]
    assert np.allclose(found.model_input[:, :5], np.log1p(found.raw[:, :5]))
    assert np.array_equal(found.model_input[:, 5], found.raw[:, 5]), "shares as they are"
    assert (found.label("share_garden"), found.label("spend")) == ("garden share", "spend")
    with pytest.raises(ValueError, match="max_categories"):
        behaviour_features(population, NOW, max_categories=-1)


def test_k_by_silhouette_recovers_the_groups_deterministically() -> None:
    features = behaviour_features(behaviour_world.facts(), NOW)
    config = ClusterConfig(k_min=2, k_max=6, seed=7)
    found = fit_clusters(features, config)
    assert sorted(found.silhouettes) == [2, 3, 4, 5, 6]
    assert found.k == max(found.silhouettes, key=lambda k: found.silhouettes[k]) == 3
    groups = behaviour_world.members()
    cluster_of_group: dict[str, set[int]] = {}
    for cid, (number, score) in found.assignments.items():
        cluster_of_group.setdefault(groups[cid], set()).add(number)
        assert 0 < score <= 1
    assert all(len(numbers) == 1 for numbers in cluster_of_group.values()), cluster_of_group
    assert len({n for numbers in cluster_of_group.values() for n in numbers}) == 3
    assert [c.size for c in found.clusters] == [6, 6, 6]
    browsers = found.clusters[next(iter(cluster_of_group["browser"]))]
    assert "high product views" in browsers.name
    assert browsers.centroid["purchase_events"] == 0.0
    assert browsers.centroid["share_garden"] == 1.0
    assert "6 customers (33 %)" in browsers.description
    assert fit_clusters(features, config) == found, "same seed, same clusters"


def test_too_few_customers_and_bad_ranges_name_the_field() -> None:
    two = behaviour_world.facts()[:2]
    with pytest.raises(TooFewCustomers, match="k_min: 2 customers"):
        fit_clusters(behaviour_features(two, NOW), ClusterConfig())
    with pytest.raises(ValueError, match="k_min: must be at least 2"):
        ClusterConfig(k_min=1)
    with pytest.raises(ValueError, match="k_max: must not be below k_min"):
        ClusterConfig(k_min=4, k_max=3)


async def test_recompute_stores_cluster_segments_and_replaces_them(store: GraphStore) -> None:
    await behaviour_world.write(store, idle=("Z00",))
    service = SegmentService(store, batch_size=5)
    report = await ClusterSegments(service, ClusterConfig(k_min=2, k_max=5)).recompute(NOW)
    assert (report.k, report.customers, report.without_behaviour) == (3, 18, 1)
    assert (report.added, report.removed, report.deleted_segments) == (18, 0, [])
    listed = {s.id: s for s in await service.list_segments()}
    assert sorted(listed) == ["cluster:0", "cluster:1", "cluster:2"]
    first = listed["cluster:0"]
    assert (first.kind, first.members) == ("cluster", 6)
    definition = json.loads(first.definition)
    assert definition["k"] == 3
    assert set(definition["silhouettes"]) == {"2", "3", "4", "5"}
    assert first.description == report.clusters[0].description
    assert (await service.segments_of(["Z00"]))["Z00"] == [], "no behaviour, no cluster"
    # The same clustering as on the facts themselves: read from the graph, stored as fitted.
    pure = fit_clusters(
        behaviour_features(behaviour_world.facts(), NOW), ClusterConfig(k_min=2, k_max=5)
    )
    assert report.clusters == pure.clusters
    stored = {
        m.customer_id: (int(m.segment_id.split(":")[1]), m.score, m.since)
        for ms in (await service.segments_of(list(pure.assignments))).values()
        for m in ms
    }
    assert stored == {cid: (n, score, NOW) for cid, (n, score) in pure.assignments.items()}

    # A narrower range later: k = 2, the third cluster segment and its members go.
    again = await ClusterSegments(service, ClusterConfig(k_min=2, k_max=2)).recompute(NOW + 1)
    assert again.k == 2
    assert again.deleted_segments == ["cluster:2"]
    assert sorted(s.id for s in await service.list_segments()) == ["cluster:0", "cluster:1"]
    memberships = await service.segments_of(list(behaviour_world.members()))
    assert all(len(ms) == 1 for ms in memberships.values()), "one cluster per customer"
    assert again.added + 18 - again.removed == 18
