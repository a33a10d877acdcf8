"""Incremental resolution of one record: what it touches, and what it leaves alone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.identity.conftest import IdentityEnv
from tests.identity.test_resolution import message

OTTOLINE = {
    "first_name": "Ottoline",
    "last_name": "Featherstonehaugh",
    "date_of_birth": "1977-11-30",
    "postcode": "ZZ9 9ZZ",
}


async def customer_statuses(env: IdentityEnv) -> dict[str, Any]:
    """Status of every customer that holds records."""
    ids = sorted(set((await env.service.assignments()).values()))
    rows = await env.store.read("customers/get_customers", {"ids": ids})
    return {row["id"]: row["customer"]["status"] for row in rows}


async def test_candidates_that_do_not_link_keep_their_customers(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    page = await env.store.read("identity/records_page", {"skip": 0, "limit": 50})
    keys = [r["key"] for r in page if r["customer_id"]]
    rows = await env.store.read("identity/records_by_keys", {"keys": keys})
    before = next(r for r in rows if r["postcode"] and r["last_name"])
    # Same postcode and surname (a candidate), but another first name and birth date: a
    # household member, never linked.
    stranger = {"first_name": "Zebedee", "date_of_birth": "1931-03-03"}
    fields = {"last_name": before["last_name"], "postcode": before["postcode"], **stranger}
    history = await env.steward.history(before["customer_id"])
    await env.pipeline.ingest_records([message("STRANGER", **fields)])
    [outcome] = await env.service.resolve_records(["crm:STRANGER"])
    assert (outcome.action, outcome.merged_customers) == ("created", [])
    assert outcome.candidates >= 1
    statuses = await customer_statuses(env)
    assert set(statuses.values()) == {"active"}, "a customer holding records was retired"
    assert await env.steward.history(before["customer_id"]) == history


async def test_a_record_linking_two_customers_merges_them_in_one_write(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    web = {"email": "ottoline@example.org", "login_id": "u-ottoline"}
    await env.pipeline.ingest_records(
        [message("OTT-1", **OTTOLINE), message("OTT-2", source="web", **web)]
    )
    first = await env.service.resolve_records(["crm:OTT-1", "web:OTT-2"])
    assert [o.action for o in first] == ["created", "created"]
    ids = {o.record_key: str(o.customer_id) for o in first}
    # The app record has Ottoline's name, birth date and postcode, and the web record's login.
    await env.pipeline.ingest_records(
        [message("OTT-3", source="app", login_id="u-ottoline", **OTTOLINE)]
    )
    [outcome] = await env.service.resolve_records(["app:OTT-3"])
    assert outcome.action == "merged"
    kept, gone = str(outcome.customer_id), outcome.merged_customers
    assert sorted([kept, *gone]) == sorted(ids.values())
    assignments = await env.service.assignments()
    assert {assignments[k] for k in ("crm:OTT-1", "web:OTT-2", "app:OTT-3")} == {kept}
    [row] = await env.store.read("customers/get_customers", {"ids": gone})
    assert (row["customer"]["status"], row["customer"]["merged_into"]) == ("retired", kept)
    actions = sorted(e["action"] for e in await env.steward.history(kept))
    assert "customer.merged" in actions
    assert set((await customer_statuses(env)).values()) == {"active"}


async def test_a_placeholder_email_brings_no_candidates_by_its_local_part(
    env: IdentityEnv,
) -> None:
    await env.service.resolve_all()
    # Two people with the placeholder's local part ("test") and a real address sharing one.
    others = [
        message("TEST-1", first_name="Ada", last_name="Quill", email="test@mailbox.org"),
        message("TEST-2", first_name="Bo", last_name="Rake", email="test@post.example"),
        message("REAL-1", first_name="Cy", last_name="Vane", email="jo.bloggs@yahoo.com"),
    ]
    await env.pipeline.ingest_records(others)
    unique = {**OTTOLINE, "date_of_birth": "1912-02-29", "postcode": "ZZ8 8ZZ"}
    placeholder = message("NEW-1", email="test@test.com", **unique)  # on the blocklist
    real = message("NEW-2", email="jo.bloggs@gmail.com", first_name="Dee", last_name="Wick")
    await env.pipeline.ingest_records([placeholder, real])
    blocked, kept = await env.service.resolve_records(["crm:NEW-1", "crm:NEW-2"])
    assert (blocked.action, blocked.candidates) == ("created", 0)
    assert kept.candidates >= 1  # a real local part still blocks: jo.bloggs@yahoo.com


async def test_an_over_shared_value_brings_no_candidates_but_other_blocks_still_do(
    env: IdentityEnv,
) -> None:
    await env.service.resolve_all()
    env.service.config = replace(env.service.config, max_candidates=3)
    # x@x.com is not on the blocklist, but four strangers hold it: over the limit of 3.
    strangers = [
        message(f"X-{i}", first_name=f"Stranger{i}", last_name="Nobody", email="x@x.com")
        for i in range(4)
    ]
    await env.pipeline.ingest_records([message("OTT-1", **OTTOLINE), *strangers])
    [first] = await env.service.resolve_records(["crm:OTT-1"])
    # Ottoline again, from the app, with the over-shared address: found by her name and
    # birth date, and none of the four strangers is even a candidate.
    await env.pipeline.ingest_records([message("OTT-2", source="app", email="x@x.com", **OTTOLINE)])
    [again] = await env.service.resolve_records(["app:OTT-2"])
    assert (again.action, again.customer_id) == ("joined", first.customer_id)
    assert again.candidates == 1
    env.service.config = replace(env.service.config, max_candidates=200)
    await env.pipeline.ingest_records([message("OTT-3", source="web", email="x@x.com", **OTTOLINE)])
    [wide] = await env.service.resolve_records(["web:OTT-3"])
    assert wide.candidates >= 6  # within the limit, the address brings all four strangers
