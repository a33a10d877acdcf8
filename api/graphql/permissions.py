"""Who may do what: API keys map to roles, roles to operations (the one permission matrix).

Every guarded GraphQL field names one `Operation`; `Allowed` checks the request's role
against `MATRIX`. Fields that would return personal data to a role without `CUSTOMER_PII`
(names, birth date, address) answer null instead of failing the query: a frontend simply
gets the reduced profile. Every other refusal is a `FORBIDDEN` error (or `UNAUTHENTICATED`
without a key) on that field.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission, PermissionExtension

from api.graphql.errors import Forbidden, Unauthenticated

F = TypeVar("F", bound=Callable[..., Any])


class Role(StrEnum):
    """The API's roles (`CG_API_KEYS` maps keys to them)."""

    FRONTEND = "frontend"
    STEWARD = "steward"
    ADMIN = "admin"
    ML = "ml"


class Operation(StrEnum):
    """What a GraphQL field does, as far as permissions are concerned."""

    CUSTOMER_READ = "customer.read"  # customers, visitors, records, identifiers, interactions
    CUSTOMER_PII = "customer.pii"  # names, birth date, address (profile and records)
    CUSTOMER_LINEAGE = "customer.lineage"  # where each golden attribute came from
    RECOMMENDATIONS_READ = "recommendations.read"
    MODELS_READ = "models.read"
    MODELS_PROMOTE = "models.promote"  # promoteModel, rollbackModel
    MATCHES_READ = "matches.read"  # the review queue
    MATCHES_DECIDE = "matches.decide"  # approveMatch, rejectMatch
    CUSTOMERS_SPLIT = "customers.split"
    OPERATIONS_UNDO = "operations.undo"
    AUDIT_READ = "audit.read"  # the audit trail of customers and pairs
    SEGMENTS_READ = "segments.read"  # segments, their members, a customer's segments
    SEGMENTS_DEFINE = "segments.define"  # defineSegment
    SEGMENTS_EVALUATE = "segments.evaluate"  # evaluateSegments
    SEGMENTS_LOOKALIKE = "segments.lookalike"  # buildLookalike (from GNN embeddings)
    NBA_READ = "nba.read"  # nextBestAction of customers and visitors
    CONSENT_READ = "consent.read"  # a customer's or visitor's consent per purpose
    CONSENT_WRITE = "consent.write"  # setConsent
    PRIVACY_ERASE = "privacy.erase"  # eraseCustomer (the privacy officer)
    PRIVACY_EXPORT = "privacy.export"  # exportCustomerData (right of access)
    INGEST_EVENTS = "ingest.events"  # submitEvents (site and app tracking)
    INGEST_RECORDS = "ingest.records"  # submitRecords (CRM and account sources)


_F, _S, _A, _M = Role.FRONTEND, Role.STEWARD, Role.ADMIN, Role.ML
MATRIX: Mapping[Operation, frozenset[Role]] = {
    Operation.CUSTOMER_READ: frozenset({_F, _S, _A, _M}),
    Operation.CUSTOMER_PII: frozenset({_S, _A}),
    Operation.CUSTOMER_LINEAGE: frozenset({_S, _A}),
    Operation.RECOMMENDATIONS_READ: frozenset({_F, _S, _A, _M}),
    Operation.MODELS_READ: frozenset({_A, _M}),
    Operation.MODELS_PROMOTE: frozenset({_A, _M}),
    Operation.MATCHES_READ: frozenset({_S, _A}),
    Operation.MATCHES_DECIDE: frozenset({_S, _A}),
    Operation.CUSTOMERS_SPLIT: frozenset({_S, _A}),
    Operation.OPERATIONS_UNDO: frozenset({_S, _A}),
    Operation.AUDIT_READ: frozenset({_S, _A}),
    Operation.SEGMENTS_READ: frozenset({_F, _S, _A, _M}),
    Operation.SEGMENTS_DEFINE: frozenset({_S, _A}),
    Operation.SEGMENTS_EVALUATE: frozenset({_S, _A}),
    Operation.SEGMENTS_LOOKALIKE: frozenset({_S, _A, _M}),
    Operation.NBA_READ: frozenset({_F, _S, _A}),
    # The frontend records a customer's own banner choice on their behalf; ml never sees it.
    Operation.CONSENT_READ: frozenset({_F, _S, _A}),
    Operation.CONSENT_WRITE: frozenset({_F, _S, _A}),
    Operation.PRIVACY_ERASE: frozenset({_A}),
    Operation.PRIVACY_EXPORT: frozenset({_A}),
    # Behavioural events come from the site (frontend); source records are system-of-record
    # data that create and change identities: integrations with the admin key only.
    Operation.INGEST_EVENTS: frozenset({_F, _A}),
    Operation.INGEST_RECORDS: frozenset({_A}),
}


