"""Query-file cases for consent (`cypher/consent/`) and the suppression list."""

from __future__ import annotations

from typing import Any

from graph.port import GraphStore
from tests.contract.query_cases import apply, case, link, pair, seed_customers, seed_records
from tests.contract.query_cases_api import assign


def decision(
    subject: str, purpose: str, granted: bool, at: int, source: str = "test"
) -> dict[str, Any]:
    """A row for consent/record_decisions."""
    return {
        "id": f"{purpose}|{subject}",
        "subject": subject,
        "purpose": purpose,
        "granted": granted,
        "source": source,
        "at": at,
    }


async def record(store: GraphStore, *rows: dict[str, Any]) -> list[str]:
    """Run consent/record_decisions; the ids applied."""
    result = await store.write("consent/record_decisions", {"rows": list(rows)})
    return [str(r["id"]) for r in result.rows]


async def customer_with_identifiers(store: GraphStore) -> None:
    """C1 holds crm:1 (login:u1, email:e1); C2 holds crm:2 (login:u2); cookie:c1 was seen
    with login:u1 only, cookie:shared with both logins, cookie:anon with nobody."""
    await seed_records(store, "1", "2")
    await seed_customers(store, "C1", "C2")
    await link(store, "1", "login:u1")
    await link(store, "1", "email:e1")
    await link(store, "2", "login:u2")
    await assign(store, **{"1": "C1", "2": "C2"})
    pairs = [
        pair("cookie:c1", "login:u1"),
        pair("cookie:shared", "login:u1"),
        pair("cookie:shared", "login:u2"),
    ]
    await apply(store, 0, 1, pairs=pairs)


@case("consent/record_decisions")
async def _record_decisions(store: GraphStore) -> None:
    assert await record(store, decision("login:u1", "marketing", True, 10)) == [
        "marketing|login:u1"
    ]
    assert await record(store, decision("login:u1", "marketing", False, 5)) == [], "older"
    assert await record(store, decision("login:u1", "marketing", False, 10)) == [], "as old"
    newer = [decision("login:u1", "marketing", False, 30, "event:web"),
             decision("login:u1", "analytics", True, 1)]  # fmt: skip
    assert sorted(await record(store, *newer)) == ["analytics|login:u1", "marketing|login:u1"]
    got = await store.read("consent/get_decisions", {"ids": ["marketing|login:u1"]})
    assert got == [
        {
            "id": "marketing|login:u1",
            "subject": "login:u1",
            "purpose": "marketing",
            "granted": False,
            "source": "event:web",
            "at": 30,
        }
    ]
    counts = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    assert counts["Consent"] == 2, "one node per subject and purpose"


@case("consent/get_decisions")
async def _get_decisions(store: GraphStore) -> None:
    await record(store, decision("a", "marketing", True, 1), decision("b", "analytics", False, 2))
    rows = await store.read("consent/get_decisions", {"ids": ["analytics|b", "marketing|x"]})
    assert [(r["id"], r["subject"], r["granted"], r["at"]) for r in rows] == [
        ("analytics|b", "b", False, 2)
    ]


@case("consent/of_subjects")
async def _of_subjects(store: GraphStore) -> None:
    await record(
        store,
        decision("cookie:a", "marketing", True, 1),
        decision("cookie:a", "analytics", False, 2, "event:web"),
        decision("C1", "analytics", True, 3),
        decision("cookie:b", "analytics", True, 4),
    )
    params = {"subjects": ["cookie:a", "C1", "nope"], "purposes": ["analytics"]}
    rows = await store.read("consent/of_subjects", params)
    got = sorted((r["subject"], r["purpose"], r["granted"], r["source"], r["at"]) for r in rows)
    assert got == [("C1", "analytics", True, "test", 3), ("cookie:a", "analytics", False,
                    "event:web", 2)]  # fmt: skip


@case("consent/identifier_owners")
async def _identifier_owners(store: GraphStore) -> None:
    await customer_with_identifiers(store)
    await apply(store, 1, 2, pairs=[pair("cookie:anon", "device:d")])
    keys = ["login:u1", "email:e1", "cookie:c1", "cookie:shared", "cookie:anon", "cookie:nope"]
    rows = {r["key"]: r for r in await store.read("consent/identifier_owners", {"keys": keys})}
    assert set(rows) == {"login:u1", "email:e1", "cookie:c1", "cookie:shared"}
    assert (rows["login:u1"]["direct_ids"], rows["login:u1"]["via_ids"]) == (["C1"], []), (
        "seen-with customers are not looked at when a record holds the key"
    )
    assert (rows["cookie:c1"]["direct_ids"], rows["cookie:c1"]["via_ids"]) == ([], ["C1"])
    assert sorted(rows["cookie:shared"]["via_ids"]) == ["C1", "C2"]


