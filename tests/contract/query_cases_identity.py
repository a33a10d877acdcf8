"""Query-file cases for identity resolution: record pages, blocking, decisions, customers."""

from __future__ import annotations

from typing import Any

from graph.port import GraphStore
from tests.contract.query_cases import RECORD, case, link, seed_customers, seed_records

DECISION = {"decided_by": "steward:ann", "reason": "checked", "at": 7}


async def seed_people(store: GraphStore) -> None:
    """Three records with blocking attributes, two identifiers, and customer C1 for crm:1."""
    people: list[dict[str, Any]] = [
        {"name_key": "ann|lee", "date_of_birth": "1980-01-02", "postcode": "LS1 1AA"},
        {"name_key": "lee|ann", "date_of_birth": "1990-03-04", "postcode": "M1 1AA"},
        {"name_key": "bob|ray", "date_of_birth": "1980-01-02", "email_local": "h1"},
    ]
    for person in people:  # blocking keys, as ingestion writes them
        person["dob_key"] = person["date_of_birth"]
        person["postcode_key"] = person.get("postcode")
    rows = [
        {**RECORD, "key": f"crm:{i}", "source_id": str(i), "attrs": attrs, "identifiers": []}
        for i, attrs in enumerate(people, start=1)
    ]
    await store.write_batch("records/upsert_records", rows)
    await link(store, "1", "email:e1")
    await link(store, "2", "email:e1")
    await seed_customers(store, "C1")
    await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:1", "customer_id": "C1"}]
    )


@case("identity/records_page")
async def _records_page(store: GraphStore) -> None:
    await seed_people(store)
    first = await store.read("identity/records_page", {"skip": 0, "limit": 2})
    assert [r["key"] for r in first] == ["crm:1", "crm:2"]
    assert (first[0]["identifiers"], first[0]["customer_id"]) == (["email:e1"], "C1")
    assert first[0]["date_of_birth"] == "1980-01-02"
    rest = await store.read("identity/records_page", {"skip": 2, "limit": 2})
    assert [(r["key"], r["identifiers"], r["customer_id"]) for r in rest] == [("crm:3", [], None)]
    # Mixed-case keys: every record exactly once (a `key > cursor` page looped on FalkorDB).
    mixed = [f"web:{p}-{i}" for p in ("WEB", "bg", "Bg") for i in range(3)]
    rows = [{**RECORD, "key": k, "source_id": k, "attrs": {}, "identifiers": []} for k in mixed]
    await store.write_batch("records/upsert_records", rows)
    seen = [
        r["key"]
        for skip in range(0, 12, 4)
        for r in await store.read("identity/records_page", {"skip": skip, "limit": 4})
    ]
    assert sorted(seen) == sorted(["crm:1", "crm:2", "crm:3", *mixed])


@case("identity/records_by_keys")
async def _records_by_keys(store: GraphStore) -> None:
    await seed_people(store)
    rows = await store.read("identity/records_by_keys", {"keys": ["crm:2", "crm:9"]})
    assert [(r["key"], r["identifiers"], r["email_local"]) for r in rows] == [
        ("crm:2", ["email:e1"], None)
    ]


