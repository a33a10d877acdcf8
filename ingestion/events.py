"""The pseudonymised form of an event: what the event log stores and the graph aggregates."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(slots=True)
class LoggedEvent:
    """A validated event with identifiers normalised and emails/phones hashed."""

    event_id: str
    type: str
    occurred_at: int
    identifiers: tuple[Identifier, ...]
    item_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    seq: int = 0  # set once, by the event log

    def to_json(self) -> str:
        """Compact JSON for the event log."""
        return json.dumps(
            {
                "event_id": self.event_id,
                "type": self.type,
                "occurred_at": self.occurred_at,
                "ids": [[str(i.type), i.value] for i in self.identifiers],
                "item_id": self.item_id,
                "properties": self.properties,
                "source": self.source,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str, seq: int) -> LoggedEvent:
        """Read back a logged event."""
        data = json.loads(text)
        ids = tuple(Identifier(type=IdentifierType(t), value=v) for t, v in data["ids"])
        return cls(
            event_id=data["event_id"],
            type=data["type"],
            occurred_at=data["occurred_at"],
            identifiers=ids,
            item_id=data["item_id"],
            properties=data["properties"],
            source=data["source"],
            seq=seq,
        )


def pseudonymise_event(event: EventV1, pseudo: Pseudonymiser) -> LoggedEvent:
    """The loggable form of a validated event."""
    ids = event.identifiers
    found: list[Identifier] = []
    for name, kind in EVENT_IDENTIFIERS.items():
        raw = getattr(ids, name)
        if raw:
            identifier = pseudo.identifier(kind, raw)
            if identifier is not None and identifier not in found:
                found.append(identifier)
    props = event.properties
    kept: dict[str, Any] = {}
    for name in KEPT_PROPERTIES:
        value = getattr(props, name)
        if value is not None:
            kept[name] = str(value) if name == "purpose" else value
    return LoggedEvent(
        event_id=event.event_id,
        type=str(event.type),
        occurred_at=to_millis(event.occurred_at),
        identifiers=tuple(found),
        item_id=props.item_id,
        properties=kept,
        source=event.source,
    )
