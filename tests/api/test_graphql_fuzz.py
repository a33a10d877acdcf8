"""Property-based fuzzing of the real app (hypothesis, hypothesis-graphql): whatever a client
sends to `/graphql`, `/v1/events` or `/v1/records`, the answer is never a 5xx, always a JSON
body, and never carries a stack trace, a file path or Cypher text; documents that fit the
schema never meet an internal error.

Queries run against the session's resolved world (real embedded store, real models; queries
only read); mutations and ingest bodies against an app of their own, with its own store and
its real ingestion pipeline, so nothing they write reaches the other tests. Each property is
bounded (`max_examples`, no example database in the repository) so the file runs in well
under a minute.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import graphql
import httpx2
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes
from hypothesis_graphql import strategies as gql_st

from api.app import create_app
from api.graphql.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, sdl
from customer_graph.settings import Settings
from tests.api.conftest import GraphQL, serving
from tests.api.graphql_world import HASH_KEY, KEYS

SCHEMA_SDL = sdl()
ROLES: list[str | None] = [None, *(str(role) for role in KEYS)]
# What must never reach a client: tracebacks, source paths, Cypher, Python exception reprs.
LEAKS = re.compile(
    r"Traceback \(most recent|\.py\", line|site-packages|\bMATCH\s*\(|\bMERGE\s*\(|\bUNWIND\b"
    r"|(?:Key|Type|Attribute|Runtime|Value|Index|Assertion)Error\("
)


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,  # a shared 2-core machine: time per example varies a lot
        database=None,  # no .hypothesis/ folder in the repository
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        print_blob=True,
    )


def _check(response: httpx2.Response) -> Any:
    """The properties every answer has; returns the JSON body."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert not LEAKS.search(response.text), response.text[:1000]
    for error in body.get("errors") or [] if isinstance(body, dict) else []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL":
            assert error["message"] == "internal error"
    return body


def _internal(body: Any) -> list[dict[str, Any]]:
    errors = body.get("errors") or [] if isinstance(body, dict) else []
    return [e for e in errors if (e.get("extensions") or {}).get("code") == "INTERNAL"]


def _headers(role: str | None) -> dict[str, str]:
    keys = {str(r): k for r, k in KEYS.items()}
    return {} if role is None else {"X-API-Key": keys[role]}


# ---- strategies ----------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
NAMES = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,10}", fullmatch=True)


