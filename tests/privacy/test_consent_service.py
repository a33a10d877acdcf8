"""`ConsentService` on the real embedded store: latest wins, audit entries, effective consent
across a customer's identifiers, the ingestion gate's reads, the whole-graph pass."""

from __future__ import annotations

import json

from graph.port import GraphStore
from privacy.consent import Decision
from privacy.consent_store import ConsentService
from privacy.suppression import SuppressionList
from tests.contract.query_cases import apply, link, pair, seed_customers, seed_records
from tests.contract.query_cases_api import assign


def d(subject: str, purpose: str, granted: bool, at: int, source: str = "test") -> Decision:
    return Decision(subject, purpose, granted, source, at)


async def people(store: GraphStore) -> None:
    """C1: records crm:1 (login:u1, email:e1) and crm:3 (crm_id:k3); C2: crm:2 (login:u2);
    OLD merged into C1. cookie:c1 was seen with login:u1 only (C1's), cookie:shared with
    both logins, cookie:anon with nobody known."""
    await seed_records(store, "1", "2", "3")
    await seed_customers(store, "C1", "C2", "OLD")
    for record, key in (
        ("1", "login:u1"),
        ("1", "email:e1"),
        ("3", "crm_id:k3"),
        ("2", "login:u2"),
    ):
        await link(store, record, key)
    await assign(store, **{"1": "C1", "3": "C1", "2": "C2"})
    await store.write_batch(
        "customers/retire_customers", [{"id": "OLD", "merged_into": "C1", "at": 1}]
    )
    pairs = [
        pair("cookie:c1", "login:u1"),
        pair("cookie:shared", "login:u1"),
        pair("cookie:shared", "login:u2"),
        pair("cookie:anon", "device:d9"),
    ]
    await apply(store, 0, 1, pairs=pairs)


async def test_latest_decision_wins_and_every_change_is_audited(
    store: GraphStore, consent: ConsentService
) -> None:
    first = await consent.record(
        [d("login:u1", "marketing", True, 10, "crm"), d("login:u1", "analytics", False, 10)],
        "alice",
        "signed the form",
    )
    assert {(c.purpose, c.before, c.granted) for c in first} == {
        ("marketing", None, True),
        ("analytics", None, False),
    }
    assert len({c.audit_id for c in first}) == 1, "one audit entry per subject and call"
    assert await consent.record([d("login:u1", "marketing", False, 5)], "bob") == [], "older"
    assert await consent.record([d("login:u1", "marketing", False, 10)], "bob") == [], "as old"
    same = await consent.record([d("login:u1", "marketing", True, 20, "web")], "bob")
    assert [(c.before, c.audit_id) for c in same] == [(True, None)], "restated: not audited"
    flip = await consent.record([d("login:u1", "marketing", False, 30, 'ev"il')], "carol", "why")
    assert [(c.before, c.granted) for c in flip] == [(True, False)]
    batch = await consent.record(
        [d("cookie:x", "marketing", True, 40), d("cookie:x", "marketing", False, 41)], "dave"
    )
    assert [c.granted for c in batch] == [False], "the newest of one batch"

    trail = await store.read("audit/list_for_subject", {"subject_id": "login:u1", "limit": 10})
    assert [(e["action"], e["actor"], e["subject_type"]) for e in trail] == [
        ("consent.changed", "carol", "consent"),
        ("consent.changed", "alice", "consent"),
    ]
    assert trail[0]["reason"] == "why"
    assert trail[1]["reason"] == "signed the form"
    assert json.loads(trail[0]["before"]) == {
        "marketing": {"at": 20, "granted": True, "source": "web"}
    }
    assert json.loads(trail[0]["after"]) == {
        "marketing": {"at": 30, "granted": False, "source": "ev_il"}
    }
    assert json.loads(trail[1]["before"]) == {"analytics": None, "marketing": None}
    assert trail[0]["at"] >= trail[1]["at"] > 1_700_000_000_000, "when it was recorded"
    now = (await consent.of_identifiers(["login:u1"]))["login:u1"]
    assert (now["marketing"].granted, now["marketing"].source, now["marketing"].at) == (
        False,
        "ev_il",
        30,
    )


