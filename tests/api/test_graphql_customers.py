"""GraphQL customers, visitors and recommendations over the real embedded store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.graphql import customer_queries
from tests.api.conftest import CountingStore, FakeIngestor, GraphQL, error_codes, serving
from tests.api.graphql_world import GraphQLWorld

CUSTOMER = """
query($id: ID!) {
  customer(id: $id) {
    id status recordCount
    profile { firstName lastName dateOfBirth postcode city piiRedacted }
    records { key source sourceId identifiers { key type } }
    identifiers { key type }
    interactionSummary { type count weight items firstAt lastAt }
    recommendations(first: 5) { source modelVersion items { itemId score item { id title } } }
  }
}
"""


async def test_a_customer_with_records_identifiers_interactions_and_recommendations(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    cid = gql_world.customers[0]
    data = await gql_client.data(CUSTOMER, {"id": cid}, role="steward")
    customer: dict[str, Any] = data["customer"]
    assert customer["id"] == cid
    assert customer["status"] == "active"
    assert len(customer["records"]) == customer["recordCount"] >= 2
    assert customer["profile"]["piiRedacted"] is False
    assert customer["profile"]["lastName"]
    record_ids = {i["key"] for r in customer["records"] for i in r["identifiers"]}
    assert record_ids <= {i["key"] for i in customer["identifiers"]}
    summary = {s["type"]: s for s in customer["interactionSummary"]}
    assert summary
    assert all(s["count"] >= 1 and s["items"] >= 1 for s in summary.values())
    recs = customer["recommendations"]
    assert recs["modelVersion"] == gql_world.versions[-1]
    assert recs["source"] in {"MODEL", "INDUCTIVE"}
    assert len(recs["items"]) == 5
    scores = [r["score"] for r in recs["items"]]
    assert scores == sorted(scores, reverse=True)
    assert all(r["item"]["id"] == r["itemId"] for r in recs["items"])


async def test_a_frontend_gets_the_reduced_profile_and_no_lineage(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    query = "query($id: ID!) { customer(id: $id) { profile { firstName lastName dateOfBirth "
    query += "address postcode city country piiRedacted } records { profile { lastName } } } }"
    frontend = await gql_client.data(query, {"id": gql_world.customers[0]}, role="frontend")
    profile = frontend["customer"]["profile"]
    assert profile["piiRedacted"] is True
    pii = ("firstName", "lastName", "dateOfBirth", "address", "postcode")
    assert all(profile[name] is None for name in pii)
    assert all(r["profile"]["lastName"] is None for r in frontend["customer"]["records"])
    steward = await gql_client.data(query, {"id": gql_world.customers[0]}, role="steward")
    assert steward["customer"]["profile"]["lastName"]
    lineage = "query($id: ID!) { customer(id: $id) { profile { lineage { attribute rule } } } }"
    refused = await gql_client(lineage, {"id": gql_world.customers[0]}, role="frontend")
    assert error_codes(refused) == ["FORBIDDEN"]
    granted = await gql_client.data(lineage, {"id": gql_world.customers[0]}, role="steward")
    assert "last_name" in {e["attribute"] for e in granted["customer"]["profile"]["lineage"]}


async def test_listing_customers_reads_the_store_once_per_batch(
    gql_client: GraphQL,
    gql_store: CountingStore,
    gql_world: GraphQLWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    query = """query($ids: [ID!]!) { customers(ids: $ids) {
      id records { key identifiers { key } } identifiers { key }
      interactionSummary { type count } } }"""
    gql_store.reads.clear()
    data = await gql_client.data(query, {"ids": [*gql_world.customers, "no-such-id"]})
    listed = data["customers"]
    assert [c["id"] for c in listed[:-1]] == gql_world.customers
    assert listed[-1] is None
    assert sum(len(c["records"]) for c in listed[:-1]) >= 2 * len(gql_world.customers)
    assert gql_store.reads == ["customers/view"], (
        "one read for the batch, whatever the number of customers, records and identifiers"
    )
    gql_store.reads.clear()
    monkeypatch.setattr(customer_queries, "_views", lambda info: None)  # field by field
    by_loaders = await gql_client.data(query, {"ids": [*gql_world.customers, "no-such-id"]})
    assert by_loaders == data, "the view answers what the field loaders answer"
    assert sorted(gql_store.reads) == sorted(
        [
            "customers/get_customers",
            "records/by_customers",
            "identifiers/by_records",
            "identifiers/seen_with_customers",
            "interactions/by_identifiers",
        ]
    ), "without the view: one read per loader"


FRONT_PAGE = """query($id: ID!) { customer(id: $id) {
  id profile { city country } segments { segmentId } consents { purpose granted }
  identifiers { key } records { key }
  recommendations(first: 5) { source items { itemId score } } } }"""


async def test_a_front_page_query_reads_one_view_and_answers_what_the_loaders_answer(
    gql_client: GraphQL,
    gql_store: CountingStore,
    gql_world: GraphQLWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for customer in gql_world.customers:
        gql_store.reads.clear()
        viewed = await gql_client.data(FRONT_PAGE, {"id": customer}, role="frontend")
        assert gql_store.reads[0] == "customers/view"
        assert set(gql_store.reads[1:]) <= {"interactions/changed_since"}, "then what changed"
        assert viewed["customer"]["identifiers"]
        assert viewed["customer"]["consents"]
        with monkeypatch.context() as patch:
            patch.setattr(customer_queries, "_views", lambda info: None)
            gql_store.reads.clear()
            by_loaders = await gql_client.data(FRONT_PAGE, {"id": customer}, role="frontend")
            assert len(gql_store.reads) > 1
        assert viewed == by_loaders
    gql_store.reads.clear()
    small = "query($id: ID!) { customer(id: $id) { id profile { city } segments { name } } }"
    await gql_client.data(small, {"id": gql_world.customers[0]}, role="frontend")
    assert sorted(gql_store.reads) == [
        "customers/get_customers",
        "segments/segments_of_customers",
    ], "no view for the node and its segments"


async def test_a_customer_is_found_by_a_raw_email_hashed_like_ingestion_does(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    query = "query($v: String!) { customerByIdentifier(type: EMAIL, value: $v) { id } }"
    messy = f"  {gql_world.email.upper()} "
    found = await gql_client.data(query, {"v": messy}, role="frontend")
    assert found["customerByIdentifier"] == {"id": gql_world.email_customer}
    unknown = await gql_client.data(query, {"v": "nobody@example.org"}, role="frontend")
    assert unknown["customerByIdentifier"] is None
    invalid = await gql_client(query, {"v": "not an email"}, role="frontend")
    assert error_codes(invalid) == ["BAD_REQUEST"]


VISITOR = """query($v: String!) { visitor(type: COOKIE, value: $v) {
  key customer { id } interactionSummary { type count }
  recommendations(first: 3) { source items { itemId } } } }"""


async def test_an_anonymous_cookie_has_no_customer_but_gets_recommendations(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    query = "query($v: String!) { customerByIdentifier(type: COOKIE, value: $v) { id } }"
    none = await gql_client.data(query, {"v": gql_world.anonymous_cookie}, role="frontend")
    assert none["customerByIdentifier"] is None
    data = await gql_client.data(VISITOR, {"v": gql_world.anonymous_cookie}, role="frontend")
    visitor = data["visitor"]
    assert visitor["key"] == f"cookie:{gql_world.anonymous_cookie}"
    assert visitor["customer"] is None
    assert visitor["interactionSummary"]
    assert visitor["recommendations"]["source"] in {"MODEL", "INDUCTIVE"}
    assert len(visitor["recommendations"]["items"]) == 3


async def test_a_never_seen_visitor_gets_popular_items_filtered_as_asked(
    gql_client: GraphQL,
) -> None:
    query = """{ visitor(type: COOKIE, value: "brand-new-cookie") {
      customer { id } recommendations(first: 4) { source items { itemId } } } }"""
    data = await gql_client.data(query, role="frontend")
    recs = data["visitor"]["recommendations"]
    assert data["visitor"]["customer"] is None
    assert recs["source"] == "POPULARITY"
    assert len(recs["items"]) == 4
    top = recs["items"][0]["itemId"]
    filtered = query.replace("first: 4", f'first: 4, excludeItems: ["{top}"]')
    again = await gql_client.data(filtered, role="frontend")
    assert top not in {i["itemId"] for i in again["visitor"]["recommendations"]["items"]}
    bad = await gql_client(query.replace("first: 4", "first: 0"), role="frontend")
    assert error_codes(bad) == ["BAD_REQUEST"]


async def test_without_a_model_recommendations_are_a_clear_error_not_a_500(
    gql_store: CountingStore, gql_world: GraphQLWorld, tmp_path: Path
) -> None:
    settings = gql_world.settings.model_copy(update={"data_dir": tmp_path})
    app = create_app(settings, store=gql_store, ingestor=FakeIngestor())
    async with serving(app) as client:
        answer = await GraphQL(client)(VISITOR, {"v": gql_world.anonymous_cookie})
    assert error_codes(answer) == ["MODEL_NOT_AVAILABLE"]
    assert str(tmp_path) not in str(answer), "no server path in the message"
    assert answer["data"] is None
