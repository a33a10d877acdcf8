"""Every query file in cypher/ runs, and does what it says, on every backend."""

from __future__ import annotations

import pytest

import tests.contract.query_cases_api
import tests.contract.query_cases_erasure
import tests.contract.query_cases_gnn
import tests.contract.query_cases_identity
import tests.contract.query_cases_more
import tests.contract.query_cases_privacy
import tests.contract.query_cases_segments
import tests.contract.query_cases_steward
import tests.contract.query_cases_views  # noqa: F401  (registers its cases)
from graph.port import GraphStore
from graph.queries import QueryCatalog
from tests.contract.query_cases import CASES


def test_every_query_file_has_a_contract_case() -> None:
    assert set(QueryCatalog().names()) == set(CASES) - {"ingest/apply_events_is_atomic"}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_query(store: GraphStore, name: str) -> None:
    await CASES[name](store)
