"""GraphQL security: the permission matrix (every role and operation, no key, bad key), query
limits, masked internal errors, and the API key settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from api.graphql.permissions import MATRIX, Operation, Role, principal_for
from api.graphql.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, build_schema
from customer_graph.settings import ApiRole, Settings
from tests.api.conftest import CountingStore, GraphQL, error_codes
from tests.api.graphql_world import GraphQLWorld

F, S, A, M = "frontend", "steward", "admin", "ml"
# The specification the matrix must match (README, GraphQL API section).
EXPECTED: dict[Operation, set[str]] = {
    Operation.CUSTOMER_READ: {F, S, A, M},
    Operation.CUSTOMER_PII: {S, A},
    Operation.CUSTOMER_LINEAGE: {S, A},
    Operation.RECOMMENDATIONS_READ: {F, S, A, M},
    Operation.MODELS_READ: {A, M},
    Operation.MODELS_PROMOTE: {A, M},
    Operation.MATCHES_READ: {S, A},
    Operation.MATCHES_DECIDE: {S, A},
    Operation.CUSTOMERS_SPLIT: {S, A},
    Operation.OPERATIONS_UNDO: {S, A},
    Operation.AUDIT_READ: {S, A},
    Operation.SEGMENTS_READ: {F, S, A, M},
    Operation.SEGMENTS_DEFINE: {S, A},
    Operation.SEGMENTS_EVALUATE: {S, A},
    Operation.SEGMENTS_LOOKALIKE: {S, A, M},
    Operation.NBA_READ: {F, S, A},
    Operation.CONSENT_READ: {F, S, A},
    Operation.CONSENT_WRITE: {F, S, A},
    Operation.PRIVACY_ERASE: {A},
    Operation.PRIVACY_EXPORT: {A},
    Operation.INGEST_EVENTS: {F, A},
    Operation.INGEST_RECORDS: {A},
}
DENIED = {"FORBIDDEN", "UNAUTHENTICATED"}


def _granted(answer: dict[str, Any]) -> bool:
    return not DENIED & set(error_codes(answer))


def _pii_visible(answer: dict[str, Any]) -> bool:
    customer = (answer.get("data") or {}).get("customer")
    return _granted(answer) and bool(customer and customer["profile"]["lastName"])


# Per operation: a document that exercises it without changing anything (mutations get
# arguments their service refuses: BAD_REQUEST / NOT_FOUND once the permission passed),
# and how to tell from the answer whether the permission was granted.
PROBES: dict[Operation, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    Operation.CUSTOMER_READ: ("query($id: ID!) { customer(id: $id) { id } }", _granted),
    Operation.CUSTOMER_PII: (
        "query($id: ID!) { customer(id: $id) { profile { lastName } } }",
        _pii_visible,
    ),
    Operation.CUSTOMER_LINEAGE: (
        "query($id: ID!) { customer(id: $id) { profile { lineage { rule } } } }",
        _granted,
    ),
    Operation.RECOMMENDATIONS_READ: (
        "query($id: ID!) { customer(id: $id) { recommendations(first: 1) { source } } }",
        _granted,
    ),
    Operation.MODELS_READ: ("{ modelVersions { version } }", _granted),
    Operation.MODELS_PROMOTE: ('mutation { promoteModel(version: "nope") { version } }', _granted),
    Operation.MATCHES_READ: ("{ mergeCandidates(first: 1) { edges { cursor } } }", _granted),
    Operation.MATCHES_DECIDE: (
        'mutation { approveMatch(leftKey: "x:1", rightKey: "x:2") { auditId } }',
        _granted,
    ),
    Operation.CUSTOMERS_SPLIT: (
        'mutation { splitCustomer(customerId: "nope", recordKeys: ["x:1"]) { auditId } }',
        _granted,
    ),
    Operation.OPERATIONS_UNDO: (
        'mutation { undoOperation(auditId: "nope") { auditId } }',
        _granted,
    ),
    Operation.AUDIT_READ: ('{ auditTrail(subjectId: "nope") { id } }', _granted),
    Operation.SEGMENTS_READ: (  # the root fields and a customer's segments
        'query($id: ID!) { segments { id } segment(id: "rfm:champions") { id '
        "members(first: 1) { edges { cursor } } } customer(id: $id) { segments { segmentId } } }",
        _granted,
    ),
    Operation.SEGMENTS_DEFINE: ('mutation { defineSegment(definition: "{}") { id } }', _granted),
    Operation.SEGMENTS_EVALUATE: (
        'mutation { evaluateSegments(segmentIds: ["no-such-segment"]) { added } }',
        _granted,
    ),
    Operation.SEGMENTS_LOOKALIKE: (  # an unknown seed: NOT_FOUND once permitted
        'mutation { buildLookalike(seedSegmentId: "no-such-segment", size: 5) { members } }',
        _granted,
    ),
    Operation.NBA_READ: (
        "query($id: ID!) { customer(id: $id) { nextBestAction { id } } }",
        _granted,
    ),
    Operation.CONSENT_READ: (  # a customer's and a visitor's
        "query($id: ID!) { customer(id: $id) { consents { purpose } } visitor(type: COOKIE, "
        'value: "nobody") { consents { purpose } } }',
        _granted,
    ),
    Operation.CONSENT_WRITE: (  # an unknown customer: NOT_FOUND once permitted
        'mutation { setConsent(customerId: "nope", purpose: MARKETING, granted: false, '
        'reason: "probe") { changed } }',
        _granted,
    ),
    Operation.PRIVACY_ERASE: (  # an unknown customer: BAD_REQUEST once permitted
        'mutation { eraseCustomer(customerId: "nope", reason: "probe") { receiptId } }',
        _granted,
    ),
    Operation.PRIVACY_EXPORT: (
        'mutation { exportCustomerData(customerId: "nope", reason: "probe") }',
        _granted,
    ),
    Operation.INGEST_EVENTS: ("mutation { submitEvents(events: []) { accepted } }", _granted),
    Operation.INGEST_RECORDS: ("mutation { submitRecords(records: []) { accepted } }", _granted),
}


def test_the_matrix_is_the_specified_one_and_every_operation_has_a_probe() -> None:
    assert {op: {r.value for r in roles} for op, roles in MATRIX.items()} == EXPECTED
    assert set(PROBES) == set(Operation)
    assert set(get_args(ApiRole)) == {r.value for r in Role}


@pytest.mark.parametrize("operation", list(Operation), ids=str)
@pytest.mark.parametrize("role", [None, "bad-key", F, S, A, M], ids=str)
async def test_permission_matrix(
    gql_client: GraphQL, gql_world: GraphQLWorld, role: str | None, operation: Operation
) -> None:
    document, granted = PROBES[operation]
    variables = {"id": gql_world.customers[0]} if "$id" in document else {}
    response = await gql_client.post(document, variables, role=role)
    if role == "bad-key":
        assert response.status_code == 401
        assert response.json()["error"] == "unknown API key"
        return
    answer = response.json()
    if role is None:
        assert "UNAUTHENTICATED" in error_codes(answer)
        return
    assert granted(answer) is (role in EXPECTED[operation]), answer
    if role not in EXPECTED[operation] and operation is not Operation.CUSTOMER_PII:
        assert error_codes(answer) == ["FORBIDDEN"]


async def test_aliases_and_tokens_are_limited(gql_client: GraphQL) -> None:
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }"
    answer = await gql_client(aliases)
    assert "aliases found" in answer["errors"][0]["message"]
    assert answer.get("data") is None
    tokens = "{ " + " ".join("__typename" for _ in range(MAX_TOKENS + 1)) + " }"
    answer = await gql_client(tokens)
    assert f"more than {MAX_TOKENS} tokens" in answer["errors"][0]["message"]
    deepest = """query($v: String!) { visitor(type: COOKIE, value: $v) {
      customer { records { profile { lineage { attribute } } } } } }"""
    assert "errors" not in await gql_client(deepest, {"v": "c"}), "the schema's depth fits"


async def test_depth_is_limited() -> None:
    # The schema has no cycles yet, so its own depth (8: segment → members → edges → node →
    # records → profile → lineage → attribute) is within MAX_DEPTH; check the limiter with a
    # lower limit (validation runs before any resolver or context is used).
    assert MAX_DEPTH >= 8
    result = await build_schema(max_depth=2).execute(
        '{ customer(id: "x") { records { identifiers { key } } } }'
    )
    assert result.errors is not None
    assert "exceeds maximum operation depth" in result.errors[0].message
    assert result.data is None


async def test_internal_errors_are_masked_and_logged_with_the_request_id(
    gql_client: GraphQL, gql_store: CountingStore, gql_world: GraphQLWorld, caplog: Any
) -> None:
    gql_store.fail_on = "segments/segments_of_customers"
    query = "query($id: ID!) { customer(id: $id) { id segments { name } } }"
    response = await gql_client.post(query, {"id": gql_world.customers[0]})
    answer = response.json()
    [error] = answer["errors"]
    request_id = response.headers["x-request-id"]
    assert error["message"] == "internal error"
    assert error["extensions"] == {"code": "INTERNAL", "request_id": request_id}
    assert "boom" not in response.text
    assert "MATCH" not in response.text
    assert "Traceback" not in response.text
    assert any(request_id in r.getMessage() and "boom" in r.getMessage() for r in caplog.records)


async def test_graphiql_answers_a_browser(gql_client: GraphQL) -> None:
    page = await gql_client.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


def test_api_keys_name_their_holder_and_must_be_long() -> None:
    keys = {"alice:0123456789abcdef": "steward", "0123456789abcdef": "ml"}
    assert principal_for("alice:0123456789abcdef", keys).actor == "steward:alice"
    assert principal_for("0123456789abcdef", keys).actor == "ml"
    assert principal_for(None, keys).role is None
    with pytest.raises(ValidationError, match="api_keys"):
        Settings(api_keys={"short": "admin"})
    with pytest.raises(ValidationError, match="api_keys"):
        Settings.model_validate({"api_keys": {"0123456789abcdef": "root"}})
