"""Consent and suppression tests: a real embedded store (and pipeline) per test; the GraphQL
tests' small resolved world (its own instance) for the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from customer_graph.runtime import build_pipeline, consent_service, graph_store
from customer_graph.settings import Settings
from graph.port import GraphStore
from ingestion.pipeline import IngestPipeline
from privacy.consent_store import ConsentService
from tests.api import conftest as api_fixtures

# The GraphQL world (a resolved demo world with GraphSAGE versions): this package's own
# instance, since the consent tests change decisions in it.
small_world = api_fixtures.small_world
trained_model_dir = api_fixtures.trained_model_dir
gql_world = api_fixtures.gql_world
gql_store = api_fixtures.gql_store
gql_client = api_fixtures.gql_client


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with everything under a temporary data folder."""
    return Settings(data_dir=tmp_path, hash_key=SecretStr("test-key-test-key-test-key"))


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[GraphStore]:
    """The embedded FalkorDB of this test."""
    async with graph_store(settings) as opened:
        yield opened


@pytest.fixture
def consent(settings: Settings, store: GraphStore) -> ConsentService:
    """The consent service with the default consent rules."""
    return consent_service(settings, store)


@pytest.fixture
def pipeline(settings: Settings, store: GraphStore) -> Iterator[IngestPipeline]:
    """The ingestion pipeline over the test's store."""
    built = build_pipeline(settings, store)
    try:
        yield built
    finally:
        built.close()
