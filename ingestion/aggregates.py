"""Fold events into interaction and co-occurrence aggregates, ready for UNWIND writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.model import DEFAULT_WEIGHTS
from ingestion.events import IdRow, LoggedEvent

WEIGHTS = {str(kind): weight for kind, weight in DEFAULT_WEIGHTS.items()}


@dataclass(slots=True)
class Aggregate:
    """Count, time span and weight of a group of events."""

    count: int
    first_at: int
    last_at: int
    weight: float = 0.0

    def add(self, at: int, weight: float) -> None:
        """Fold one more event in."""
        self.count += 1
        if at < self.first_at:
            self.first_at = at
        elif at > self.last_at:
            self.last_at = at
        self.weight += weight


class EventAggregator:
    """Per-(identifier, item, type) interactions and per-identifier-pair co-occurrences."""

    def __init__(self) -> None:
        self.interactions: dict[tuple[IdRow, str, str], Aggregate] = {}
        # Keyed by "a_key b_key": the same string object comes back for every event of an
        # identifier set, so its hash is computed once.
        self.pairs: dict[str, tuple[IdRow, IdRow, Aggregate]] = {}

    def add(self, event: LoggedEvent) -> None:
        """Fold one event in."""
        at = event.occurred_at
        pairs = self.pairs
        for key, a, b in event.ids.pairs:
            found = pairs.get(key)
            if found is None:
                pairs[key] = (a, b, Aggregate(1, at, at))
            else:
                found[2].add(at, 0.0)
        weight = WEIGHTS.get(event.type)
        who = event.ids.anchor
        if weight is None or event.item_id is None or who is None:
            return
        group = (who, event.item_id, event.type)
        aggregate = self.interactions.get(group)
        if aggregate is None:
            self.interactions[group] = Aggregate(1, at, at, weight)
        else:
            aggregate.add(at, weight)

    def interaction_rows(self) -> list[dict[str, Any]]:
        """Rows for interactions/add_interactions."""
        return [
            {
                "id_key": who[0],
                "id_type": who[1],
                "id_value": who[2],
                "item_id": item_id,
                "type": kind,
                "count": agg.count,
                "first_at": agg.first_at,
                "last_at": agg.last_at,
                "weight": agg.weight,
            }
            for (who, item_id, kind), agg in self.interactions.items()
        ]

    def seen_with_rows(self) -> list[dict[str, Any]]:
        """Rows for identifiers/add_seen_with."""
        return [
            {
                "a_key": a[0],
                "a_type": a[1],
                "a_value": a[2],
                "b_key": b[0],
                "b_type": b[1],
                "b_value": b[2],
                "count": agg.count,
                "first_at": agg.first_at,
                "last_at": agg.last_at,
            }
            for a, b, agg in self.pairs.values()
        ]