async def test_effective_consent_spans_a_customers_identifiers(
    store: GraphStore, consent: ConsentService
) -> None:
    await people(store)
    await consent.record(
        [
            d("email:e1", "personalisation", False, 10),  # a record identifier of C1
            d("crm_id:k3", "personalisation", True, 5),  # older, another record of C1
            d("cookie:c1", "marketing", True, 20),  # seen only with C1's login
            d("OLD", "analytics", False, 30),  # a customer merged into C1
            d("cookie:shared", "marketing", False, 40),  # seen with C1 and C2: neither's
            d("cookie:anon", "personalisation", False, 50),  # nobody's: its own
            d("C2", "marketing", True, 60),  # the API's decision on the customer itself
        ],
        "test",
    )
    customers = await consent.of_customers(["C1", "C2", "NOBODY"])
    c1 = customers["C1"]
    assert (c1["personalisation"].granted, c1["personalisation"].subject) == (False, "email:e1")
    assert (c1["marketing"].granted, c1["marketing"].subject) == (True, "cookie:c1")
    assert (c1["analytics"].granted, c1["analytics"].subject) == (False, "OLD")
    assert customers["C2"].granted == {"analytics", "personalisation", "marketing"}
    assert customers["NOBODY"].granted == {"analytics", "personalisation"}, "defaults"
    assert all(c.is_default for c in customers["NOBODY"].values())

    keys = ["login:u1", "cookie:c1", "cookie:shared", "cookie:anon", "cookie:unknown"]
    found = await consent.of_identifiers(keys)
    assert found["login:u1"] == c1, "their person's"
    assert found["cookie:c1"] == c1, "their person's"
    assert found["cookie:shared"]["marketing"].granted is False, "no single person: its own"
    assert not found["cookie:anon"].allows("personalisation")
    assert found["cookie:unknown"].granted == {"analytics", "personalisation"}
    # A newer grant anywhere in the person's identifiers wins.
    await consent.record([d("login:u1", "personalisation", True, 70)], "test")
    assert (await consent.of_subject("C1")).allows("personalisation")
    assert (await consent.of_subject("cookie:c1")).allows("personalisation")
    allows = await consent.lookup("C2")  # what next-best-action is given
    assert allows("marketing")
    assert allows("personalisation")
    assert not (await consent.lookup("cookie:anon"))("personalisation")


async def test_defaults_apply_to_everyone_without_a_decision(store: GraphStore) -> None:
    await people(store)
    strict = ConsentService(store, {"personalisation": False, "analytics": False})
    await strict.record([d("login:u2", "personalisation", True, 5)], "test")
    customers = await strict.of_customers(["C1", "C2"])
    assert not customers["C1"].allows("personalisation")
    assert customers["C2"].allows("personalisation")
    gate = await strict.gate(["login:u1", "login:u2", "cookie:never-seen"])
    assert gate.withdrawn == {"login:u1", "login:u2", "cookie:never-seen"}, "no analytics yes"


async def test_the_gate_finds_suppressed_and_withdrawn_keys(
    store: GraphStore, consent: ConsentService
) -> None:
    await people(store)
    await SuppressionList(store).add(["email:gone"], "erased")
    await consent.record(
        [d("crm_id:k3", "analytics", False, 10), d("cookie:anon", "analytics", False, 11)],
        "test",
    )
    keys = ["login:u1", "cookie:c1", "login:u2", "cookie:anon", "device:d9", "email:gone"]
    state = await consent.gate(keys)
    assert state.suppressed == {"email:gone"}
    assert state.withdrawn == {"login:u1", "cookie:c1", "cookie:anon"}, (
        "C1 withdrew (on another record's identifier): all its identifiers, and the cookie "
        "seen only with them; an anonymous cookie's own withdrawal"
    )
    assert state.untied == state.suppressed | state.withdrawn
    assert (await consent.gate([])).untied == frozenset()


async def test_the_whole_graph_pass_agrees_with_the_per_customer_reads(
    store: GraphStore, consent: ConsentService
) -> None:
    await people(store)
    await consent.record(
        [
            d("email:e1", "personalisation", False, 10),
            d("crm_id:k3", "personalisation", True, 15),
            d("cookie:c1", "personalisation", False, 12),
            d("OLD", "personalisation", False, 14),
            d("cookie:shared", "personalisation", False, 40),
            d("cookie:anon", "personalisation", False, 50),
            d("login:u2", "personalisation", True, 1),
            d("C2", "marketing", False, 60),
        ],
        "test",
    )
    users = await consent.by_user("personalisation")
    per_customer = await consent.of_customers(["C1", "C2"], ["personalisation"])
    for customer, consents in per_customer.items():
        assert users.customers[customer] == consents["personalisation"], customer
    assert users.allows_customer("C1")
    assert users.allows_customer("C2")
    assert users.customers["C1"].subject == "crm_id:k3"
    assert set(users.identifiers) == {"cookie:shared", "cookie:anon"}
    own = await consent.of_identifiers(["cookie:shared", "cookie:anon"], ["personalisation"])
    for key, consents in own.items():
        assert users.identifiers[key] == consents["personalisation"]
    assert not users.allows_identifier("cookie:anon")
    assert users.allows_identifier("cookie:someone-else"), "the default"