@case("identity/candidate_records")
async def _candidate_records(store: GraphStore) -> None:
    await seed_people(store)
    params = {
        "key": "crm:1",
        "identifier_keys": ["email:e1"],
        "name_key": "ann|lee",
        "swapped_name_key": "lee|ann",
        "dob_key": "1980-01-02",
        "postcode_key": "LS1 1AA",
        "email_local": "~no value~",
        "limit": 10,
        "over": 11,
    }
    rows = await store.read("identity/candidate_records", params)
    # crm:2 shares the email and the swapped name, crm:3 the birth date; each comes once.
    got = sorted((r["key"], r["identifiers"], r["customer_id"]) for r in rows)
    assert got == [("crm:2", ["email:e1"], None), ("crm:3", [], None)]
    assert {r["key"]: r["date_of_birth"] for r in rows} == {
        "crm:2": "1990-03-04",
        "crm:3": "1980-01-02",
    }
    nothing = {"name_key": "~no value~", "swapped_name_key": "~no value~"}
    nothing |= {"dob_key": "~no value~", "postcode_key": "~no value~"}
    by_local = {**params, **nothing, "identifier_keys": [], "email_local": "h1"}
    assert [r["key"] for r in await store.read("identity/candidate_records", by_local)] == ["crm:3"]
    # A block of more than `limit` records is over-shared and left out whole; the record's
    # own key counts towards its block. The name blocks hold one record each (the record
    # looked for, crm:9, is in neither), the birth-date block two, the email block two.
    names = {**params, **nothing, "key": "crm:9", "identifier_keys": []}
    names |= {"name_key": "ann|lee", "swapped_name_key": "lee|ann"}
    assert len(await store.read("identity/candidate_records", names)) == 2
    one = {"limit": 1, "over": 2}
    assert len(await store.read("identity/candidate_records", {**names, **one})) == 2
    births = {**names, "name_key": "~no value~", "swapped_name_key": "~no value~"}
    births["dob_key"] = "1980-01-02"
    assert len(await store.read("identity/candidate_records", births)) == 2
    assert await store.read("identity/candidate_records", {**births, **one}) == []
    shared = {**nothing, "key": "crm:9", "identifier_keys": ["email:e1"], "email_local": "x"}
    assert len(await store.read("identity/candidate_records", {**params, **shared})) == 2
    shared_one = {**params, **shared, **one}
    assert await store.read("identity/candidate_records", shared_one) == []


@case("identity/cluster_records")
async def _cluster_records(store: GraphStore) -> None:
    await seed_people(store)
    await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:2", "customer_id": "C1"}]
    )
    rows = [
        {"left_key": "crm:1", "right_key": "crm:3", "status": "rejected", **DECISION},
        {"left_key": "crm:2", "right_key": "crm:3", "status": "pending", **DECISION},
    ]
    await store.write_batch("matches/set_decisions", rows)
    found = await store.read("identity/cluster_records", {"ids": ["C1", "C9"], "keys": ["crm:3"]})
    by_key = {r["key"]: r for r in found}
    assert sorted(by_key) == ["crm:1", "crm:2", "crm:3"]
    assert (by_key["crm:1"]["customer_id"], by_key["crm:1"]["identifiers"]) == ("C1", ["email:e1"])
    assert (by_key["crm:3"]["customer_id"], by_key["crm:3"]["email_local"]) == (None, "h1")
    decided = {k: [d for d in r["decisions"] if d["key"] is not None] for k, r in by_key.items()}
    assert decided == {
        "crm:1": [{"key": "crm:3", "status": "rejected"}],
        "crm:2": [],
        "crm:3": [{"key": "crm:1", "status": "rejected"}],
    }
    assert await store.read("identity/cluster_records", {"ids": [], "keys": []}) == []


@case("identity/identifier_record_counts")
async def _identifier_record_counts(store: GraphStore) -> None:
    await seed_people(store)
    rows = await store.read(
        "identity/identifier_record_counts", {"keys": ["email:e1", "email:none"]}
    )
    assert rows == [{"key": "email:e1", "records": 2}]


@case("identity/customer_records")
async def _customer_records(store: GraphStore) -> None:
    await seed_people(store)
    await store.write_batch(
        "customers/assign_records", [{"record_key": "crm:2", "customer_id": "C1"}]
    )
    [row] = await store.read("identity/customer_records", {"ids": ["C1", "C9"]})
    assert (row["customer_id"], sorted(row["record_keys"])) == ("C1", ["crm:1", "crm:2"])


@case("identity/assignments")
async def _assignments(store: GraphStore) -> None:
    await seed_people(store)
    assert await store.read("identity/assignments") == [
        {"record_key": "crm:1", "customer_id": "C1"}
    ]


