"""Root fields that find customers (by id, by identifier) and visitors (any identifier).

An identifier is looked up the way ingestion stores it: the raw email or phone is
normalised and hashed with the same key (`Pseudonymiser.identifier`), so clients send what
they know and never a digest. Annotations: see `api.graphql.customers`.
"""

from __future__ import annotations

import asyncio

import strawberry

from api.graphql.consent import PurposeConsent, consents_of, personalisation_allowed
from api.graphql.context import Info
from api.graphql.customer_view import CustomerLoad, view_needs
from api.graphql.customers import (
    MAX_CUSTOMERS,
    Customer,
    InteractionSummary,
    load_customer,
    summarise,
)
from api.graphql.errors import BadRequest
from api.graphql.next_best_action import NbaContext, NextBestAction, for_visitor
from api.graphql.permissions import Operation, field, guarded
from api.graphql.recommendations import RecommendationList, recommend
from gnn.serving.model_users import model_user, owning_customer
from graph.model import IdentifierType

READ = Operation.CUSTOMER_READ


def _views(info: Info) -> CustomerLoad | None:
    """The whole-view loader when the customer selection reads past the node."""
    raw = info._raw_info
    node = raw.field_nodes[0].selection_set if raw.field_nodes else None
    needs = view_needs(node.selections if node is not None else (), raw.fragments)
    return info.context.views.loader(needs.interactions).load if needs.view else None


def identifier_key(info: Info, kind: IdentifierType, value: str) -> str:
    """The stored key of a raw identifier (emails, phones, national ids hashed)."""
    found = info.context.services.pseudonymiser.identifier(IdentifierType(kind), value)
    if found is None:
        raise BadRequest(f"value: not a usable {IdentifierType(kind).value}")
    return found.key


async def customer_id_of(info: Info, key: str) -> str | None:
    """The customer an identifier belongs to, by the rule the recommender trains with."""
    rows = await info.context.services.store.read("customers/find_by_identifier", {"key": key})
    if not rows:
        return None
    return owning_customer(rows[0]["direct_ids"], rows[0]["via_ids"])


@strawberry.type(description="Anyone behind one identifier, known customer or anonymous.")
class Visitor:
    """An identifier's view: its customer (if any), interactions and recommendations."""

    key: str = strawberry.field(description="The stored identifier key (`type:value`).")
    customer_id: strawberry.Private[str | None]

    @field("The customer this identifier belongs to, if any.")
    async def customer(self, info: Info) -> Customer | None:
        """Null for an anonymous identifier."""
        if self.customer_id is None:
            return None
        return await load_customer(info.context.loaders, self.customer_id, True, _views(info))

    @field("This identifier's own interactions, per type.")
    async def interaction_summary(self, info: Info) -> list[InteractionSummary]:
        """Through the interactions loader."""
        return summarise(await info.context.loaders.interactions.load(self.key))

    @guarded(Operation.RECOMMENDATIONS_READ, "Recommended items for this visitor.")
    async def recommendations(
        self,
        info: Info,
        first: int = 10,
        categories: list[str] | None = None,
        exclude_items: list[str] | None = None,
    ) -> RecommendationList:
        """The customer's model user when there is one, else the identifier's own (or an
        inductive embedding from its interactions, or popularity)."""
        user = model_user(self.key, self.customer_id)
        if not await personalisation_allowed(info, self.customer_id, self.key):
            return recommend(info, user, (), first, categories, exclude_items, False)
        rows = await info.context.loaders.interactions.load(self.key)
        return recommend(info, user, rows, first, categories, exclude_items)

    @guarded(Operation.CONSENT_READ, "Effective consent per purpose: the customer's, if any.")
    async def consents(self, info: Info) -> list[PurposeConsent]:
        """Their customer's, else this identifier's own decisions (or the defaults)."""
        return await consents_of(info, self.customer_id, self.key)

    @guarded(Operation.NBA_READ, "The next best action for this visitor now (null: none).")
    async def next_best_action(
        self, info: Info, context: NbaContext | None = None
    ) -> NextBestAction | None:
        """Their customer's when they have one, else from this identifier's interactions."""
        return await for_visitor(info, self.key, self.customer_id, context)


@strawberry.type
class CustomerQuery:
    """Root fields of the customers domain."""

    @guarded(READ, "A customer by id; a retired id resolves to its successor by default.")
    async def customer(
        self, info: Info, id: strawberry.ID, follow_merges: bool = True
    ) -> Customer | None:
        """Null when no customer has this id."""
        return await load_customer(info.context.loaders, str(id), follow_merges, _views(info))

    @guarded(READ, f"Several customers by id (at most {MAX_CUSTOMERS}), in the order asked.")
    async def customers(self, info: Info, ids: list[strawberry.ID]) -> list[Customer | None]:
        """One batched read for all of them."""
        if len(ids) > MAX_CUSTOMERS:
            raise BadRequest(f"ids: at most {MAX_CUSTOMERS}")
        loaders, views = info.context.loaders, _views(info)
        # gathered, so the loader sees every id in one tick
        found = await asyncio.gather(*(load_customer(loaders, str(i), True, views) for i in ids))
        return list(found)

    @guarded(READ, "The customer behind a raw identifier (an email, a login, a cookie…).")
    async def customer_by_identifier(
        self, info: Info, type: IdentifierType, value: str
    ) -> Customer | None:
        """Null for an unknown or anonymous identifier (see `visitor`)."""
        customer_id = await customer_id_of(info, identifier_key(info, type, value))
        if customer_id is None:
            return None
        return await load_customer(info.context.loaders, customer_id, True, _views(info))

    @guarded(READ, "Whoever is behind a raw identifier, known or anonymous.")
    async def visitor(self, info: Info, type: IdentifierType, value: str) -> Visitor:
        """Always answers for a usable identifier, even one the graph has never seen."""
        key = identifier_key(info, type, value)
        return Visitor(key=key, customer_id=await customer_id_of(info, key))
