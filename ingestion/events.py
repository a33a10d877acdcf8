"""The pseudonymised form of an event: what the event log stores and the graph aggregates."""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import from_json, to_json

from graph.model import Identifier, IdentifierType, to_millis
from ingestion.pseudonymise import Pseudonymiser
from ingestion.schemas import EventV1

EVENT_IDENTIFIERS = {
    "user_id": IdentifierType.LOGIN,
    "device_id": IdentifierType.DEVICE,
    "anonymous_id": IdentifierType.COOKIE,
    "email": IdentifierType.EMAIL,
    "phone": IdentifierType.PHONE,
}
# Properties kept in the log; anything else the sender added is dropped (data minimisation).
KEPT_PROPERTIES = (
    "price",
    "quantity",
    "currency",
    "query",
    "session_id",
    "order_id",
    "purpose",
    "granted",
)
# The identifier an interaction is attached to: the most stable one the event carries.
ANCHOR_ORDER = (
    IdentifierType.LOGIN,
    IdentifierType.DEVICE,
    IdentifierType.COOKIE,
    IdentifierType.EMAIL,
    IdentifierType.PHONE,
)
_ANCHOR_TYPES = tuple(str(t) for t in ANCHOR_ORDER)
# Identifier fields as they appear in a row: (key, type, value).
IdRow = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Identities:
    """An event's identifiers, with what the log and the aggregates need of them, computed
    once per distinct set (identifiers repeat a lot: one cookie makes many events)."""

    identifiers: tuple[Identifier, ...]
    keys: str  # space-separated keys, for the event log's identifier_keys column
    logged: tuple[tuple[str, str], ...]  # (type, value) pairs, as the log's body holds them
    anchor: IdRow | None
    pairs: tuple[tuple[str, IdRow, IdRow], ...]  # every unordered pair, smaller key first

    @classmethod
    def of(cls, identifiers: tuple[Identifier, ...]) -> Identities:
        """Derive keys, anchor and pairs from the identifiers."""
        rows = [(i.key, str(i.type), i.value) for i in identifiers]  # `key` is not cheap
        by_type = {row[1]: row for row in rows}
        ordered = sorted(rows)
        return cls(
            identifiers=identifiers,
            keys=" ".join(row[0] for row in rows),
            logged=tuple((row[1], row[2]) for row in rows),
            anchor=next((by_type[t] for t in _ANCHOR_TYPES if t in by_type), None),
            pairs=tuple(
                (f"{a[0]} {b[0]}", a, b) for n, a in enumerate(ordered) for b in ordered[n + 1 :]
            ),
        )


@dataclass(slots=True)
class LoggedEvent:
    """A validated event with identifiers normalised and emails/phones hashed."""

    event_id: str
    type: str
    occurred_at: int
    ids: Identities
    item_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    seq: int = 0  # set once, by the event log

    @property
    def identifiers(self) -> tuple[Identifier, ...]:
        """The event's identifiers (emails and phones as digests)."""
        return self.ids.identifiers

    def to_json(self) -> str:
        """Compact JSON for the event log."""
        body = {
            "event_id": self.event_id,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "ids": self.ids.logged,
            "item_id": self.item_id,
            "properties": self.properties,
            "source": self.source,
        }
        return to_json(body).decode()

    @classmethod
    def from_json(cls, text: str | bytes, seq: int) -> LoggedEvent:
        """Read back a logged event."""
        data = from_json(text)
        ids = tuple(Identifier(type=IdentifierType(t), value=v) for t, v in data["ids"])
        return cls(
            event_id=data["event_id"],
            type=data["type"],
            occurred_at=data["occurred_at"],
            ids=Identities.of(ids),
            item_id=data["item_id"],
            properties=data["properties"],
            source=data["source"],
            seq=seq,
        )


IdentifierValues = tuple[str | None, str | None, str | None, str | None, str | None]
_identifier_values = operator.itemgetter(*EVENT_IDENTIFIERS)  # in EVENT_IDENTIFIERS order


class EventPseudonymiser:
    """Turns validated events into LoggedEvents, remembering recent identifier sets."""

    def __init__(self, pseudo: Pseudonymiser, cache_size: int = 65_536) -> None:
        # Bounded: raw identifiers stay in memory no longer than ~cache_size distinct values.
        # Sets miss more often than values (a new cookie with a known login and email).
        self._identities = functools.lru_cache(maxsize=cache_size)(self._compute)
        self._identifier = functools.lru_cache(maxsize=cache_size)(pseudo.identifier)

    def _compute(self, values: IdentifierValues) -> Identities:
        found: list[Identifier] = []
        for raw, kind in zip(values, EVENT_IDENTIFIERS.values(), strict=True):
            if raw:
                identifier = self._identifier(kind, raw)
                if identifier is not None and identifier not in found:
                    found.append(identifier)
        return Identities.of(tuple(found))

    def __call__(self, event: EventV1) -> LoggedEvent:
        """The loggable form of a validated event (its identifiers may be empty)."""
        values: IdentifierValues = _identifier_values(event["identifiers"])
        props: dict[str, Any] = event["properties"]  # type: ignore[assignment]
        kept = {name: props[name] for name in KEPT_PROPERTIES if props[name] is not None}
        if "purpose" in kept:
            kept["purpose"] = str(kept["purpose"])
        return LoggedEvent(
            event_id=event["event_id"],
            type=str(event["type"]),
            occurred_at=to_millis(event["occurred_at"]),
            ids=self._identities(values),
            item_id=props["item_id"],
            properties=kept,
            source=event["source"],
        )
