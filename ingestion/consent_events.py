"""Consent decisions from ingested messages: `consent` events and records' `consents`.

A consent event is a decision of every identifier it carries (the visitor's cookie, and
the login when signed in), at the event's time, from source `event:<source>`. A record's
consents are decisions of each of the record's identifiers, at the given time or else the
record's `updated_at`, from source `record:<record key>`. `privacy_gate.PrivacyGate`
records them (`privacy.consent_store.ConsentService.record`, audited with actor
`ingestion`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from graph.model import to_millis
from privacy.consent import Decision

if TYPE_CHECKING:  # the prepare worker imports this module: keep its imports light
    from ingestion.events import LoggedEvent
    from ingestion.records import SourceRecord

CONSENT = "consent"
ACTOR = "ingestion"


def consent_rows(events: Sequence[LoggedEvent]) -> list[dict[str, Any]]:
    """The consent events of a chunk, as small picklable rows (keys, purpose, granted, at,
    source, event id)."""
    return [
        {
            "keys": [i.key for i in event.identifiers],
            "purpose": str(event.properties["purpose"]),
            "granted": bool(event.properties["granted"]),
            "at": event.occurred_at,
            "source": f"event:{event.source or 'unknown'}",
            "event_id": event.event_id,
        }
        for event in events
        if event.type == CONSENT and "purpose" in event.properties and "granted" in event.properties
    ]


def identifier_keys(events: Sequence[LoggedEvent]) -> list[str]:
    """Every identifier key of some events (identifier sets are shared objects: each
    distinct one is looked at once)."""
    sets = {id(e.ids): e.ids for e in events}
    return sorted({i.key for ids in sets.values() for i in ids.identifiers})


def event_decisions(rows: Iterable[dict[str, Any]]) -> list[Decision]:
    """One decision per identifier of each consent row."""
    return [
        Decision(
            key,
            row["purpose"],
            row["granted"],
            row["source"],
            int(row["at"]),
            f"consent event {row['event_id']}",
        )
        for row in rows
        for key in row["keys"]
    ]


def record_decisions(records: Iterable[SourceRecord]) -> list[Decision]:
    """One decision per identifier of each record, per consent it carries."""
    decisions = []
    for item in records:
        for consent in item.consents:
            at = to_millis(consent.at) if consent.at is not None else item.record.updated_at
            source = f"record:{item.record.key}"
            reason = f"record {item.record.key} (updated_at {item.record.updated_at})"
            decisions += [
                Decision(i.key, str(consent.purpose), consent.granted, source, at, reason)
                for i in item.identifiers
            ]
    return decisions
