"""The suppression list, and ingestion dropping whatever carries a suppressed key."""

from __future__ import annotations

from graph.model import IdentifierType
from graph.port import GraphStore
from ingestion.pipeline import IngestPipeline
from ingestion.results import ItemStatus
from privacy.consent_store import ConsentService
from privacy.suppression import SuppressionList
from tests.privacy.test_consent_ingestion import (
    consent_event,
    event,
    gate_count,
    interactions,
    raw,
    record,
    seen_with,
)


async def test_keys_are_added_once_and_found(store: GraphStore) -> None:
    suppression = SuppressionList(store)
    assert await suppression.add(["login:a", "email:h", "login:a", ""], "erasure", at=5) == {
        "login:a",
        "email:h",
    }
    assert await suppression.add(["login:a", "cookie:c"], "later", at=9) == {"cookie:c"}
    assert await suppression.suppressed(["login:a", "cookie:c", "cookie:x"]) == {
        "login:a",
        "cookie:c",
    }
    assert await suppression.suppressed([]) == set()
    [row] = await store.read("suppression/find_keys", {"keys": ["login:a"]})
    assert row == {"key": "login:a"}
    assert await suppression.add([], "nothing") == set()


async def test_a_late_event_for_an_erased_identifier_is_suppressed(
    pipeline: IngestPipeline, store: GraphStore, consent: ConsentService
) -> None:
    await pipeline.ingest_events(raw(event("e1", {"anonymous_id": "c-1", "user_id": "gone"})))
    # Erasure (the lead's ErasureService) deletes the person's data and suppresses the keys.
    await SuppressionList(store).add(["login:gone"], "erasure")
    before_interactions, before_pairs = await interactions(store), await seen_with(store)
    before = gate_count("suppressed")
    late = raw(
        event("e2", {"anonymous_id": "c-9", "user_id": "gone"}),
        consent_event("k1", {"user_id": "gone"}, "marketing", True),
        event("e3", {"anonymous_id": "c-2"}),
    )
    result = await pipeline.ingest_events(late)
    assert result.rejected == 0
    after = await interactions(store)
    assert after == {**before_interactions, "cookie:c-2": 1}, "only the unrelated event"
    assert await seen_with(store) == before_pairs
    assert gate_count("suppressed") - before == 2
    assert (await consent.of_subject("login:gone"))["marketing"].is_default, "not recorded"
    assert pipeline.log.with_identifiers(["login:gone"]) == [], "not kept in the event log"
    assert [e["event_id"] for e in pipeline.log.with_identifiers(["cookie:c-2"])] == ["e3"]
    assert pipeline.dead_letters.count(None) == 0


async def test_records_carrying_a_suppressed_key_are_dropped_not_dead_lettered(
    pipeline: IngestPipeline, store: GraphStore
) -> None:
    email = pipeline.pseudo.identifier(IdentifierType.EMAIL, "gone@example.com")
    assert email is not None
    await SuppressionList(store).add([email.key, "crm:erased"], "erasure")
    before = gate_count("suppressed", "record")
    batch = raw(
        record("1", "2026-01-01T00:00:00Z", email="Gone@Example.com", first_name="Ann"),
        record("2", "2026-01-01T00:00:00Z", login_id="kept"),
        record("erased", "2026-01-01T00:00:00Z", login_id="other"),
    )
    result = await pipeline.ingest_records(batch)
    assert [i.status for i in result.items] == [
        ItemStatus.SUPPRESSED,
        ItemStatus.ACCEPTED,
        ItemStatus.SUPPRESSED,
    ]
    assert (result.accepted, result.suppressed, result.rejected) == (1, 2, 0)
    assert result.items[0].id is None, "nothing of it is echoed back"
    rows = await store.read("records/get_records", {"keys": ["crm:1", "crm:2", "crm:erased"]})
    assert [r["record"]["key"] for r in rows] == ["crm:2"]
    assert gate_count("suppressed", "record") - before == 2
    assert pipeline.dead_letters.count(None) == 0, "no dead letter: the payload is kept nowhere"
