"""Valid event and record messages for the ingestion tests (HTTP routes and mutations)."""

from __future__ import annotations

from typing import Any

T0 = "2026-03-01T12:00:00.000Z"


def event(
    event_id: str, kind: str, default_user: str, item_id: str, /, **identifiers: str
) -> dict[str, Any]:
    """A valid event of `kind` on `item_id`, by `identifiers` (else by login `default_user`)."""
    return {
        "schema_version": 1,
        "event_id": event_id,
        "type": kind,
        "occurred_at": T0,
        "identifiers": identifiers or {"user_id": default_user},
        "properties": {"session_id": "s-1", "item_id": item_id, "price": 2.5},
        "source": "web",
    }


def record(source_id: str, **attrs: Any) -> dict[str, Any]:
    """A valid CRM record (Ada Lovelace), with `attrs` added or replaced."""
    return {
        "source": "crm",
        "source_id": source_id,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "Ada@Example.com",
        "updated_at": T0,
        **attrs,
    }
