"""API keys on the REST routes: the same keys, roles and permission matrix as GraphQL.

`POST /v1/events` and `/v1/records` write into the graph, so they need an `X-API-Key` whose
role may do what the route does (`Operation.INGEST_EVENTS`: frontend and admin;
`INGEST_RECORDS`: admin). No key or an unknown key answers 401, a key whose role may not
answer 403; either way before the body is read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, HTTPException, status

from api.dependencies import SettingsDep
from api.graphql.context import API_KEY_HEADER, principal_or_401
from api.graphql.permissions import Operation, Principal, allowed

KeyCheck = Callable[..., Awaitable[Principal]]


def requires(operation: Operation) -> KeyCheck:
    """A route dependency: the caller's principal, when their key may perform `operation`."""

    async def check(
        settings: SettingsDep,
        api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None,
    ) -> Principal:
        if not api_key:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"{API_KEY_HEADER} is required")
        principal = principal_or_401(api_key, settings.api_keys)
        if not allowed(principal.role, operation):
            detail = f"the {principal.role} role may not use {operation.value}"
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail)
        return principal

    return check
