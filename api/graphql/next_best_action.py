"""`nextBestAction(context)` on customers and visitors: types, and the glue to `nba`.

The decision is made in process over what the customer query already loads through the
request's DataLoaders (segment memberships, the interactions behind `interactionSummary`,
the golden country and city): asked together with those fields it adds no graph read. Item
categories come from the service's in-memory map (read once, refreshed in the background).
An action returned is logged as an exposure (queued, written by a background thread), which
`customer-graph nba update` later rewards and learns from. Annotations: see
`api.graphql.customers`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from enum import Enum

import strawberry

from api.graphql.context import Info
from api.graphql.errors import BadRequest
from api.graphql.loaders import ItemInteraction
from nba.consent import Consent
from nba.profile import DecisionContext, NbaProfile, build_profile
from nba.service import NextBestActionService

MAX_MERGE_HOPS = 10


@strawberry.enum(description="Where an action is shown.")
class NbaChannel(Enum):
    """Channels of the catalogue."""

    WEB = "web"
    APP = "app"
    EMAIL = "email"


@strawberry.enum(description="The visitor's device.")
class NbaDevice(Enum):
    """Device types."""

    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"


@strawberry.enum(description="The kind of page the action would appear on.")
class NbaPage(Enum):
    """Page types."""

    HOME = "home"
    CATEGORY = "category"
    PRODUCT = "product"
    SEARCH = "search"
    CART = "cart"
    CHECKOUT = "checkout"
    ACCOUNT = "account"
    OTHER = "other"


@strawberry.enum(description="How the action was chosen.")
class NbaPolicy(Enum):
    """`PERSONALISED`: LinUCB over profile and context; `CONTEXTUAL`: without
    personalisation consent, the best estimate from the context alone."""

    PERSONALISED = "personalised"
    CONTEXTUAL = "contextual"


@strawberry.enum(description="What an action is.")
class ActionKind(Enum):
    """Catalogue kinds."""

    OFFER = "offer"
    CONTENT = "content"
    MESSAGE = "message"


@strawberry.input(description="The request the action is for; everything is optional.")
class NbaContext:
    """Channel (default WEB), device, page type, the page's category, hour of day (UTC)."""

    channel: NbaChannel = NbaChannel.WEB
    device: NbaDevice | None = None
    page: NbaPage | None = None
    category: str | None = strawberry.field(
        default=None, description="The category the page shows (category and product pages)."
    )
    hour: int | None = strawberry.field(
        default=None, description="Hour of day 0-23, UTC (default: now)."
    )


@strawberry.type(description="The action to show now, from the next-best-action catalogue.")
class NextBestAction:
    """The chosen action, how it scored and the exposure id it was logged under."""

    id: strawberry.ID = strawberry.field(description="The action's catalogue id.")
    kind: ActionKind
    channels: list[str]
    title: str
    description: str
    url: str | None
    category: str | None
    score: float = strawberry.field(description="What it was ranked by (estimate + bonus).")
    estimate: float = strawberry.field(description="The model's expected reward.")
    exploration: bool = strawberry.field(
        description="Chosen to learn (a random draw, or the confidence bonus won)."
    )
    policy: NbaPolicy
    exposure_id: str = strawberry.field(description="The id this showing was logged under.")


def _decision_context(given: NbaContext | None, now_ms: int) -> DecisionContext:
    given = given if given is not None else NbaContext()
    if given.hour is not None and not 0 <= given.hour <= 23:
        raise BadRequest("context.hour: must be between 0 and 23")
    hour = given.hour if given.hour is not None else datetime.fromtimestamp(now_ms / 1000, UTC).hour
    return DecisionContext(
        channel=given.channel.value,
        device=given.device.value if given.device is not None else None,
        page=given.page.value if given.page is not None else None,
        category=given.category or None,
        hour=hour,
    )


def _answer(
    service: NextBestActionService,
    profile: NbaProfile,
    given: NbaContext | None,
    consent: Consent,
) -> NextBestAction | None:
    now = service.clock()
    decision = service.decide(profile, _decision_context(given, now), consent, now)
    if decision is None:
        return None
    service.expose(decision, profile)
    action = decision.action
    return NextBestAction(
        id=strawberry.ID(action.id),
        kind=ActionKind(action.kind),
        channels=list(action.channel),
        title=action.title,
        description=action.description,
        url=action.url,
        category=action.category,
        score=decision.score,
        estimate=decision.estimate,
        exploration=decision.exploration,
        policy=NbaPolicy(decision.policy),
        exposure_id=decision.exposure_id,
    )


async def _pooled_interactions(info: Info, customer_id: str) -> list[ItemInteraction]:
    loaders = info.context.loaders
    identifiers = await loaders.customer_identifiers(customer_id)
    return await loaders.interactions_of([i.key for i in identifiers])


async def for_customer(
    info: Info,
    customer_id: str,
    country: str | None,
    city: str | None,
    context: NbaContext | None,
) -> NextBestAction | None:
    """A customer's next best action, over the request's loaded segments and interactions."""
    services, loaders = info.context.services, info.context.loaders
    service = services.nba
    memberships, rows, consent, _ = await asyncio.gather(
        loaders.segments.load(customer_id),
        _pooled_interactions(info, customer_id),
        _consent(info, customer_id, None),
        service.items.ensure(services.store),
    )
    profile = build_profile(
        customer_id,
        rows,
        customer_id=customer_id,
        segment_ids=[m.segment_id for m in memberships],
        country=country,
        city=city,
        category_of=service.items.get,
    )
    return _answer(service, profile, context, consent)


async def for_visitor(
    info: Info, key: str, customer_id: str | None, context: NbaContext | None
) -> NextBestAction | None:
    """A visitor's: their customer's when they have one, else from the identifier's own
    interactions (an anonymous profile: no segments, no golden record)."""
    services, loaders = info.context.services, info.context.loaders
    if customer_id is not None:
        node = await loaders.customers.load(customer_id)
        for _ in range(MAX_MERGE_HOPS):  # a retired customer's successor, as `customer` does
            if node is None or node.get("status") != "retired" or not node.get("merged_into"):
                break
            node = await loaders.customers.load(str(node["merged_into"]))
        if node is not None:
            country, city = node.get("country"), node.get("city")
            return await for_customer(
                info,
                str(node["id"]),
                str(country) if country else None,
                str(city) if city else None,
                context,
            )
    service = services.nba
    rows, consent, _ = await asyncio.gather(
        loaders.interactions.load(key),
        _consent(info, None, key),
        service.items.ensure(services.store),
    )
    profile = build_profile(key, rows, category_of=service.items.get)
    return _answer(service, profile, context, consent)


async def _consent(info: Info, customer_id: str | None, key: str | None) -> Consent:
    """The subject's effective consent as `purpose -> bool`, through the request's consent
    loader (shared with `consents` and recommendations: no extra read)."""
    return (await info.context.consent.of(customer_id, key)).allows
