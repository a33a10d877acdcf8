"""SegmentService on the real embedded store: define, evaluate all, incremental, members."""

from __future__ import annotations

import pytest

from graph.port import GraphStore
from segments.service import SegmentService, rfm_segment_id
from tests.contract.query_cases import apply, interaction
from tests.segments.conftest import MIN, NOW, at

GARDEN_NOW = {
    "id": "garden-now",
    "name": "Viewed garden in the last 5 minutes",
    "rule": {"event": "product_view", "category": "garden", "within": "5m"},
}
BUYERS = {
    "id": "buyers",
    "name": "3+ purchases in 30 days",
    "rule": {"event": "purchase", "within": "30d", "min_count": 3},
}
GB_ACTIVE = {
    "id": "gb-active",
    "name": "GB, not hibernating",
    "description": "UK customers worth a campaign",
    "rule": {"all": [{"profile": "country", "equals": "gb"}, {"not": {"rfm": ["about_to_sleep"]}}]},
}


async def members(service: SegmentService, segment_id: str) -> list[str]:
    """Every member's id."""
    return [m.customer_id for m in await service.members(segment_id, first=100)]


async def test_define_evaluate_and_re_evaluate(world: GraphStore) -> None:
    service = SegmentService(world, batch_size=2)  # pages of two: paging is exercised
    for definition in (GARDEN_NOW, BUYERS, GB_ACTIVE):
        info = await service.define(definition)
        assert (info.kind, info.members) == ("rule", 0)
    assert (await service.get("gb-active")).description == "UK customers worth a campaign"  # type: ignore[union-attr]
    await world.write_batch(
        "segments/set_memberships",
        [{"customer_id": "C4", "segment_id": "buyers", "since": 1, "score": 1.0}],
    )
    report = await service.evaluate_all(now=NOW)
    assert report.customers == 3, "the retired C4 is not evaluated"
    assert await members(service, "garden-now") == ["C1"], "a cookie seen with C1's login"
    assert await members(service, "buyers") == ["C1"], "C4's stale membership is removed"
    # RFM over C1 (1 day, 5 purchases, 50) and C2 (100 days, 1, 10): C1 R5 F3 M3, C2 R3 F1 M1.
    assert await members(service, rfm_segment_id("potential_loyalists")) == ["C1"]
    assert await members(service, rfm_segment_id("about_to_sleep")) == ["C2"]
    assert await members(service, "gb-active") == ["C1"], "C2 is about to sleep, C3 is FR"
    [rfm] = await service.members(rfm_segment_id("about_to_sleep"))
    assert (rfm.since, rfm.score) == (NOW, 311.0)
    assert report.removed == 1
    assert report.added == 5
    assert report.members["buyers"] == 1
    listed = {s.id: s.members for s in await service.list_segments()}
    assert len(listed) == 13
    assert listed["garden-now"] == 1
    again = await service.evaluate_all(now=NOW + 1)
    assert (again.added, again.removed) == (0, 0)
    [kept] = await service.members("buyers")
    assert kept.since == NOW, "membership keeps its first `since`"
    mine = await service.segments_of(["C1", "C3"])
    assert [m.segment_id for m in mine["C1"]] == [
        "buyers",
        "garden-now",
        "gb-active",
        "rfm:potential_loyalists",
    ]
    assert mine["C3"] == []


async def test_incremental_evaluation_of_affected_customers(world: GraphStore) -> None:
    service = SegmentService(world)
    await service.define(GARDEN_NOW)
    await service.evaluate_all(now=NOW)
    assert await members(service, "garden-now") == ["C1"]
    # C3 views a garden item now; C1's view ages out of the 5-minute window.
    view = interaction("login:u3", "G", type="product_view", weight=1.0, **at(0))
    await apply(world, 1, 2, interactions=[view])
    fresh = SegmentService(world)  # another process: fits RFM cut points first
    report = await fresh.evaluate_customers(["C3", "C1", "C4", "nobody"], now=NOW + 2 * MIN)
    assert report.customers == 2
    assert await members(service, "garden-now") == ["C1", "C3"]
    assert fresh.rfm_model is not None
    await fresh.evaluate_customers(["C1"], now=NOW + 4 * MIN)
    assert await members(service, "garden-now") == ["C3"]


async def test_members_are_paged_by_customer_id(world: GraphStore) -> None:
    service = SegmentService(world)
    await service.define({"id": "gb", "name": "GB", "rule": {"profile": "country", "equals": "GB"}})
    await service.evaluate_all(now=NOW)
    first = await service.members("gb", first=1)
    rest = await service.members("gb", first=5, after=first[-1].customer_id)
    assert [m.customer_id for m in first + rest] == ["C1", "C2"]


async def test_bad_definitions_are_refused_before_anything_is_written(world: GraphStore) -> None:
    service = SegmentService(world)
    with pytest.raises(ValueError, match=r"rule\.event\.within"):
        await service.define(
            {"id": "x", "name": "X", "rule": {"event": "purchase", "within": "1y"}}
        )
    assert await service.list_segments() == []


async def test_redefining_a_segment_replaces_its_rule(world: GraphStore) -> None:
    service = SegmentService(world)
    await service.define(BUYERS)
    await service.evaluate_all(now=NOW)
    assert await members(service, "buyers") == ["C1"]
    await service.define({**BUYERS, "rule": {"event": "purchase"}})
    report = await service.evaluate_all(now=NOW, segment_ids=["buyers"])
    assert await members(service, "buyers") == ["C1", "C2"]
    assert set(report.members) == {"buyers"}
