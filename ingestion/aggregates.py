"""Fold events into interaction and co-occurrence aggregates, ready for UNWIND writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graph.model import DEFAULT_WEIGHTS, Identifier, IdentifierType, InteractionType
from ingestion.events import LoggedEvent

# The identifier an interaction is attached to: the most stable one the event carries.
ANCHOR_ORDER = (
    IdentifierType.LOGIN,
    IdentifierType.DEVICE,
    IdentifierType.COOKIE,
    IdentifierType.EMAIL,
    IdentifierType.PHONE,
)
INTERACTION_TYPES = frozenset(str(t) for t in InteractionType)


@dataclass
class Aggregate:
    """Count, time span and weight of a group of events."""

    count: int
    first_at: int
    last_at: int
    weight: float = 0.0

    def add(self, at: int, weight: float) -> None:
        """Fold one more event in."""
        self.count += 1
        self.first_at = min(self.first_at, at)
        self.last_at = max(self.last_at, at)
        self.weight += weight


def anchor(identifiers: Iterable[Identifier]) -> Identifier | None:
    """The identifier an event's interaction is attached to."""
    by_type = {i.type: i for i in identifiers}
    return next((by_type[t] for t in ANCHOR_ORDER if t in by_type), None)


class EventAggregator:
    """Per-(identifier, item, type) interactions and per-identifier-pair co-occurrences."""

    def __init__(self) -> None:
        self.interactions: dict[tuple[Identifier, str, str], Aggregate] = {}
        self.pairs: dict[tuple[Identifier, Identifier], Aggregate] = {}

    def add(self, event: LoggedEvent) -> None:
        """Fold one event in."""
        at = event.occurred_at
        ordered = sorted(event.identifiers, key=lambda i: i.key)
        for i, left in enumerate(ordered):
            for right in ordered[i + 1 :]:
                self.pairs.setdefault((left, right), Aggregate(0, at, at)).add(at, 0.0)
        if event.type not in INTERACTION_TYPES or event.item_id is None:
            return
        who = anchor(event.identifiers)
        if who is None:
            return
        weight = DEFAULT_WEIGHTS[InteractionType(event.type)]
        key = (who, event.item_id, event.type)
        self.interactions.setdefault(key, Aggregate(0, at, at)).add(at, weight)

    def interaction_rows(self) -> list[dict[str, Any]]:
        """Rows for interactions/add_interactions."""
        return [
            {
                "id_key": ident.key,
                "id_type": str(ident.type),
                "id_value": ident.value,
                "item_id": item_id,
                "type": kind,
                "count": agg.count,
                "first_at": agg.first_at,
                "last_at": agg.last_at,
                "weight": agg.weight,
            }
            for (ident, item_id, kind), agg in self.interactions.items()
        ]

    def seen_with_rows(self) -> list[dict[str, Any]]:
        """Rows for identifiers/add_seen_with."""
        return [
            {
                "a_key": a.key,
                "a_type": str(a.type),
                "a_value": a.value,
                "b_key": b.key,
                "b_type": str(b.type),
                "b_value": b.value,
                "count": agg.count,
                "first_at": agg.first_at,
                "last_at": agg.last_at,
            }
            for (a, b), agg in self.pairs.items()
        ]