@case("matches/set_decisions")
async def _set_decisions(store: GraphStore) -> None:
    await seed_records(store, "1", "2")
    row = {"left_key": "crm:1", "right_key": "crm:2", "status": "rejected", **DECISION}
    await store.write_batch("matches/set_decisions", [row])
    summary = await store.write_batch("matches/set_decisions", [{**row, "status": "retracted"}])
    assert summary.relationships_created == 0
    pairs = [{"left_key": "crm:1", "right_key": "crm:2"}]
    [got] = await store.read("matches/pair_statuses", {"pairs": pairs})
    assert got["status"] == "retracted"


@case("matches/decided_pairs")
async def _decided_pairs(store: GraphStore) -> None:
    await seed_records(store, "1", "2", "3")
    rows = [
        {"left_key": "crm:1", "right_key": "crm:2", "status": "approved", **DECISION},
        {"left_key": "crm:2", "right_key": "crm:3", "status": "retracted", **DECISION},
    ]
    await store.write_batch("matches/set_decisions", rows)
    assert await store.read("matches/decided_pairs") == [
        {"left_key": "crm:1", "right_key": "crm:2", "status": "approved"}
    ]


@case("matches/decided_pairs_of")
async def _decided_pairs_of(store: GraphStore) -> None:
    await seed_records(store, "1", "2", "3", "4")
    rows = [
        {"left_key": "crm:1", "right_key": "crm:2", "status": "rejected", **DECISION},
        {"left_key": "crm:3", "right_key": "crm:4", "status": "approved", **DECISION},
    ]
    await store.write_batch("matches/set_decisions", rows)
    found = await store.read("matches/decided_pairs_of", {"keys": ["crm:2", "crm:1"]})
    assert found == [{"left_key": "crm:1", "right_key": "crm:2", "status": "rejected"}]


@case("matches/pair_statuses")
async def _pair_statuses(store: GraphStore) -> None:
    await seed_records(store, "1", "2", "3")
    row = {"left_key": "crm:1", "right_key": "crm:2", "status": "rejected", **DECISION}
    await store.write_batch("matches/set_decisions", [row])
    pairs = [
        {"left_key": "crm:1", "right_key": "crm:2"},
        {"left_key": "crm:2", "right_key": "crm:3"},
    ]
    assert await store.read("matches/pair_statuses", {"pairs": pairs}) == [
        {"left_key": "crm:1", "right_key": "crm:2", "status": "rejected"}
    ]


@case("customers/retire_customers")
async def _retire_customers(store: GraphStore) -> None:
    await seed_customers(store, "C1", "C2")
    await store.write_batch(
        "customers/retire_customers", [{"id": "C2", "merged_into": "C1", "at": 9}]
    )
    [customer] = await store.read("customers/get_customer", {"id": "C2"})
    assert customer["customer"]["status"] == "retired"
    assert customer["customer"]["merged_into"] == "C1"


@case("audit/get_entry")
async def _get_entry(store: GraphStore) -> None:
    entry = {
        "id": "a1",
        "at": 5,
        "actor": "steward:ann",
        "action": "match.rejected",
        "reason": "r",
        "subject_type": "match",
        "subject_id": "x|y",
        "before": "{}",
        "after": "{}",
    }
    await store.write_batch("audit/append_entries", [entry])
    assert await store.read("audit/get_entry", {"id": "a1"}) == [entry]
    assert await store.read("audit/get_entry", {"id": "nope"}) == []


@case("audit/list_recent")
async def _list_recent(store: GraphStore) -> None:
    base = {
        "actor": "system",
        "reason": "",
        "subject_type": "customer",
        "subject_id": "C",
        "before": "null",
        "after": "null",
    }
    entries = [
        {**base, "id": "a1", "at": 1, "action": "customer.merged"},
        {**base, "id": "a2", "at": 2, "action": "customer.split"},
        {**base, "id": "a3", "at": 3, "action": "customer.merged"},
    ]
    await store.write_batch("audit/append_entries", entries)
    merged = await store.read("audit/list_recent", {"action": "customer.merged", "limit": 5})
    assert [e["id"] for e in merged] == ["a3", "a1"]
    newest = await store.read("audit/list_recent", {"action": None, "limit": 2})
    assert [e["id"] for e in newest] == ["a3", "a2"]
