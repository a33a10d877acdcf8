"""Consent through ingestion: consent events and records' consents recorded and audited, and
events of people without analytics consent not tied to them (real pipeline and store)."""

from __future__ import annotations

import json
import random
from typing import Any

from prometheus_client import REGISTRY

from graph.model import Identifier, IdentifierType
from graph.port import GraphStore
from graph.queries import Cypher
from ingestion.event_prepare import aggregate
from ingestion.events import Identities, LoggedEvent
from ingestion.pipeline import IngestPipeline
from ingestion.privacy_gate import rebuild, screen, sort_carried, untie
from ingestion.results import RawMessage
from privacy.consent import Decision
from privacy.consent_store import ConsentService, GateState
from tests.contract.query_cases import seed_customers
from tests.contract.query_cases_api import assign

AT = "2026-03-01T12:00:00.000Z"


def event(event_id: str, ids: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A purchase of I-1 by `ids` (overrides: type, properties, occurred_at, source)."""
    base: dict[str, Any] = {
        "event_id": event_id,
        "type": "purchase",
        "occurred_at": AT,
        "identifiers": ids,
        "properties": {"item_id": "I-1"},
        "source": "web",
    }
    return {**base, **overrides}


def consent_event(
    event_id: str, ids: dict[str, str], purpose: str, granted: bool, at: str = AT
) -> dict[str, Any]:
    props = {"purpose": purpose, "granted": granted}
    return event(event_id, ids, type="consent", properties=props, occurred_at=at)


def raw(*items: dict[str, Any]) -> list[RawMessage]:
    return [RawMessage(json.dumps(i).encode(), f"test:{n}") for n, i in enumerate(items)]


def record(source_id: str, updated_at: str, **fields: Any) -> dict[str, Any]:
    return {"source": "crm", "source_id": source_id, "updated_at": updated_at, **fields}


def gate_count(outcome: str, kind: str = "event") -> float:
    labels = {"kind": kind, "outcome": outcome}
    return REGISTRY.get_sample_value("cg_privacy_gate_total", labels) or 0.0


async def interactions(store: GraphStore) -> dict[str, int]:
    rows = await store.read(
        Cypher("MATCH (i:Identifier)-[x:INTERACTED]->() RETURN i.key AS key, sum(x.count) AS n")
    )
    return {str(r["key"]): int(r["n"]) for r in rows}


async def seen_with(store: GraphStore) -> set[tuple[str, str]]:
    rows = await store.read(Cypher("MATCH (a)-[:SEEN_WITH]->(b) RETURN a.key AS a, b.key AS b"))
    return {(str(r["a"]), str(r["b"])) for r in rows}


async def test_consent_events_are_recorded_for_their_identifiers_and_audited(
    pipeline: IngestPipeline, consent: ConsentService, store: GraphStore
) -> None:
    ids = {"anonymous_id": "c-1", "user_id": "u-1"}
    first = await pipeline.ingest_events(raw(consent_event("k1", ids, "marketing", True)))
    assert first.accepted == 1
    found = await consent.of_identifiers(["cookie:c-1", "login:u-1"])
    for key in ("cookie:c-1", "login:u-1"):
        marketing = found[key]["marketing"]
        assert (marketing.granted, marketing.source, marketing.subject) == (True, "event:web", key)
    older = consent_event("k0", ids, "marketing", False, "2026-02-01T00:00:00Z")
    newer = consent_event("k2", {"anonymous_id": "c-1"}, "marketing", False, "2026-04-01T00:00Z")
    await pipeline.ingest_events(raw(older))
    assert (await consent.of_subject("cookie:c-1")).allows("marketing"), "older: no change"
    await pipeline.ingest_events(raw(newer))
    assert not (await consent.of_subject("cookie:c-1")).allows("marketing")
    assert (await consent.of_subject("login:u-1")).allows("marketing"), "not on the login"
    trail = await store.read("audit/list_for_subject", {"subject_id": "cookie:c-1", "limit": 9})
    assert [(e["actor"], e["reason"]) for e in trail] == [
        ("ingestion", "consent event k2"),
        ("ingestion", "consent event k1"),
    ]
    assert json.loads(trail[0]["before"])["marketing"]["granted"] is True


async def test_records_consents_are_recorded_for_the_records_identifiers(
    pipeline: IngestPipeline, consent: ConsentService
) -> None:
    newest = record(
        "1",
        "2026-03-01T00:00:00Z",
        email="Ann@Example.com",
        login_id="ann",
        consents=[
            {"purpose": "marketing", "granted": False},
            {"purpose": "analytics", "granted": True, "at": "2026-02-01T00:00:00Z"},
        ],
    )
    result = await pipeline.ingest_records(raw(newest))
    assert result.accepted == 1
    email = pipeline.pseudo.identifier(IdentifierType.EMAIL, "ann@example.com")
    assert email is not None
    found = await consent.of_identifiers([email.key, "login:ann"])
    for key in (email.key, "login:ann"):
        assert not found[key].allows("marketing")
        assert found[key]["marketing"].source == "record:crm:1"
        assert found[key]["marketing"].at == 1772323200000, "the record's updated_at"
        assert found[key]["analytics"].at == 1769904000000, "the consent's own time"
    stale = record("1", "2026-01-01T00:00:00Z", login_id="ann", consents="marketing=true")
    assert (await pipeline.ingest_records(raw(stale))).duplicates == 1
    assert not (await consent.of_subject("login:ann")).allows("marketing"), "not written"
    csv_row = {**record("2", "2026-03-01T00:00:00Z", login_id="bob"), "consents": "marketing=true"}
    await pipeline.ingest_records([RawMessage(csv_row, "file:records.csv:2")])
    assert (await consent.of_subject("login:bob")).allows("marketing")


async def test_without_analytics_consent_events_are_not_tied_to_the_person(
    pipeline: IngestPipeline, consent: ConsentService, store: GraphStore
) -> None:
    ann = record("1", "2026-01-01T00:00:00Z", email="ann@example.com", login_id="ann")
    await pipeline.ingest_records(raw(ann))
    await seed_customers(store, "C1")
    await assign(store, **{"1": "C1"})
    # Before any decision: a cookie signs in with Ann's login (so it is hers, seen with it).
    await pipeline.ingest_events(raw(event("e0", {"anonymous_id": "c-ann", "user_id": "ann"})))
    before = await interactions(store)
    assert before == {"login:ann": 1}
    # Ann withdraws analytics through the API (her customer id: a person-level decision).
    await consent.record([Decision("C1", "analytics", False, "api:test", 10)], "test", "why")
    untied, dropped = gate_count("untied"), gate_count("dropped")
    batch = raw(
        event("e1", {"anonymous_id": "c-new", "user_id": "ann"}),  # a new cookie + her login
        event("e2", {"user_id": "ann"}),  # her login only
        event("e3", {"anonymous_id": "c-ann"}),  # her cookie (seen with her login)
        event("e4", {"email": "ann@example.com", "anonymous_id": "c-other"}),
        event("e5", {"anonymous_id": "c-stranger", "user_id": "bob"}),  # someone else
    )
    result = await pipeline.ingest_events(batch)
    assert result.accepted == 5, "logged: the log keeps what was received"
    after = await interactions(store)
    assert after == {
        "login:ann": 1,  # unchanged: nothing more tied to Ann
        "cookie:c-new": 1,  # counts for the item, anonymously
        "cookie:c-other": 1,
        "login:bob": 1,
    }
    pairs = await seen_with(store)
    assert pairs == {("cookie:c-ann", "login:ann"), ("cookie:c-stranger", "login:bob")}, (
        "no new identifier is tied to hers"
    )
    assert gate_count("untied") - untied == 2
    assert gate_count("dropped") - dropped == 2
    # Granted again (a newer decision, from elsewhere): the next batch is tied again.
    await consent.record([Decision("login:ann", "analytics", True, "event:web", 20)], "test")
    await pipeline.ingest_events(raw(event("e6", {"anonymous_id": "c-new", "user_id": "ann"})))
    assert (await interactions(store))["login:ann"] == 2
    assert ("cookie:c-new", "login:ann") in await seen_with(store)


async def test_a_withdrawal_counts_for_its_whole_batch(
    pipeline: IngestPipeline, store: GraphStore
) -> None:
    batch = raw(
        event("e1", {"anonymous_id": "c-1"}),
        consent_event("k1", {"anonymous_id": "c-1"}, "analytics", False),
        event("e2", {"anonymous_id": "c-1"}),
        event("e3", {"anonymous_id": "c-2"}),
    )
    await pipeline.ingest_events(batch)
    assert await interactions(store) == {"cookie:c-2": 1}
    again = raw(
        consent_event("k2", {"anonymous_id": "c-1"}, "analytics", True, "2026-03-02T00:00Z")
    )
    await pipeline.ingest_events([*again, *raw(event("e4", {"anonymous_id": "c-1"}))])
    assert await interactions(store) == {"cookie:c-2": 1, "cookie:c-1": 1}


def _logged(n: int, rng: random.Random) -> list[LoggedEvent]:
    kinds = [
        IdentifierType.LOGIN,
        IdentifierType.DEVICE,
        IdentifierType.COOKIE,
        IdentifierType.EMAIL,
    ]
    events = []
    for seq in range(1, n + 1):
        chosen = rng.sample(kinds, rng.randint(1, 3))
        ids = tuple(Identifier(type=k, value=f"v{rng.randint(0, 4)}") for k in chosen)
        kind = rng.choice(["product_view", "add_to_cart", "purchase", "identify"])
        events.append(
            LoggedEvent(
                event_id=f"e{seq}",
                type=kind,
                occurred_at=rng.randint(1, 1000),
                ids=Identities.of(ids),
                item_id=None if kind == "identify" else f"I-{rng.randint(0, 3)}",
                seq=seq,
            )
        )
    return events


def test_untying_from_the_aggregates_equals_rebuilding_from_the_events() -> None:
    rng = random.Random(7)
    for _ in range(200):
        events = _logged(rng.randint(1, 40), rng)
        [chunk] = aggregate(events, 1000)
        keys = sorted({i.key for e in events for i in e.identifiers})
        state = GateState(withdrawn=frozenset(rng.sample(keys, rng.randint(1, min(4, len(keys))))))
        carried = [
            (e.seq, [i.key for i in e.identifiers], e.to_json())
            for e in events
            if not state.untied.isdisjoint(i.key for i in e.identifiers)
        ]
        moved, counts = sort_carried(carried, state)
        fast = untie(chunk, state.withdrawn, moved)
        kept, expected_counts = screen(events, state)
        slow = rebuild(chunk, kept)

        def norm(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
            return sorted(tuple(sorted(r.items())) for r in rows)

        assert norm(fast.interactions) == norm(slow.interactions)
        assert norm(fast.pairs) == norm(slow.pairs)
        assert counts == expected_counts
