"""Full and incremental resolution on a real store with a real Splink model."""

from __future__ import annotations

from typing import Any

from identity.evaluation import evaluate
from ingestion.results import RawMessage
from tests.identity.conftest import IdentityEnv, truth

UPDATED = "2026-06-01T00:00:00Z"


def message(source_id: str, source: str = "crm", **fields: Any) -> RawMessage:
    """A source record message."""
    payload = {"source": source, "source_id": source_id, "updated_at": UPDATED, **fields}
    return RawMessage(payload, f"test:{source_id}")


def duplicate_of(original: dict[str, Any], source_id: str) -> RawMessage:
    """A new CRM record of the same person as `original` (a records_by_keys row)."""
    fields = ("first_name", "last_name", "date_of_birth", "postcode", "address")
    return message(source_id, **{name: original[name] for name in fields})


def customers_of(assignments: dict[str, str]) -> dict[str, set[str]]:
    """Customer id -> its records."""
    found: dict[str, set[str]] = {}
    for record, customer in assignments.items():
        found.setdefault(customer, set()).add(record)
    return found


async def test_full_resolution_is_accurate_on_the_small_world(env: IdentityEnv) -> None:
    report = await env.service.resolve_all()
    assert report.records == len(truth(env.world))
    accuracy = evaluate(await env.service.assignments(), truth(env.world))
    assert accuracy.precision > 0.9, accuracy
    assert accuracy.recall > 0.8, accuracy
    assert report.identifier_links > 0
    assert report.model_links > 0


async def test_merge_protection_stops_junk_and_shared_values(env: IdentityEnv) -> None:
    people = [
        ("JUNK-1", "Zebedee", "Quantock", "1950-01-01", "d-family-tablet"),
        ("JUNK-2", "Marguerite", "Abernethy", "1988-07-07", "d-family-tablet"),
    ]
    await env.pipeline.ingest_records(
        [
            message(
                sid,
                first_name=first,
                last_name=last,
                date_of_birth=dob,
                email="test@test.com",
                phone="0000000000",
                device_ids=device,
            )
            for sid, first, last, dob, device in people
        ]
    )
    await env.service.resolve_all()
    assignments = await env.service.assignments()
    assert assignments["crm:JUNK-1"] != assignments["crm:JUNK-2"]


async def test_rejected_pair_is_never_merged_by_a_later_run(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    merged = next(
        sorted(keys)
        for keys in customers_of(await env.service.assignments()).values()
        if len(keys) >= 2
    )
    left, right = merged[0], merged[1]
    await env.steward.reject(left, right, "steward:test", "different people")
    for _ in range(2):
        assignments = await env.service.assignments()
        assert assignments[left] != assignments[right]
        await env.service.resolve_all()


async def test_ids_are_stable_across_a_rerun_with_new_records(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    before = customers_of(await env.service.assignments())
    duplicate = next(keys for keys in before.values() if any(k.startswith("crm:") for k in keys))
    crm_key = sorted(k for k in duplicate if k.startswith("crm:"))[0]
    [original] = await env.store.read("identity/records_by_keys", {"keys": [crm_key]})
    await env.pipeline.ingest_records(
        [
            duplicate_of(original, "NEW-DUP"),
            message(
                "NEW-PERSON",
                first_name="Ottoline",
                last_name="Featherstonehaugh",
                date_of_birth="1977-11-30",
                postcode="ZZ9 9ZZ",
            ),
        ]
    )
    await env.service.resolve_all()
    after = customers_of(await env.service.assignments())
    for cid, keys in before.items():
        assert keys <= after[cid], cid  # every customer keeps its id and its records
    grown = next(cid for cid, keys in before.items() if crm_key in keys)
    assert "crm:NEW-DUP" in after[grown]
    assert len(after) == len(before) + 1


async def test_new_record_is_resolved_as_it_arrives(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    env.pipeline.on_records_written = env.service.resolve_if_trained
    assignments = await env.service.assignments()
    crm_key = sorted(k for k in assignments if k.startswith("crm:"))[0]
    [original] = await env.store.read("identity/records_by_keys", {"keys": [crm_key]})
    await env.pipeline.ingest_records([duplicate_of(original, "LIVE-1")])
    now = await env.service.assignments()
    assert now["crm:LIVE-1"] == assignments[crm_key]
    [outcome] = await env.service.resolve_records(["crm:LIVE-1"])
    assert (outcome.action, outcome.customer_id) == ("unchanged", assignments[crm_key])
    await env.pipeline.ingest_records(
        [
            message(
                "LIVE-2", first_name="Ptolemy", last_name="Vandersloot", date_of_birth="1931-03-03"
            )
        ]
    )
    assert (await env.service.assignments())["crm:LIVE-2"] not in set(assignments.values())


async def test_a_bulk_batch_is_left_to_a_full_run(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    keys = sorted(await env.service.assignments())
    assert len(keys) > 500
    assert await env.service.resolve_if_trained(keys) == []
    [outcome] = await env.service.resolve_if_trained(keys[:1])
    assert outcome.action == "unchanged"
