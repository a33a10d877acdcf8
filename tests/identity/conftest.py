"""A small demo world in a real embedded store, a model trained on it once per module."""

from __future__ import annotations

import asyncio
import csv
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

import demo_world
from customer_graph.runtime import build_pipeline, graph_store, identity_service
from customer_graph.settings import Settings
from graph.port import GraphStore
from identity.service import IdentityService
from identity.steward import StewardService
from ingestion.file_import import FileKind, import_file
from ingestion.pipeline import IngestPipeline

KEY = SecretStr("test-key-test-key-test-key")


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 250-person demo world (records with duplicates, households, junk values)."""
    directory = tmp_path_factory.mktemp("world")
    demo_world.generate(demo_world.DemoWorldConfig(seed=11, people=250, output_dir=directory))
    return directory


def truth(world: Path) -> dict[str, str]:
    """Record key -> true person."""
    with (world / "truth" / "record_person.csv").open(encoding="utf-8", newline="") as f:
        return {f"{r['source']}:{r['source_id']}": r["person_id"] for r in csv.DictReader(f)}


async def _load(settings: Settings, store: GraphStore, world: Path) -> IngestPipeline:
    pipeline = build_pipeline(settings, store)
    report = await import_file(pipeline, world / "records.csv", FileKind.RECORDS)
    assert report.accepted > 0
    return pipeline


@pytest.fixture(scope="session")
def trained_model_dir(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the small world (real Splink), shared by the identity tests."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("training"), hash_key=KEY)

    async def train() -> None:
        async with graph_store(settings) as store:
            pipeline = await _load(settings, store, small_world)
            await identity_service(settings, store).train()
            pipeline.close()

    asyncio.run(train())
    return settings.identity_model_dir


@dataclass
class IdentityEnv:
    """Everything an identity test touches."""

    settings: Settings
    store: GraphStore
    pipeline: IngestPipeline
    service: IdentityService
    steward: StewardService
    world: Path


@pytest.fixture
async def env(
    small_world: Path, trained_model_dir: Path, tmp_path: Path
) -> AsyncIterator[IdentityEnv]:
    """A fresh store holding the small world's records, with the trained model installed."""
    settings = Settings(data_dir=tmp_path, hash_key=KEY)
    shutil.copytree(trained_model_dir, settings.identity_model_dir)
    async with graph_store(settings) as store:
        pipeline = await _load(settings, store, small_world)
        service = identity_service(settings, store)
        try:
            yield IdentityEnv(
                settings, store, pipeline, service, StewardService(service), small_world
            )
        finally:
            pipeline.close()
