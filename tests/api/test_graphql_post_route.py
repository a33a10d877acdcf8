"""`POST /graphql` takes the fast path past FastAPI's routing (`api.graphql.post_route`);
GET and GraphiQL stay on strawberry's FastAPI router; both answer alike."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from api.graphql.post_route import GraphQLPostView
from api.graphql.router import JsonErrorsGraphQLRouter
from tests.api.conftest import sample
from tests.api.graphql_world import KEYS

TYPENAME = "{ __typename }"


def _count_runs(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    runs = {"fast path": 0, "router": 0}
    for name, view in (("fast path", GraphQLPostView), ("router", JsonErrorsGraphQLRouter)):
        original = view.run

        async def counting(
            self: Any, *args: Any, _n: str = name, _f: Any = original, **kw: Any
        ) -> Any:
            runs[_n] += 1
            return await _f(self, *args, **kw)

        monkeypatch.setattr(view, "run", counting)
    return runs


async def test_post_takes_the_fast_path_and_get_the_router(
    client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = _count_runs(monkeypatch)
    posted = await client.post("/graphql", json={"query": TYPENAME})
    assert posted.status_code == 200
    assert posted.json() == {"data": {"__typename": "Query"}}
    assert posted.headers["x-request-id"]
    assert runs == {"fast path": 1, "router": 0}
    got = await client.get("/graphql", params={"query": TYPENAME})
    assert got.json() == posted.json()
    assert runs == {"fast path": 1, "router": 1}
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_an_unknown_key_is_a_401_before_the_body_is_read(
    client: httpx2.AsyncClient,
) -> None:
    too_big = b"x" * (64 * 1024 * 1024)
    answer = await client.post(
        "/graphql",
        content=too_big,
        headers={"X-API-Key": "not-a-configured-key-at-all", "Content-Type": "application/json"},
    )
    assert answer.status_code == 401
    body = answer.json()
    assert body == {"error": "unknown API key", "request_id": answer.headers["x-request-id"]}


async def test_fast_path_errors_keep_the_json_envelope_and_the_route_label(
    client: httpx2.AsyncClient,
) -> None:
    labels = {"method": "POST", "route": "/graphql", "status": "400"}
    before = sample("cg_http_request_seconds_count", labels)
    answer = await client.post(
        "/graphql",
        content=b"[1, 2",
        headers={"X-API-Key": KEYS["frontend"], "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["request_id"] == answer.headers["x-request-id"]
    assert "JSON" in answer.json()["error"]
    assert sample("cg_http_request_seconds_count", labels) - before == 1


async def test_other_methods_and_paths_are_not_taken(client: httpx2.AsyncClient) -> None:
    assert (await client.put("/graphql", json={"query": TYPENAME})).status_code == 405
    assert (await client.post("/graphql/", json={"query": TYPENAME})).status_code in (200, 307)
