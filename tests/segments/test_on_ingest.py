"""Segments re-evaluated on ingest: the pipeline built by the composition root re-evaluates
the customers a batch of events touched, and only them, before the ingest call returns."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from customer_graph.runtime import build_pipeline
from customer_graph.settings import Settings
from graph.port import GraphStore
from ingestion.pipeline import IngestPipeline
from ingestion.results import RawMessage
from segments.on_ingest import SegmentsOnIngest
from segments.service import SegmentService
from tests.identity import conftest as identity_fixtures

# The identity tests' world and trained model (shared when both packages run in a session).
small_world = identity_fixtures.small_world
trained_model_dir = identity_fixtures.trained_model_dir

GARDEN_NOW = {
    "id": "garden-now",
    "name": "Viewed garden in the last 5 minutes",
    "rule": {"event": "product_view", "category": "garden", "within": "5m"},
}


def view(event_id: str, item: str, **identifiers: str) -> RawMessage:
    """A product view happening now (wall clock: the hook evaluates at the current time)."""
    event: dict[str, Any] = {
        "schema_version": 1,
        "event_id": event_id,
        "type": "product_view",
        "occurred_at": datetime.now(UTC).isoformat(),
        "identifiers": identifiers,
        "properties": {"item_id": item},
    }
    return RawMessage(json.dumps(event).encode(), f"test:{event_id}")


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        data_dir=tmp_path, hash_key=SecretStr("test-key-test-key-test-key"), **overrides
    )


PipelineFactory = Callable[..., IngestPipeline]


@pytest.fixture
async def pipelines(world: GraphStore, tmp_path: Path) -> AsyncIterator[PipelineFactory]:
    """Pipelines over the segment world's store, as the composition root builds them."""
    built: list[IngestPipeline] = []

    def make(live: bool = True, **overrides: Any) -> IngestPipeline:
        folder = tmp_path / f"p{len(built)}"
        pipeline = build_pipeline(settings_for(folder, **overrides), world, resolve=live)
        built.append(pipeline)
        return pipeline

    yield make
    for pipeline in built:
        pipeline.close()


def hook_of(pipeline: IngestPipeline) -> SegmentsOnIngest:
    """The segments hook the composition root wired into a pipeline."""
    hook = getattr(pipeline.on_events_applied, "__self__", None)
    assert isinstance(hook, SegmentsOnIngest), "HTTP and Kafka pipelines get the hook"
    return hook


async def segment_ids(store: GraphStore, *customers: str) -> dict[str, list[str]]:
    found = await SegmentService(store).segments_of(list(customers))
    return {cid: [m.segment_id for m in ms] for cid, ms in found.items()}


async def test_a_view_puts_the_customer_in_the_segment_without_evaluate(
    world: GraphStore, pipelines: PipelineFactory
) -> None:
    await SegmentService(world).define(GARDEN_NOW)
    pipeline = pipelines()
    hook = hook_of(pipeline)
    before = await segment_ids(world, "C1", "C2", "C3")
    assert before == {"C1": [], "C2": [], "C3": []}, "nothing was ever evaluated"

    result = await pipeline.ingest_events([view("e-1", "G", user_id="u3")])  # C3's login
    assert result.accepted == 1

    after = await segment_ids(world, "C1", "C2", "C3")
    assert after["C3"] == ["garden-now"], "visible right after the ingest call"
    # Only the touched customer was evaluated: C1 and C2 would have RFM segments otherwise.
    assert after["C1"] == []
    assert after["C2"] == []
    assert (hook.stats.batches, hook.stats.customers, hook.stats.added) == (1, 1, 1)


async def test_a_cookie_seen_with_a_login_reaches_its_customer(
    world: GraphStore, pipelines: PipelineFactory
) -> None:
    await SegmentService(world).define(GARDEN_NOW)
    pipeline = pipelines()
    # A new cookie browsing garden items, then signing in as C2 in the same event.
    await pipeline.ingest_events([view("e-2", "G", anonymous_id="new-cookie", user_id="u2")])
    assert (await segment_ids(world, "C2"))["C2"][0] == "garden-now"
    # An anonymous visitor feeds no customer: nothing is evaluated, nothing fails.
    await pipeline.ingest_events([view("e-3", "G", anonymous_id="stranger")])
    hook = hook_of(pipeline)
    assert hook.stats.batches == 1


async def test_the_hook_follows_the_setting_and_is_not_on_bulk_file_imports(
    world: GraphStore, pipelines: PipelineFactory
) -> None:
    await SegmentService(world).define(GARDEN_NOW)
    off = pipelines(segments_on_ingest=False)
    bulk = pipelines(live=False)
    assert off.on_events_applied is None
    assert bulk.on_events_applied is None
    await off.ingest_events([view("e-4", "G", user_id="u3")])
    assert (await segment_ids(world, "C3"))["C3"] == [], "evaluate (or the live hook) needed"
    live = pipelines()
    await live.recover()  # nothing left to apply: the hook has nothing to do
    await live.ingest_events([view("e-5", "G", user_id="u1")])
    assert "garden-now" in (await segment_ids(world, "C1"))["C1"]


async def test_a_failing_hook_does_not_fail_the_ingest(
    world: GraphStore, pipelines: PipelineFactory
) -> None:
    pipeline = pipelines()
    calls: list[list[str]] = []

    async def broken(keys: list[str]) -> None:
        calls.append(keys)
        raise RuntimeError("segment store down")

    pipeline.on_events_applied = broken
    result = await pipeline.ingest_events([view("e-6", "G", user_id="u3", anonymous_id="c9")])
    assert result.accepted == 1
    assert calls == [["cookie:c9", "login:u3"]], "the keys the batch applied, sorted"


async def test_records_resolved_on_ingest_reach_their_customers_segments(
    store: GraphStore, tmp_path: Path, trained_model_dir: Path
) -> None:
    settings = settings_for(tmp_path)  # the same hashing key the model was trained with
    shutil.copytree(trained_model_dir, settings.identity_model_dir)
    service = SegmentService(store)
    gb = {"id": "gb", "name": "GB", "rule": {"profile": "country", "equals": "GB"}}
    await service.define(gb)
    pipeline = build_pipeline(settings, store, resolve=True)
    try:
        record = {
            "source": "crm", "source_id": "N-1", "first_name": "Nia", "last_name": "Okafor",
            "email": "nia.okafor@example.com", "country": "gb",
            "updated_at": "2026-03-01T12:00:00Z",
        }  # fmt: skip
        result = await pipeline.ingest_records([RawMessage(json.dumps(record).encode(), "t:0")])
        assert result.accepted == 1
    finally:
        pipeline.close()
    members = await service.members("gb")
    assert len(members) == 1, "the customer resolution created is in, without evaluate"
    hook = getattr(pipeline.on_events_applied, "__self__", None)
    assert isinstance(hook, SegmentsOnIngest)
    assert (hook.stats.batches, hook.stats.customers) == (1, 1)
