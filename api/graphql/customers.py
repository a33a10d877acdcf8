"""Customers, their records and identifiers, visitors, and the queries that find them.

Reaching a customer needs `customer.read` (the root fields are guarded); below it, personal
fields need `customer.pii` (null otherwise: the reduced profile), lineage needs
`customer.lineage`, recommendations `recommendations.read`. Annotations are postponed
strings resolved by strawberry in this module's namespace: every name they use is a
runtime import (see `api.graphql.recommendations`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import strawberry

from api.graphql.consent import PurposeConsent, consents_of, personalisation_allowed
from api.graphql.context import Info
from api.graphql.customer_view import CustomerLoad
from api.graphql.loaders import IdentifierRow, ItemInteraction, Loaders
from api.graphql.memberships import SegmentMembership, membership_of
from api.graphql.next_best_action import NbaContext, NextBestAction, for_customer
from api.graphql.permissions import Operation, allowed, field, guarded, guarded_value
from api.graphql.recommendations import RecommendationList, recommend
from graph.model import IdentifierType, from_millis

MAX_CUSTOMERS = 100
MAX_MERGE_HOPS = 10
PII = Operation.CUSTOMER_PII
# Registers graph's enum with strawberry (it sets an attribute on the class, nothing else),
# so resolvers can annotate arguments with `IdentifierType` itself.
strawberry.enum(IdentifierType, name="IdentifierType", description="Kinds of identifier.")


def _time(millis: Any) -> datetime | None:
    return from_millis(int(millis)) if isinstance(millis, int | float) else None


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


@strawberry.type(description="Where a golden attribute came from.")
class LineageEntry:
    """One attribute's survivor: the record, its source and the deciding rule."""

    attribute: str
    record_key: str
    source: str
    rule: str


@strawberry.type(description="Golden attributes; personal ones are null for other roles.")
class Profile:
    """The customer's golden record."""

    first_name: str | None = guarded_value(PII, "First name.")
    last_name: str | None = guarded_value(PII, "Last name.")
    date_of_birth: str | None = guarded_value(PII, "Date of birth (YYYY-MM-DD).")
    address: str | None = guarded_value(PII, "Street address.")
    postcode: str | None = guarded_value(PII, "Postcode.")
    city: str | None
    country: str | None
    lineage_json: strawberry.Private[str | None]

    @field("True when personal fields were withheld from this key.")
    def pii_redacted(self, info: Info) -> bool:
        """Whether the caller's role lacks `customer.pii`."""
        return not allowed(info.context.principal.role, PII)

    @guarded(Operation.CUSTOMER_LINEAGE, "Per attribute: the record and rule it came from.")
    def lineage(self) -> list[LineageEntry]:
        """The stored lineage JSON as entries, by attribute name."""
        stored: dict[str, dict[str, Any]] = json.loads(self.lineage_json or "{}")
        return [
            LineageEntry(
                attribute=name,
                record_key=str(entry.get("record") or entry.get("record_key") or ""),
                source=str(entry.get("source", "")),
                rule=str(entry.get("rule", "")),
            )
            for name, entry in sorted(stored.items())
        ]


def profile_of(node: dict[str, Any]) -> Profile:
    """A profile from a customer or record node's properties."""
    return Profile(
        first_name=_text(node.get("first_name")),
        last_name=_text(node.get("last_name")),
        date_of_birth=_text(node.get("date_of_birth")),
        address=_text(node.get("address")),
        postcode=_text(node.get("postcode")),
        city=_text(node.get("city")),
        country=_text(node.get("country")),
        lineage_json=_text(node.get("lineage")),
    )


@strawberry.type(description="Interactions of one type, over a set of identifiers.")
class InteractionSummary:
    """Counts and weights per interaction type."""

    type: str
    count: int = strawberry.field(description="Events of this type.")
    weight: float = strawberry.field(description="Summed weight (view 1, cart 3, purchase 5).")
    items: int = strawberry.field(description="Distinct items.")
    first_at: datetime | None
    last_at: datetime | None


def summarise(rows: list[ItemInteraction]) -> list[InteractionSummary]:
    """One summary per interaction type, by type name."""
    by_type: dict[str, list[ItemInteraction]] = defaultdict(list)
    for row in rows:
        by_type[row.type].append(row)
    return [
        InteractionSummary(
            type=kind,
            count=sum(r.count for r in group),
            weight=sum(r.weight for r in group),
            items=len({r.item_id for r in group}),
            first_at=_time(min(r.first_at for r in group)),
            last_at=_time(max(r.last_at for r in group)),
        )
        for kind, group in sorted(by_type.items())
    ]


@strawberry.type(description="An identifier: emails, phones and national ids are keyed hashes.")
class Identifier:
    """A stored identifier."""

    key: str
    type: str
    value: str


def identifier_of(row: IdentifierRow) -> Identifier:
    """The GraphQL identifier of a loaded row."""
    return Identifier(key=row.key, type=row.type, value=row.value)


