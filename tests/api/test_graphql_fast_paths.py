"""What the frontend query skips (decryption for keys without `customer.pii`, validating a
known document again, the garbage collector's walks over start-up objects), and that the
answers stay what they were."""

from __future__ import annotations

import gc
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema

import api.graphql.validation_cache as cache_module
from api.app import create_app
from api.graphql.validation_cache import TextValidationCache, ValidationResults
from customer_graph.runtime import graph_store
from privacy.protected_store import ProtectedStore
from tests.api.conftest import FakeIngestor, GraphQL, serving
from tests.api.graphql_world import GraphQLWorld

PROFILE = "firstName lastName dateOfBirth address postcode city country piiRedacted"
QUERY = f"""query($id: ID!) {{ customer(id: $id) {{
  id profile {{ {PROFILE} }} records {{ key profile {{ {PROFILE} }} }}
  segments {{ segmentId }} recommendations(first: 5) {{ items {{ itemId }} }} }} }}"""


async def test_keys_without_pii_read_nothing_decrypted_and_get_the_same_answers(
    gql_client: GraphQL, gql_world: GraphQLWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with graph_store(gql_world.settings) as store:
        assert isinstance(store, ProtectedStore)
        opened: list[int] = []
        open_tokens = store.cipher.open

        def counting(tokens: list[str]) -> list[dict[str, Any]]:
            opened.append(len(tokens))
            return open_tokens(tokens)

        monkeypatch.setattr(store.cipher, "open", counting)
        app = create_app(gql_world.settings, store=store, ingestor=FakeIngestor())
        async with serving(app) as client:
            protected = GraphQL(client)
            for customer in gql_world.customers:
                for role in ("frontend", "ml"):
                    answer = await protected(QUERY, {"id": customer}, role)
                    # gql_client's store is not a ProtectedStore: it decrypts for everyone
                    assert answer == await gql_client(QUERY, {"id": customer}, role)
            assert opened == [], "nothing decrypted for frontend and ml keys"
            steward = await protected.data(QUERY, {"id": gql_world.customers[0]}, "steward")
            assert steward["customer"]["profile"]["lastName"]
            assert opened, "stewards see personal data: decrypted"


async def test_a_document_is_validated_once_per_text_and_its_errors_answered_each_time(
    gql_client: GraphQL, gql_world: GraphQLWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    validate = strawberry_schema.validate_document

    def counting(schema: Any, document: Any, rules: Any) -> Any:
        calls.append("validate")
        return validate(schema, document, rules)

    monkeypatch.setattr(cache_module, "validate_document", counting)
    good = "query($id: ID!) { customer(id: $id) { id status } }"
    for _ in range(3):
        data = await gql_client.data(good, {"id": gql_world.customers[0]}, "frontend")
        assert data["customer"]["id"] == gql_world.customers[0]
    bad = "query { customer(id: 1) { noSuchField } }"
    for _ in range(3):
        answer = await gql_client(bad, {}, "frontend")
        assert "noSuchField" in answer["errors"][0]["message"]
    assert len(calls) == 2, "one validation per distinct text"


def test_the_validation_results_are_a_bounded_lru() -> None:
    results = ValidationResults(maxsize=2)
    a: tuple[str, tuple[Any, ...]] = ("a", ())
    b: tuple[str, tuple[Any, ...]] = ("b", ())
    c: tuple[str, tuple[Any, ...]] = ("c", ())
    results.put(a, [])
    results.put(b, [])
    assert results.get(a) == []  # a is now the most recently used
    results.put(c, [])
    assert len(results) == 2
    assert results.get(b) is None
    assert results.get(a) == []
    assert results.get(c) == []
    assert TextValidationCache(results).results is results


async def test_start_up_objects_are_frozen_while_serving(gql_world: GraphQLWorld) -> None:
    before = gc.get_freeze_count()
    async with graph_store(gql_world.settings) as store:
        app = create_app(gql_world.settings, store=store, ingestor=FakeIngestor())
        async with serving(app):
            assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0
