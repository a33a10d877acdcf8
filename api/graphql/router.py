"""The `/graphql` endpoint: strawberry's FastAPI router, with its HTTP errors as JSON.

`JsonErrors` holds the behaviour below; `JsonErrorsGraphQLRouter` (GET, GraphiQL, POST)
and `api.graphql.post_route.GraphQLPostView` (the fast path for POST) both use it.

Strawberry answers a request it cannot read as GraphQL (no query, a body that is not JSON,
a mutation over GET, an unknown `operationName`) with a plain-text 4xx; this router answers
the API's JSON error envelope instead, `{"error": <reason>, "request_id": …}`, like every
other route (`api.app`), with the same status code. A POST body is read within the HTTP
ingest routes' byte limit (`CG_HTTP_MAX_BODY_BYTES`: 413 as soon as it is known to be over,
compressed bodies 415), so no GraphQL request makes the process buffer more than that.
Bodies strawberry would choke on (found by `tests/api/test_graphql_fuzz.py`) are refused
with 400 before it sees them: JSON that is not an object (`0`, `null`: an AttributeError, a
500, in strawberry 0.341), `NaN` and `Infinity` (not JSON), bytes that are not UTF-8, and
nesting deeper than the parser's stack.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.types.unset import UNSET

from api.dependencies import get_ingest_limits, get_request_id
from api.graphql.context import GraphQLContext
from api.routes.ingest import read_body_limited


class JsonErrors(AsyncBaseHTTPView):  # type: ignore[type-arg]
    """Mixed into a strawberry view: 4xx answers are JSON, POST bodies are read within the
    byte limit, bodies strawberry would choke on are refused (see the module docstring)."""

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's `run`; an HTTP error becomes the JSON error envelope."""
        if isinstance(request, Request) and request.method == "POST":
            # Read within the ingest byte limit (413 before reading by Content-Length, or
            # while streaming), then strawberry reads the cached body.
            limit = get_ingest_limits(request).max_body_bytes
            request._body = await read_body_limited(request, limit)
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as error:
            if not isinstance(request, Request):  # websockets: strawberry's own handling
                raise
            return _error(request, error)

    def decode_json(self, data: str | bytes) -> object:
        """The body's JSON object (a list goes on to strawberry's batch check), or a 400."""
        try:
            document = json.loads(data, parse_constant=_refuse_constant)
        except json.JSONDecodeError:
            raise  # strawberry answers "Unable to parse request body as JSON"
        except (UnicodeDecodeError, ValueError) as error:
            raise HTTPException(400, f"Unable to parse request body as JSON: {error}") from None
        except RecursionError:
            raise HTTPException(400, "Request body is nested too deeply") from None
        if not isinstance(document, dict | list):
            raise HTTPException(400, "Expected a JSON object (the request, or its variables)")
        return document


class JsonErrorsGraphQLRouter(JsonErrors, GraphQLRouter[GraphQLContext, None]):
    """`GraphQLRouter` whose 4xx answers are JSON (see the module docstring)."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _error(request: Request, error: HTTPException) -> Response:
    """The JSON error envelope of a strawberry HTTP error."""
    return JSONResponse(
        {"error": error.reason, "request_id": get_request_id(request)},
        status_code=error.status_code,
    )