@strawberry.type(description="A source record (CRM row, web account, app profile).")
class Record:
    """One of a customer's records."""

    key: str
    source: str
    source_id: str
    updated_at: datetime | None
    profile: Profile = strawberry.field(description="The record's own attributes.")

    @field("The record's identifiers.")
    async def identifiers(self, info: Info) -> list[Identifier]:
        """Through the request's identifiers loader (one read per batch of records)."""
        return [identifier_of(r) for r in await info.context.loaders.identifiers.load(self.key)]


def record_of(node: dict[str, Any]) -> Record:
    """A record from its node's properties."""
    return Record(
        key=str(node["key"]),
        source=str(node.get("source", "")),
        source_id=str(node.get("source_id", "")),
        updated_at=_time(node.get("updated_at")),
        profile=profile_of(node),
    )


@strawberry.type(description="A resolved person with a stable id.")
class Customer:
    """A customer node and what hangs off it."""

    id: strawberry.ID
    status: str = strawberry.field(description="`active`, or `retired` after a merge.")
    merged_into: strawberry.ID | None
    record_count: int
    created_at: datetime | None
    updated_at: datetime | None
    profile: Profile

    @field("The customer's source records, by key.")
    async def records(self, info: Info) -> list[Record]:
        """Through the request's records loader."""
        return [record_of(node) for node in await info.context.loaders.records.load(self.id)]

    @guarded(Operation.SEGMENTS_READ, "The segments the customer is in, by segment id.")
    async def segments(self, info: Info) -> list[SegmentMembership]:
        """Through the request's segments loader (one read per batch of customers)."""
        return [membership_of(m) for m in await info.context.loaders.segments.load(str(self.id))]

    @field("Identifiers of its records, then those seen with them.")
    async def identifiers(self, info: Info) -> list[Identifier]:
        """Every identifier the customer's behaviour is recorded under."""
        rows = await info.context.loaders.customer_identifiers(str(self.id))
        return [identifier_of(r) for r in rows]

    @field("Interactions per type over all the customer's identifiers.")
    async def interaction_summary(self, info: Info) -> list[InteractionSummary]:
        """Pooled over `identifiers`."""
        return summarise(await _customer_interactions(info.context.loaders, str(self.id)))

    @guarded(Operation.RECOMMENDATIONS_READ, "Recommended items for this customer.")
    async def recommendations(
        self,
        info: Info,
        first: int = 10,
        categories: list[str] | None = None,
        exclude_items: list[str] | None = None,
    ) -> RecommendationList:
        """From the served model, with what the customer did since its data as evidence (all
        their interactions when the model does not know them)."""
        loaders, customer_id = info.context.loaders, str(self.id)
        if not await personalisation_allowed(info, customer_id):
            # Not personalised: popularity, their own data unused.
            return recommend(info, customer_id, (), first, categories, exclude_items, False)
        since = info.context.services.recommendations.data_until(customer_id)
        if since is None:
            rows = await _customer_interactions(loaders, customer_id)
        else:
            identifiers = await loaders.customer_identifiers(customer_id)
            rows = await loaders.changed_since([i.key for i in identifiers], since)
        return recommend(info, customer_id, rows, first, categories, exclude_items)

    @guarded(Operation.CONSENT_READ, "Effective consent per purpose (the latest decision).")
    async def consents(self, info: Info) -> list[PurposeConsent]:
        """Through the request's consent loader (one read per batch of customers)."""
        return await consents_of(info, str(self.id))

    @guarded(Operation.NBA_READ, "The next best action for this customer now (null: none).")
    async def next_best_action(
        self, info: Info, context: NbaContext | None = None
    ) -> NextBestAction | None:
        """Decided over the segments and interactions this query loads (`nba`)."""
        country, city = self.profile.country, self.profile.city
        return await for_customer(info, str(self.id), country, city, context)


async def _customer_interactions(loaders: Loaders, customer_id: str) -> list[ItemInteraction]:
    identifiers = await loaders.customer_identifiers(customer_id)
    return await loaders.interactions_of([i.key for i in identifiers])


def customer_of(node: dict[str, Any]) -> Customer:
    """A customer from its node's properties."""
    merged = node.get("merged_into")
    return Customer(
        id=strawberry.ID(str(node["id"])),
        status=str(node.get("status") or "active"),
        merged_into=strawberry.ID(str(merged)) if merged else None,
        record_count=int(node.get("record_count") or 0),
        created_at=_time(node.get("created_at")),
        updated_at=_time(node.get("updated_at")),
        profile=profile_of(node),
    )


async def load_customer(
    loaders: Loaders, customer_id: str, follow: bool, view: CustomerLoad | None = None
) -> Customer | None:
    """A customer by id; with `follow`, a retired id resolves to the one it merged into.
    With `view`, each node comes with its whole view (one read; see `customer_view`)."""
    load = loaders.customers.load if view is None else view
    node = await load(customer_id)
    for _ in range(MAX_MERGE_HOPS if follow else 0):
        if node is None or node.get("status") != "retired" or not node.get("merged_into"):
            break
        node = await load(str(node["merged_into"]))
    return None if node is None else customer_of(node)
