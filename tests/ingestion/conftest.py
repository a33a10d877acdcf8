"""A real pipeline on a real embedded store, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from customer_graph.runtime import build_pipeline, graph_store
from customer_graph.settings import Settings
from ingestion.pipeline import IngestPipeline


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with everything under a temporary data folder."""
    return Settings(data_dir=tmp_path, hash_key=SecretStr("test-key-test-key-test-key"))


@pytest.fixture
async def pipeline(settings: Settings) -> AsyncIterator[IngestPipeline]:
    """The ingestion pipeline over the embedded FalkorDB."""
    async with graph_store(settings) as store:
        built = build_pipeline(settings, store)
        try:
            yield built
        finally:
            built.close()
