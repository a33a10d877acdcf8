"""A customer's whole frontend view in one read, priming the request's loaders.

A frontend asks for a customer with its segments, recommendations and next best action;
answered field by field that is six chained reads (node, records, their identifiers,
identifiers seen with them, segments, consent). `customers/view` returns all of them for a
batch of customers at once, and this loader puts each part where the field resolvers look
for it (the request's DataLoaders), so the resolvers stay as they are and read nothing
more. Root fields use it only when the selection needs several of those parts (`view_needs`):
`customer { id profile { city } segments { name } }` stays two small reads; the item
interactions of all the customer's identifiers come along only for the fields that pool
them (`nextBestAction`, `interactionSummary`), and recommendations then filter them
instead of reading what changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)
from strawberry.dataloader import DataLoader

from api.graphql.consent_loaders import ConsentLoaders
from api.graphql.loaders import IdentifierRow, ItemInteraction, Loaders, interaction_from
from graph.port import Row
from privacy.consent import PURPOSES
from segments.service import Membership

# Customer fields that need several of the view's parts (alone, `segments`, `consents` or
# the node's attributes are one small read each: no view for them).
VIEW_FIELDS = frozenset(
    {"records", "identifiers", "interactionSummary", "recommendations", "nextBestAction"}
)
# Loads a customer node by id (its view primed on the way).
CustomerLoad = Callable[[str], Awaitable[dict[str, Any] | None]]
# Customer fields that pool every interaction of the customer's identifiers.
POOLING_FIELDS = frozenset({"nextBestAction", "interactionSummary"})


@dataclass(frozen=True)
class ViewNeeds:
    """What a customer selection needs read with the node."""

    view: bool
    interactions: bool


def view_needs(
    selections: Iterable[SelectionNode], fragments: Mapping[str, FragmentDefinitionNode]
) -> ViewNeeds:
    """Whether a customer selection (graphql-core's syntax nodes, fragments included) asks
    for the view's parts, and whether it pools interactions. The syntax tree is read
    directly: strawberry's `info.selected_fields` converts the whole subtree first."""
    names: set[str] = set()
    pending = list(selections)
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                pending.extend(fragment.selection_set.selections)
    return ViewNeeds(bool(names & VIEW_FIELDS), bool(names & POOLING_FIELDS))


def _identifier(entry: dict[str, Any]) -> IdentifierRow:
    return IdentifierRow(str(entry["key"]), str(entry["type"]), str(entry["value"]))


class CustomerViews:
    """`customers/view` per batch of customer ids; each answer primes the other loaders."""

    def __init__(self, loaders: Loaders, consent: ConsentLoaders) -> None:
        self.loaders = loaders
        self.consent = consent
        self.plain: DataLoader[str, dict[str, Any] | None] = DataLoader(self._without)
        self.full: DataLoader[str, dict[str, Any] | None] = DataLoader(self._with)

    def loader(self, interactions: bool) -> DataLoader[str, dict[str, Any] | None]:
        """The loader of views with or without the customers' item interactions."""
        return self.full if interactions else self.plain

    async def _without(self, ids: list[str]) -> list[dict[str, Any] | None]:
        return await self._load(ids, False)

    async def _with(self, ids: list[str]) -> list[dict[str, Any] | None]:
        return await self._load(ids, True)

    async def _load(self, ids: list[str], interactions: bool) -> list[dict[str, Any] | None]:
        params = {"ids": list(ids), "purposes": list(PURPOSES), "with_interactions": interactions}
        found: dict[str, dict[str, Any]] = {}
        for row in await self.loaders.store.read("customers/view", params):
            customer_id = str(row["id"])
            found[customer_id] = dict(row["customer"])
            self._prime(customer_id, row, interactions)
        return [found.get(i) for i in ids]

    def _prime(self, customer_id: str, row: Row, interactions: bool) -> None:
        loaders = self.loaders
        loaders.customers.prime(customer_id, dict(row["customer"]))
        records = [dict(record) for record in row["records"] or []]
        loaders.records.prime(customer_id, records)
        held: dict[str, list[IdentifierRow]] = {str(r["key"]): [] for r in records}
        for entry in row["held"] or []:
            held.setdefault(str(entry["record_key"]), []).append(_identifier(entry))
        loaders.identifiers.prime_many(held)
        seen = [_identifier(entry) for entry in row["seen"] or []]
        loaders.seen_with.prime(customer_id, seen)
        loaders.segments.prime(
            customer_id,
            [
                Membership(
                    customer_id, str(m["id"]), int(m["since"]), float(m["score"]),
                    str(m["kind"]), str(m["name"]),
                )
                for m in row["memberships"] or []
            ],
        )  # fmt: skip
        consent = self.consent.service.effective_of_rows(row["consents"] or [])
        self.consent.customers.prime(customer_id, consent)
        if interactions:
            pooled: dict[str, list[ItemInteraction]] = {
                identifier.key: [] for group in [*held.values(), seen] for identifier in group
            }
            for entry in row["interactions"] or []:
                pooled.setdefault(str(entry[0]), []).append(interaction_from(entry))
            loaders.prime_interactions(pooled)
