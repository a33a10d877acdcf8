"""`POST /graphql` straight to strawberry's ASGI view: the frontends' hot path.

Through FastAPI, every GraphQL POST paid for route matching across all routers, the
dependency solving of strawberry's route (context getter, `Response`, `BackgroundTasks`,
the key header) and two more middleware layers: about a sixth of the API's CPU per
frontend request (benchmarks/RESULTS.md). `GraphQLPostFastPath` sits inside
`RequestContextMiddleware` (request ids, latency metrics, masked 500s and logs still apply)
and hands exactly `POST /graphql` to `GraphQLPostView`, which shares the schema and the
behaviour (`JsonErrors`) of the FastAPI router that still serves GET, GraphiQL and
everything else at `/graphql`. An unknown key is refused with 401 before the body is read,
as the FastAPI route did, in the same JSON envelope.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from api.dependencies import get_request_id
from api.graphql.context import API_KEY_HEADER, GraphQLContext, principal_or_401, services_of
from api.graphql.router import JsonErrors

GRAPHQL_PATH = "/graphql"


class _Route:
    """What `api.middleware.route_template` reads from `scope["route"]`."""

    path_format = GRAPHQL_PATH


class GraphQLPostView(JsonErrors, GraphQL[GraphQLContext, None]):
    """Strawberry's ASGI view with the API's context and JSON errors."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response: Response
        try:
            # The context (and its key check) first: a wrong key is a 401 whatever the body,
            # as through FastAPI, whose route builds it in `api.graphql.context.get_context`.
            services = services_of(request)
            principal = principal_or_401(request.headers.get(API_KEY_HEADER), services.api_keys)
            context = GraphQLContext(principal, services)
            context.request = request
            response = await self.run(request, context=context)
        except HTTPException as error:
            response = JSONResponse(
                {"error": error.detail, "request_id": get_request_id(request)},
                status_code=error.status_code,
                headers=error.headers,
            )
        await response(scope, receive, send)


class GraphQLPostFastPath:
    """ASGI middleware: `POST /graphql` to `view`, every other request to the app."""

    def __init__(self, app: ASGIApp, view: GraphQLPostView) -> None:
        self.app = app
        self.view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == GRAPHQL_PATH
            and scope.get("method") == "POST"
        ):
            scope["route"] = _Route
            await self.view(scope, receive, send)
            return
        await self.app(scope, receive, send)
