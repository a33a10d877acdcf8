"""The GraphQL request context: who is calling, the app's services, per-request loaders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, cast

import strawberry
from fastapi import Header, HTTPException, Request
from strawberry.fastapi import BaseContext

from api.graphql.consent_loaders import ConsentLoaders
from api.graphql.customer_view import CustomerViews
from api.graphql.loaders import Loaders
from api.graphql.permissions import (
    Operation,
    Principal,
    UnknownApiKey,
    allowed,
    principal_for,
)
from gnn.serving import RecommendationService
from graph.port import GraphStore
from identity.steward import StewardService
from ingestion.pseudonymise import Pseudonymiser
from nba.service import NextBestActionService
from privacy.consent_store import ConsentService
from privacy.erasure import ErasureService
from privacy.export import AccessExport
from privacy.protected_store import without_personal_data
from segments.service import SegmentService

API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class GraphQLServices:
    """What resolvers use, built once by the app's lifespan (`app.state.graphql`)."""

    store: GraphStore
    recommendations: RecommendationService
    steward: StewardService
    pseudonymiser: Pseudonymiser
    api_keys: dict[str, str]
    segments: SegmentService
    consent: ConsentService
    nba: NextBestActionService
    erasure: ErasureService
    access: AccessExport


class GraphQLContext(BaseContext):
    """One request: the caller, the services and fresh DataLoaders."""

    def __init__(self, principal: Principal, services: GraphQLServices) -> None:
        super().__init__()
        self.principal = principal
        self.services = services
        # Personal attributes withheld from this caller are not decrypted either.
        store = services.store
        if not allowed(principal.role, Operation.CUSTOMER_PII):
            store = without_personal_data(store)
        self.loaders = Loaders(store, services.segments)
        self.consent = ConsentLoaders(services.consent)
        self.views = CustomerViews(self.loaders, self.consent)


Info = strawberry.Info[GraphQLContext, None]


def services_of(request: Request) -> GraphQLServices:
    """The services the app's lifespan built (`app.state.graphql`)."""
    try:
        return cast(GraphQLServices, request.app.state.graphql)
    except AttributeError:
        raise RuntimeError("app.state.graphql is not set: did the app's lifespan run?") from None


async def get_context(
    request: Request,
    api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None,
) -> GraphQLContext:
    """The context of one GraphQL request; 401 for an `X-API-Key` that is not configured.

    No key at all is allowed here (GraphiQL's page and introspection work without one);
    every guarded field then answers UNAUTHENTICATED.
    """
    # The services are looked up here, not as a dependency of their own: FastAPI would run
    # a plain `def` dependency in its thread pool, a thread hand-off per request.
    services = services_of(request)
    return GraphQLContext(principal_or_401(api_key, services.api_keys), services)


def principal_or_401(api_key: str | None, keys: Mapping[str, str]) -> Principal:
    """The principal of an `X-API-Key` value (anonymous without one); 401 when the key is
    not configured. Shared by GraphQL and the REST routes."""
    try:
        return principal_for(api_key, keys)
    except UnknownApiKey:
        raise HTTPException(status_code=401, detail="unknown API key") from None
