"""Consent in the API: effective consent per purpose on customers and visitors, the check
recommendations make before personalising, and `setConsent`.

Consent is read per request (`ConsentLoaders`, never cached across requests): a withdrawal
takes effect on the next call. Roles: reading consent (`consent.read`) and `setConsent`
(`consent.write`) are open to frontend (a customer's own banner choice, sent by the site
on their behalf), steward and admin; not to ml. Annotations: see `api.graphql.customers`.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.graphql.context import Info
from api.graphql.errors import BadRequest, NotFound
from api.graphql.permissions import Operation, guarded_mutation
from graph.model import from_millis
from privacy.consent import PERSONALISATION, Consent, Decision, EffectiveConsent
from privacy.consent_store import now_ms

MAX_REASON = 500
MAX_MERGE_HOPS = 10


@strawberry.enum(description="What consent is asked for.")
class ConsentPurpose(Enum):
    """`privacy.consent.PURPOSES`."""

    ANALYTICS = "analytics"
    PERSONALISATION = "personalisation"
    MARKETING = "marketing"


@strawberry.type(description="Effective consent for one purpose.")
class PurposeConsent:
    """The decision that counts (the latest of the person's), or the configured default."""

    purpose: ConsentPurpose
    granted: bool
    source: str = strawberry.field(
        description="Where the decision came from (`event:…`, `record:…`, `api:…`), or "
        "`default` when there is none."
    )
    at: datetime | None = strawberry.field(description="When it was decided (null: default).")
    is_default: bool = strawberry.field(description="True when no decision is on record.")


def purpose_consents(consents: EffectiveConsent) -> list[PurposeConsent]:
    """Every purpose's consent, in the purposes' order."""
    return [_purpose_consent(ConsentPurpose(p), c) for p, c in consents.items()]


def _purpose_consent(purpose: ConsentPurpose, consent: Consent) -> PurposeConsent:
    return PurposeConsent(
        purpose=purpose,
        granted=consent.granted,
        source=consent.source,
        at=from_millis(consent.at) if consent.at is not None else None,
        is_default=consent.is_default,
    )


async def consents_of(
    info: Info, customer_id: str | None, key: str | None = None
) -> list[PurposeConsent]:
    """Effective consent of a customer, or of an identifier without one."""
    return purpose_consents(await info.context.consent.of(customer_id, key))


async def personalisation_allowed(
    info: Info, customer_id: str | None, key: str | None = None
) -> bool:
    """Whether recommendations may be personalised for a customer (or, without one, for an
    identifier): read in this request, so a withdrawal counts from the next call on."""
    return (await info.context.consent.of(customer_id, key)).allows(PERSONALISATION)


@strawberry.type(description="The result of setConsent.")
class ConsentUpdate:
    """The customer the decision was recorded for, and its consent now."""

    customer_id: strawberry.ID = strawberry.field(
        description="The customer (a retired id's successor)."
    )
    changed: bool = strawberry.field(
        description="False when the stored decision was already this (nothing audited)."
    )
    audit_id: str | None
    consents: list[PurposeConsent]


async def _active_customer(info: Info, customer_id: str) -> str:
    node = await info.context.loaders.customers.load(customer_id)
    for _ in range(MAX_MERGE_HOPS):
        if node is None or node.get("status") != "retired" or not node.get("merged_into"):
            break
        node = await info.context.loaders.customers.load(str(node["merged_into"]))
    if node is None:
        raise NotFound(f"customerId: no customer {customer_id!r}")
    return str(node["id"])


@strawberry.type
class ConsentMutation:
    """Recording consent through the API."""

    @guarded_mutation(
        Operation.CONSENT_WRITE,
        "Record a customer's decision for one purpose (audited with the key holder as actor "
        "and the reason); it counts from the next request on. A retired id records for its "
        "successor.",
    )
    async def set_consent(
        self,
        info: Info,
        customer_id: strawberry.ID,
        purpose: ConsentPurpose,
        granted: bool,
        reason: str,
    ) -> ConsentUpdate:
        """One decision, source `api:<actor>`, at the time of the request."""
        reason = reason.strip()
        if not reason:
            raise BadRequest("reason: must not be empty (it goes into the audit log)")
        if len(reason) > MAX_REASON:
            raise BadRequest(f"reason: at most {MAX_REASON} characters")
        active = await _active_customer(info, str(customer_id))
        actor = info.context.principal.actor
        service = info.context.services.consent
        decision = Decision(active, purpose.value, granted, f"api:{actor}", now_ms())
        changes = await service.record([decision], actor, reason)
        current = (await service.of_customers([active]))[active]
        return ConsentUpdate(
            customer_id=strawberry.ID(active),
            changed=any(c.audit_id for c in changes),
            audit_id=next((c.audit_id for c in changes if c.audit_id), None),
            consents=purpose_consents(current),
        )
