"""Consent through the GraphQL API on the small resolved world with a served GraphSAGE model:
setConsent (roles, audit), the `consents` fields, and withdrawal taking effect on the very
next recommendation call."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import CountingStore, GraphQL, error_codes
from tests.api.graphql_world import GraphQLWorld

SET = """mutation($id: ID!, $granted: Boolean!, $reason: String!) {
  setConsent(customerId: $id, purpose: PERSONALISATION, granted: $granted, reason: $reason) {
    customerId changed auditId consents { purpose granted source at isDefault } } }"""
CUSTOMER_RECS = """query($id: ID!) { customer(id: $id) {
  recommendations(first: 5) { source personalised items { itemId } } } }"""
VISITOR_RECS = """query($email: String!) { visitor(type: EMAIL, value: $email) {
  customer { id } consents { purpose granted }
  recommendations(first: 5) { source personalised items { itemId } } } }"""
POPULAR = """{ visitor(type: COOKIE, value: "a-cookie-nobody-has-seen") {
  recommendations(first: 5) { source personalised items { itemId } } } }"""


async def set_personalisation(
    gql: GraphQL, customer: str, granted: bool, role: str = "steward", reason: str = "banner"
) -> dict[str, Any]:
    data = await gql.data(SET, {"id": customer, "granted": granted, "reason": reason}, role)
    update: dict[str, Any] = data["setConsent"]
    return update


async def test_withdrawal_takes_effect_on_the_next_recommendation_call(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    customer, email = gql_world.email_customer, gql_world.email
    await set_personalisation(gql_client, customer, True)
    before = (await gql_client.data(CUSTOMER_RECS, {"id": customer}, "frontend"))["customer"]
    assert before["recommendations"]["personalised"] is True
    assert before["recommendations"]["source"] in {"MODEL", "INDUCTIVE"}

    withdrawn = await set_personalisation(gql_client, customer, False, role="frontend")
    assert withdrawn["changed"] is True

    after = (await gql_client.data(CUSTOMER_RECS, {"id": customer}, "frontend"))["customer"]
    popular = (await gql_client.data(POPULAR, role="frontend"))["visitor"]["recommendations"]
    assert after["recommendations"] == {**popular, "personalised": False}, (
        "the very next call: the non-personalised (popularity) list"
    )
    assert popular["source"] == "POPULARITY"
    visitor = (await gql_client.data(VISITOR_RECS, {"email": email}, "frontend"))["visitor"]
    assert visitor["customer"] == {"id": customer}
    assert visitor["recommendations"]["personalised"] is False, "by any of their identifiers"
    assert {c["purpose"]: c["granted"] for c in visitor["consents"]}["PERSONALISATION"] is False

    await set_personalisation(gql_client, customer, True)
    again = (await gql_client.data(CUSTOMER_RECS, {"id": customer}, "frontend"))["customer"]
    assert again["recommendations"]["personalised"] is True
    assert again["recommendations"]["items"] == before["recommendations"]["items"]


async def test_set_consent_is_audited_and_shows_in_consents(
    gql_client: GraphQL, gql_world: GraphQLWorld, gql_store: CountingStore
) -> None:
    customer = gql_world.customers[1]
    await set_personalisation(gql_client, customer, True, reason="first")
    update = await set_personalisation(gql_client, customer, False, reason="phoned us")
    assert update["customerId"] == customer
    assert update["auditId"]
    consents = {c["purpose"]: c for c in update["consents"]}
    assert set(consents) == {"ANALYTICS", "PERSONALISATION", "MARKETING"}
    mine = consents["PERSONALISATION"]
    assert (mine["granted"], mine["source"], mine["isDefault"]) == (False, "api:steward", False)
    assert mine["at"]
    unchanged = await set_personalisation(gql_client, customer, False, reason="again")
    assert (unchanged["changed"], unchanged["auditId"]) == (False, None), "nothing to audit"
    trail = await gql_store.read("audit/list_for_subject", {"subject_id": customer, "limit": 5})
    newest = trail[0]
    assert newest["id"] == update["auditId"]
    assert (newest["action"], newest["actor"], newest["reason"]) == (
        "consent.changed",
        "steward",
        "phoned us",
    )
    query = "query($id: ID!) { customer(id: $id) { consents { purpose granted source } } }"
    data = await gql_client.data(query, {"id": customer}, role="frontend")
    shown = {c["purpose"]: (c["granted"], c["source"]) for c in data["customer"]["consents"]}
    assert shown["PERSONALISATION"] == (False, "api:steward")
    await set_personalisation(gql_client, customer, True, reason="restore")


async def test_roles_and_bad_requests(gql_client: GraphQL, gql_world: GraphQLWorld) -> None:
    customer = gql_world.customers[2]
    variables = {"id": customer, "granted": True, "reason": "ml tries"}
    assert error_codes(await gql_client(SET, variables, role="ml")) == ["FORBIDDEN"]
    query = "query($id: ID!) { customer(id: $id) { consents { purpose } } }"
    assert error_codes(await gql_client(query, {"id": customer}, role="ml")) == ["FORBIDDEN"]
    blank = await gql_client(SET, {**variables, "reason": "  "}, role="admin")
    assert error_codes(blank) == ["BAD_REQUEST"]
    unknown = await gql_client(SET, {**variables, "id": "cus_nobody"}, role="admin")
    assert error_codes(unknown) == ["NOT_FOUND"]


async def test_consents_of_many_customers_are_read_in_one_batch(
    gql_client: GraphQL, gql_world: GraphQLWorld, gql_store: CountingStore
) -> None:
    query = "query($ids: [ID!]!) { customers(ids: $ids) { id consents { purpose granted } } }"
    before = gql_store.count("consent/customer_decisions")
    data = await gql_client.data(query, {"ids": gql_world.customers}, role="frontend")
    assert [c["id"] for c in data["customers"]] == gql_world.customers
    assert all(len(c["consents"]) == 3 for c in data["customers"])
    assert gql_store.count("consent/customer_decisions") - before == 1