def _value_node(value: Any) -> graphql.ValueNode:
    """A GraphQL literal for a JSON value."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_value_node(v) for v in value])
    fields = [
        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_value_node(v))
        for k, v in value.items()
        if re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*", k)
    ]
    return nodes.Object(fields)


TEXT_NODES = st.text(max_size=30).map(nodes.String)
CUSTOM_SCALARS = {
    "JSON": JSON_VALUES.map(_value_node),
    "DateTime": st.datetimes().map(lambda d: nodes.String(d.isoformat())) | TEXT_NODES,
    "Date": st.dates().map(lambda d: nodes.String(d.isoformat())) | TEXT_NODES,
}
PUNCTUATION = ["{", "}", "(", ")", "[", "]", ":", "$", "!", "@", "...", "=", "|", "&", ",", '"']
KEYWORDS = ["query", "mutation", "subscription", "fragment", "on", "true", "null", "__schema"]
FIELDS = ["customer", "customers", "visitor", "segments", "segment", "modelVersions", "id"]
TOKENS = st.sampled_from(PUNCTUATION + KEYWORDS + FIELDS) | NAMES | st.integers().map(str)
TOKEN_SOUP = st.lists(TOKENS, max_size=60).map(" ".join)


@st.composite
def deep_documents(draw: st.DrawFn) -> str:
    """Nested, aliased or long documents around the depth, alias and token limits."""
    kind = draw(st.sampled_from(["deep", "aliases", "tokens", "fragments"]))
    n = draw(st.integers(1, 3)) + {"deep": MAX_DEPTH, "aliases": MAX_ALIASES}.get(kind, 0)
    if kind == "deep":
        return "{ " + 'customer(id: "x") { records { ' * n + "key" + " } }" * n + " }"
    if kind == "aliases":
        return "{ " + " ".join(f"a{i}: segments {{ id }}" for i in range(n)) + " }"
    if kind == "tokens":
        return "{ " + " ".join("__typename" for _ in range(MAX_TOKENS + n)) + " }"
    # fragments spreading each other: a cycle is a validation error, never a hang
    return "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"


# Documents with variables, for variable values of the wrong type.
VARIABLE_DOCUMENTS = [
    "query($id: ID!) { customer(id: $id) { id profile { city } } }",
    "query($ids: [ID!]!) { customers(ids: $ids) { id } }",
    "query($t: IdentifierType!, $v: String!) { visitor(type: $t, value: $v) { customer { id } } }",
    "query($id: ID!, $n: Int) { segment(id: $id) { members(first: $n) { edges { cursor } } } }",
    "query($id: ID!, $n: Int!) { customer(id: $id) { recommendations(first: $n) { source } } }",
    "query($f: ReviewQueueFilter, $n: Int) { reviewQueue(filter: $f, first: $n) { total } }",
    "mutation($e: [JSON!]!) { submitEvents(events: $e) { accepted } }",
    "mutation($d: String!) { defineSegment(definition: $d) { id } }",
]


# ---- fixtures ------------------------------------------------------------------------


@pytest.fixture
def own_app(tmp_path: Path) -> FastAPI:
    """An app with its own store and real pipeline: what fuzzed mutations write stays here."""
    settings_ = Settings(
        data_dir=tmp_path,
        hash_key=HASH_KEY,
        api_keys={key: role for role, key in KEYS.items()},
    )
    return create_app(settings_)


@pytest.fixture
async def own_client(own_app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with serving(own_app) as client:
        yield client


# ---- properties ----------------------------------------------------------------------


@_fuzz(examples=100)
@given(
    document=gql_st.queries(SCHEMA_SDL, custom_scalars=CUSTOM_SCALARS, allow_x00=False),
    role=st.sampled_from(ROLES),
)
async def test_queries_that_fit_the_schema_never_meet_an_internal_error(
    gql_client: GraphQL, document: str, role: str | None
) -> None:
    response = await gql_client.post(document, role=role)
    body = _check(response)
    assert not _internal(body), (document, body)


@_fuzz(examples=60)
@given(
    document=gql_st.mutations(SCHEMA_SDL, custom_scalars=CUSTOM_SCALARS, allow_x00=False),
    role=st.sampled_from(ROLES),
)
async def test_mutations_that_fit_the_schema_never_meet_an_internal_error(
    own_client: httpx2.AsyncClient, document: str, role: str | None
) -> None:
    response = await own_client.post("/graphql", json={"query": document}, headers=_headers(role))
    body = _check(response)
    assert not _internal(body), (document, body)


@_fuzz(examples=60)
@given(
    document=gql_st.queries(SCHEMA_SDL, custom_scalars=CUSTOM_SCALARS, mode=Mode.NEGATIVE)
    | TOKEN_SOUP
    | st.text(max_size=200)
    | deep_documents()
)
async def test_documents_that_do_not_fit_are_refused_as_client_errors(
    gql_client: GraphQL, document: str
) -> None:
    response = await gql_client.post(document, role="admin")
    body = _check(response)
    assert not _internal(body), (document, body)
    if response.status_code == 200 and body.get("data") is None:
        assert body["errors"], body


@_fuzz(examples=80)
@given(
    document=st.sampled_from(VARIABLE_DOCUMENTS),
    variables=st.dictionaries(
        st.sampled_from(["id", "ids", "t", "v", "n", "f", "e", "d"]) | NAMES,
        JSON_VALUES,
        max_size=4,
    ),
    operation_name=st.none() | NAMES,
)
async def test_variables_of_any_type_are_client_errors(
    own_client: httpx2.AsyncClient,
    document: str,
    variables: dict[str, Any],
    operation_name: str | None,
) -> None:
    body: dict[str, Any] = {"query": document, "variables": variables}
    if operation_name is not None:
        body["operationName"] = operation_name
    response = await own_client.post("/graphql", json=body, headers=_headers("admin"))
    answer = _check(response)
    assert not _internal(answer), (document, variables, answer)


# Bodies Python's JSON parser reads although JSON does not allow them, and odd shapes.
ODD_GRAPHQL_BODIES = [
    b'{"query": "query($n: Int) { segments { id } }", "variables": {"n": NaN}}',
    b'{"query": "mutation($e: [JSON!]!) { submitEvents(events: $e) { accepted } }", '
    b'"variables": {"e": [{"event_id": Infinity}]}}',
    b'{"query": "{ segments { id } }", "variables": [1, 2]}',
    b'{"query": "{ segments { id } }", "operationName": 7}',
    b'{"query": ["{ segments { id } }"]}',
    b'{"query": "{ segments { id } }", "extensions": "x"}',
    b'[{"query": "{ segments { id } }"}]',
    b'{"query": "' + b"{" * 3000 + b'"}',
]


@_fuzz(examples=60)
@given(
    body=JSON_VALUES | st.binary(max_size=200) | st.sampled_from(ODD_GRAPHQL_BODIES),
    method=st.sampled_from(["POST", "GET"]),
)
async def test_any_request_body_on_graphql_is_answered(
    own_client: httpx2.AsyncClient, body: Any, method: str
) -> None:
    headers = {**_headers("admin"), "Content-Type": "application/json"}
    if method == "GET":
        params = body if isinstance(body, dict) else {"query": str(body)}
        flat = {str(k): json.dumps(v) if not isinstance(v, str) else v for k, v in params.items()}
        response = await own_client.get("/graphql", params=flat, headers=headers)
        if not flat.get("query") and response.headers["content-type"].startswith("text/html"):
            assert "graphiql" in response.text.lower()  # a GET without a query: the IDE
            return
    else:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = await own_client.post("/graphql", content=content, headers=headers)
    answer = _check(response)
    if response.status_code != 200:  # the API's error envelope, not strawberry's plain text
        assert set(answer) == {"error", "request_id"}, answer


# ---- ingest bodies -------------------------------------------------------------------

VALID_EVENT: dict[str, Any] = {
    "schema_version": 1,
    "event_id": "fuzz-1",
    "type": "product_view",
    "occurred_at": "2026-03-01T12:00:00Z",
    "identifiers": {"user_id": "u-000000fuzz"},
    "properties": {"item_id": "I-FUZZ", "price": 1.5},
    "source": "web",
}
VALID_RECORD: dict[str, Any] = {
    "source": "crm",
    "source_id": "F-1",
    "first_name": "Ada",
    "email": "ada@example.com",
    "updated_at": "2026-03-01T12:00:00Z",
}


@st.composite
def near_valid(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """A valid item with a few keys replaced, removed or added."""
    item: dict[str, Any] = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "remove", "add", "nest"]))
        key = draw(st.sampled_from(sorted(item) or ["x"]))
        if action == "replace":
            item[key] = draw(JSON_VALUES)
        elif action == "remove":
            item.pop(key, None)
        elif action == "add":
            item[draw(st.text(max_size=10))] = draw(JSON_VALUES)
        elif isinstance(item.get(key), dict):
            item[key][draw(st.text(max_size=10))] = draw(JSON_VALUES)
    return item


ITEM_LISTS = st.lists(near_valid(VALID_EVENT) | near_valid(VALID_RECORD) | JSON_VALUES, max_size=5)
BODIES = (
    ITEM_LISTS.map(lambda items: json.dumps(items).encode())
    | ITEM_LISTS.map(lambda items: json.dumps({"items": items}).encode())
    | JSON_VALUES.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=300)
    | st.sampled_from([b"[NaN]", b'{"items": [Infinity]}', b"[" * 5000, b'"\\ud800"', b"\xff\xfe"])
)


@_fuzz(examples=100)
@given(path=st.sampled_from(["/v1/events", "/v1/records"]), body=BODIES)
async def test_any_ingest_body_is_answered_without_a_server_error(
    own_client: httpx2.AsyncClient, path: str, body: bytes
) -> None:
    headers = {"Content-Type": "application/json", **_headers("admin")}
    response = await own_client.post(path, content=body, headers=headers)
    answer = _check(response)
    assert response.status_code in {200, 400, 413, 415, 422}, (response.status_code, answer)
    if response.status_code == 200:
        assert len(answer["items"]) == answer["accepted"] + answer["duplicates"] + answer[
            "rejected"
        ] + sum(1 for i in answer["items"] if i["status"] == "suppressed")
        for item in answer["items"]:
            if item["status"] == "rejected":
                assert item["field"], item
                assert item["reason"], item


@_fuzz(examples=60)
@given(
    mutation=st.sampled_from(["submitEvents(events: $items)", "submitRecords(records: $items)"]),
    items=ITEM_LISTS,
)
async def test_any_items_through_the_mutations_get_a_result_per_item_or_a_bad_request(
    own_client: httpx2.AsyncClient, mutation: str, items: list[Any]
) -> None:
    selection = "{ accepted items { status field reason } }"
    document = f"mutation($items: [JSON!]!) {{ {mutation} {selection} }}"
    response = await own_client.post(
        "/graphql",
        json={"query": document, "variables": {"items": items}},
        headers=_headers("admin"),
    )
    answer = _check(response)
    assert not _internal(answer), (items, answer)
    if answer.get("data"):
        [result] = answer["data"].values()
        assert len(result["items"]) == len(items)
        assert all(i["field"] and i["reason"] for i in result["items"] if i["status"] == "REJECTED")
    else:
        codes = {(e.get("extensions") or {}).get("code") for e in answer["errors"]}
        assert codes <= {"BAD_REQUEST", None}, answer


async def test_the_generators_schema_is_the_one_the_server_introspects(gql_client: GraphQL) -> None:
    """The documents above are drawn from `SCHEMA_SDL`: it must be what clients discover."""
    answer = await gql_client.data(
        graphql.get_introspection_query(descriptions=False, specified_by_url=True)
    )
    served = graphql.build_client_schema(cast(graphql.IntrospectionQuery, answer))
    generated = graphql.build_client_schema(
        graphql.introspection_from_schema(
            graphql.build_schema(SCHEMA_SDL), descriptions=False, specified_by_url=True
        )
    )

    def printed(schema: graphql.GraphQLSchema) -> str:
        return graphql.print_schema(graphql.lexicographic_sort_schema(schema))

    assert printed(served) == printed(generated)
    assert "submitEvents" in printed(served)