def allowed(role: Role | None, operation: Operation) -> bool:
    """Whether `role` (None: no key) may perform `operation`."""
    return role is not None and role in MATRIX[operation]


@dataclass(frozen=True)
class Principal:
    """Who is calling: their role (None without a key) and the name audit entries record."""

    role: Role | None
    actor: str


ANONYMOUS = Principal(None, "anonymous")


class UnknownApiKey(Exception):  # noqa: N818 (the API answers 401)
    """An `X-API-Key` that is not configured."""


def principal_for(key: str | None, keys: Mapping[str, str]) -> Principal:
    """The principal of an `X-API-Key` value (`ANONYMOUS` without one); `UnknownApiKey`
    when it matches no configured key (compared in constant time)."""
    if not key:
        return ANONYMOUS
    found: str | None = None
    for candidate, role in keys.items():
        if hmac.compare_digest(candidate.encode(), key.encode()):
            found = role
    if found is None:
        raise UnknownApiKey("unknown API key")
    name, sep, _ = key.partition(":")
    return Principal(Role(found), f"{found}:{name}" if sep and name else found)


class Allowed(BasePermission):
    """Grants a field when the caller's role may perform the field's operation."""

    def __init__(self, operation: Operation, *, silent: bool = False) -> None:
        self.operation = operation
        self.silent = silent
        self.message = f"this API key may not use {operation.value}"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        """Look the caller's role up in `MATRIX` (no key at all: UNAUTHENTICATED)."""
        principal: Principal = info.context.principal
        if principal.role is None and not self.silent:
            raise Unauthenticated("send an API key in the X-API-Key header")
        return allowed(principal.role, self.operation)

    def on_unauthorized(self) -> None:
        """A known key whose role may not do this: FORBIDDEN."""
        raise Forbidden(self.message or "forbidden")


def guard(operation: Operation, *, silent: bool = False) -> PermissionExtension:
    """The field extension enforcing `operation`; `silent` answers null instead of an error.
    No schema directive: the roles are listed in the field's description (`roles_note`)."""
    return PermissionExtension(
        [Allowed(operation, silent=silent)], use_directives=False, fail_silently=silent
    )


def roles_note(operation: Operation) -> str:
    """`Roles: steward, admin.` for a field description."""
    roles = ", ".join(role.value for role in Role if role in MATRIX[operation])
    return f"Roles: {roles}."


def field(description: str, *extensions: PermissionExtension) -> Callable[[F], F]:
    """`@strawberry.field` with a description, typed for mypy: strawberry's own decorator
    form returns `Any`, which strict mypy refuses as an untyped decorator. The method becomes
    a `StrawberryField` at runtime, which `@strawberry.type` then reads as usual."""

    def decorate(resolver: F) -> F:
        made = strawberry.field(resolver, description=description, extensions=list(extensions))
        return cast(F, made)

    return decorate


def guarded(operation: Operation, description: str) -> Callable[[F], F]:
    """A resolver enforcing `operation`, its roles appended to the description."""
    return field(f"{description} {roles_note(operation)}", guard(operation))


def guarded_value(operation: Operation, description: str) -> Any:
    """A plain (resolver-less) field that answers null to roles without `operation`."""
    return strawberry.field(
        description=f"{description} {roles_note(operation)}",
        extensions=[guard(operation, silent=True)],
    )


def guarded_mutation(operation: Operation, description: str) -> Callable[[F], F]:
    """A mutation enforcing `operation`, its roles appended to the description."""

    def decorate(resolver: F) -> F:
        made = strawberry.mutation(
            resolver,
            description=f"{description} {roles_note(operation)}",
            extensions=[guard(operation)],
        )
        return cast(F, made)

    return decorate