@case("consent/customer_decisions")
async def _customer_decisions(store: GraphStore) -> None:
    await customer_with_identifiers(store)
    await seed_customers(store, "OLD", "EMPTY")
    await store.write_batch(
        "customers/retire_customers", [{"id": "OLD", "merged_into": "C1", "at": 3}]
    )
    await record(
        store,
        decision("C1", "personalisation", True, 1),
        decision("email:e1", "personalisation", False, 2),
        decision("cookie:c1", "marketing", True, 3),
        decision("cookie:shared", "marketing", False, 4),  # seen with C1 and C2: neither's
        decision("OLD", "analytics", False, 5),
        decision("login:u2", "analytics", True, 6),
        decision("cookie:anon", "analytics", False, 7),
    )
    params = {"ids": ["C1", "C2", "EMPTY", "NOPE"], "purposes": ["personalisation", "marketing",
              "analytics"]}  # fmt: skip
    rows = await store.read("consent/customer_decisions", params)
    got = sorted(
        (r["customer_id"], r["subject"], r["purpose"], r["granted"], r["at"]) for r in rows
    )
    assert got == [
        ("C1", "C1", "personalisation", True, 1),
        ("C1", "OLD", "analytics", False, 5),
        ("C1", "cookie:c1", "marketing", True, 3),
        ("C1", "email:e1", "personalisation", False, 2),
        ("C2", "login:u2", "analytics", True, 6),
    ]
    assert rows[0]["source"] == "test"
    only = await store.read(
        "consent/customer_decisions", {"ids": ["C1"], "purposes": ["marketing"]}
    )
    assert [r["subject"] for r in only] == ["cookie:c1"]


@case("consent/by_purpose")
async def _by_purpose(store: GraphStore) -> None:
    await customer_with_identifiers(store)
    await seed_customers(store, "OLD")
    await store.write_batch(
        "customers/retire_customers", [{"id": "OLD", "merged_into": "C2", "at": 3}]
    )
    await record(
        store,
        decision("email:e1", "personalisation", False, 2),
        decision("cookie:c1", "personalisation", True, 3),
        decision("cookie:shared", "personalisation", False, 4),
        decision("OLD", "personalisation", False, 5),
        decision("cookie:anon", "personalisation", False, 7),
        decision("cookie:anon", "marketing", True, 8),
    )
    rows = await store.read("consent/by_purpose", {"purpose": "personalisation"})
    got = {
        r["subject"]: (r["granted"], r["identifier"], r["direct_ids"], sorted(r["via_ids"]),
                       r["customer_id"], r["merged_into"])
        for r in rows
    }  # fmt: skip
    assert got == {
        "email:e1": (False, True, ["C1"], [], None, None),
        "cookie:c1": (True, True, [], ["C1"], None, None),
        "cookie:shared": (False, True, [], ["C1", "C2"], None, None),
        "OLD": (False, False, [], [], "OLD", "C2"),
        "cookie:anon": (False, False, [], [], None, None),  # no Identifier node: only events
    }
    assert [r["subject"] for r in rows] == sorted(got)
    anon = next(r for r in rows if r["subject"] == "cookie:anon")
    assert (anon["at"], anon["source"]) == (7, "test")


@case("suppression/add_keys")
async def _add_keys(store: GraphStore) -> None:
    rows = [{"key": "email:h1", "at": 5, "reason": "erased"}, {"key": "login:u", "at": 5,
            "reason": "erased"}]  # fmt: skip
    first = await store.write("suppression/add_keys", {"rows": rows})
    assert sorted(r["key"] for r in first.rows) == ["email:h1", "login:u"]
    again = [{"key": "email:h1", "at": 9, "reason": "later"}, {"key": "cookie:c", "at": 9,
             "reason": "later"}]  # fmt: skip
    second = await store.write("suppression/add_keys", {"rows": again})
    assert [r["key"] for r in second.rows] == ["cookie:c"]
    found = await store.read(
        "suppression/find_keys", {"keys": ["email:h1", "cookie:c", "login:u", "nope"]}
    )
    assert sorted(r["key"] for r in found) == ["cookie:c", "email:h1", "login:u"]
    counts = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    assert counts["Suppressed"] == 3


@case("suppression/find_keys")
async def _find_keys(store: GraphStore) -> None:
    rows = [{"key": "email:h1", "at": 5, "reason": "erased"}]
    await store.write_batch("suppression/add_keys", rows)
    found = await store.read("suppression/find_keys", {"keys": ["email:h1", "email:h1", "x"]})
    assert found == [{"key": "email:h1"}]
    assert await store.read("suppression/find_keys", {"keys": []}) == []


@case("consent/clock")
async def _clock(store: GraphStore) -> None:
    assert await store.read("consent/clock") == [{"version": 0}], "no change yet"


@case("consent/bump_clock")
async def _bump_clock(store: GraphStore) -> None:
    await store.write("consent/bump_clock")
    await store.write("consent/bump_clock")
    assert await store.read("consent/clock") == [{"version": 2}]
    counts = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    assert counts["ConsentClock"] == 1
