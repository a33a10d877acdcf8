"""GraphQL privacy operations: the access export (audited) and the audit log."""

from __future__ import annotations

from tests.api.conftest import GraphQL, error_codes
from tests.api.graphql_world import GraphQLWorld

EXPORT = 'mutation($id: ID!) { exportCustomerData(customerId: $id, reason: "ticket 7") }'
AUDIT = "query($action: String) { auditLog(action: $action, first: 5) { action actor subjectId after } }"  # noqa: E501


async def test_the_access_export_holds_the_person_and_is_audited(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    customer = gql_world.customers[0]
    exported = (await gql_client.data(EXPORT, {"id": customer}, role="admin"))["exportCustomerData"]
    assert exported["format"] == "customer-graph-access-export/1"
    assert exported["customer_id"] == customer
    assert len(exported["records"]) >= 2
    assert all(r["key"] and "pii" not in r for r in exported["records"])
    assert any(r.get("first_name") for r in exported["records"])  # decrypted for the person
    assert exported["identifiers"]
    assert exported["interactions"]
    log = (await gql_client.data(AUDIT, {"action": "export"}, role="steward"))["auditLog"]
    assert log[0]["subjectId"] == customer
    assert log[0]["after"]["counts"]["records"] == len(exported["records"])
    assert log[0]["actor"]


async def test_unknown_customers_and_bad_pages_are_bad_requests(gql_client: GraphQL) -> None:
    erase = 'mutation { eraseCustomer(customerId: "nope", reason: "x") { receiptId } }'
    assert error_codes(await gql_client(erase, {}, "admin")) == ["BAD_REQUEST"]
    bad = await gql_client(AUDIT.replace("first: 5", "first: 0"), {}, "admin")
    assert error_codes(bad) == ["BAD_REQUEST"]
