"""What the generated files contain: schemas, ground truth, noise, households, holdout."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo_world import DemoWorldConfig, generate
from demo_world.nicknames import NICKNAMES
from demo_world.noise import JUNK_EMAILS, JUNK_PHONES

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
RECORD_COLUMNS = [
    "source", "source_id", "first_name", "last_name", "email", "phone", "date_of_birth",
    "address", "postcode", "city", "country", "login_id", "device_ids", "cookie_ids", "updated_at",
]  # fmt: skip
PROPERTIES = {
    "page_view": {"session_id", "page"},
    "product_view": {"session_id", "item_id", "price"},
    "search": {"session_id", "query"},
    "add_to_cart": {"session_id", "item_id", "price", "quantity"},
    "purchase": {"session_id", "order_id", "item_id", "price", "quantity", "currency"},
    "identify": {"session_id", "method"},
    "consent": {"session_id", "purpose", "granted"},
}
IDENTIFIER_KEYS = ["anonymous_id", "user_id", "email", "phone", "device_id"]


class World:
    """A small generated world, parsed once."""

    def __init__(self, config: DemoWorldConfig) -> None:
        self.config = config
        root = config.output_dir
        self.records = _csv(root / "records.csv")
        self.items = {row["item_id"]: row for row in _csv(root / "items.csv")}
        self.record_person = _csv(root / "truth" / "record_person.csv")
        self.identifiers = _csv(root / "truth" / "identifier_person.csv")
        self.persons = {row["person_id"]: row for row in _csv(root / "truth" / "persons.csv")}
        self.heldout = _csv(root / "truth" / "heldout_interactions.csv")
        with (root / "events.jsonl").open(encoding="utf-8") as handle:
            self.events: list[dict[str, Any]] = [json.loads(line) for line in handle]
        self.owner = {(r["source"], r["source_id"]): r["person_id"] for r in self.record_person}
        self.noise = Counter(
            tag for r in self.record_person for tag in r["noise"].split(";") if tag
        )
        start = datetime.combine(config.start, datetime.min.time(), UTC)
        self.cut = start + timedelta(days=config.days - config.holdout_days)
        self.end = start + timedelta(days=config.days)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _when(text: str) -> datetime:
    assert ISO_MS.match(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    config = DemoWorldConfig(
        people=300, days=60, holdout_days=10, output_dir=tmp_path_factory.mktemp("world")
    )
    generate(config)
    return World(config)


def test_record_schema_and_every_record_has_truth(world: World) -> None:
    with (world.config.output_dir / "records.csv").open(encoding="utf-8") as handle:
        assert handle.readline().strip().split(",") == RECORD_COLUMNS
    keys = [(r["source"], r["source_id"]) for r in world.records]
    assert len(set(keys)) == len(keys)
    assert set(keys) == set(world.owner)
    assert len(world.record_person) == len(world.records)
    assert {r["source"] for r in world.records} == {"crm", "web", "app"}
    for record in world.records:
        assert world.owner[(record["source"], record["source_id"])] in world.persons
        assert record["date_of_birth"] == "" or re.match(
            r"^\d{4}-\d{2}-\d{2}$", record["date_of_birth"]
        )
        assert _when(record["updated_at"]) < world.cut
        if record["source"] == "crm":
            assert record["login_id"] == record["device_ids"] == record["cookie_ids"] == ""
        if record["source"] == "web":
            assert record["login_id"]
            assert record["cookie_ids"]
            assert not record["device_ids"]
        if record["source"] == "app":
            assert record["login_id"]
            assert record["device_ids"]
            assert not record["cookie_ids"]
    per_person = Counter(world.owner.values())
    assert set(per_person) == set(world.persons)
    assert set(per_person.values()) <= {1, 2, 3, 4}


def test_persons_are_clean_truth(world: World) -> None:
    households = Counter(p["household_id"] for p in world.persons.values())
    assert max(households.values()) >= 2
    for person in world.persons.values():
        assert person["email"] == person["email"].strip().lower()
        assert "@" in person["email"]
        assert re.match(r"^\+447\d{9}$", person["phone"])
        assert person["country"] == "GB"
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", person["date_of_birth"])
    emails = [p["email"] for p in world.persons.values()]
    assert len(set(emails)) == len(emails)


def test_noise_is_present(world: World) -> None:
    for tag in ("nickname", "typo_first_name", "typo_last_name", "swapped_names", "junk_email",
                "junk_phone", "family_email", "previous_address"):  # fmt: skip
        assert world.noise[tag] > 0, tag
    nicknames = typos = 0
    for record in world.records:
        truth = world.persons[world.owner[(record["source"], record["source_id"])]]
        first = record["first_name"].strip()
        if first and first.lower() != truth["first_name"].lower():
            options = {n.lower() for n in NICKNAMES.get(truth["first_name"], ())}
            nicknames += first.lower() in options
            typos += _edit_distance(first.lower(), truth["first_name"].lower()) <= 2
    assert nicknames > 0
    assert typos > 0
    emails = [r["email"] for r in world.records]
    phones = [r["phone"] for r in world.records]
    assert any(e in JUNK_EMAILS for e in emails)
    assert any(p in JUNK_PHONES for p in phones)
    assert any(e and e != e.strip().lower() and e not in JUNK_EMAILS for e in emails)
    assert any(p.startswith("+44 7") for p in phones)
    assert any(re.match(r"^07\d{9}$", p) for p in phones)
    assert sum(1 for r in world.records if r["email"] == "") > 0  # missing values


def test_moved_people_have_an_older_record_with_the_old_address(world: World) -> None:
    moved = [r for r in world.record_person if "previous_address" in r["noise"].split(";")]
    by_key = {(r["source"], r["source_id"]): r for r in world.records}
    for truth_row in moved:
        record = by_key[(truth_row["source"], truth_row["source_id"])]
        person = world.persons[truth_row["person_id"]]
        if record["postcode"]:
            assert record["postcode"].replace(" ", "").upper() != person["postcode"].replace(
                " ", ""
            )
        others = [
            by_key[k]["updated_at"]
            for k, owner in world.owner.items()
            if owner == truth_row["person_id"]
            and k != (truth_row["source"], truth_row["source_id"])
        ]
        assert all(record["updated_at"] < other for other in others)


def test_households_share_emails_and_devices(world: World) -> None:
    email_owners: dict[str, set[str]] = defaultdict(set)
    device_owners: dict[str, set[str]] = defaultdict(set)
    for record in world.records:
        owner = world.owner[(record["source"], record["source_id"])]
        if record["email"] and record["email"] not in JUNK_EMAILS:
            email_owners[record["email"].strip().lower()].add(owner)
        for device in filter(None, record["device_ids"].split(";")):
            device_owners[device].add(owner)
    for owners in (email_owners, device_owners):
        shared = [people for people in owners.values() if len(people) > 1]
        assert shared
        for people in shared:  # shared identifiers stay within one household
            assert len({world.persons[p]["household_id"] for p in people}) == 1
    shared_devices = {d for d, people in device_owners.items() if len(people) > 1}
    users_in_events: dict[str, set[str]] = defaultdict(set)
    for event in world.events:
        ids = event["identifiers"]
        if ids["device_id"] in shared_devices and ids["user_id"]:
            users_in_events[ids["device_id"]].add(ids["user_id"])
    assert any(len(users) > 1 for users in users_in_events.values())


def test_identifier_truth_covers_every_raw_value(world: World) -> None:
    truth = {(r["type"], r["value"]): r for r in world.identifiers}
    for row in world.identifiers:
        owners = row["person_ids"].split(";")
        assert set(owners) <= set(world.persons)
        assert row["shared"] == ("true" if len(owners) > 1 else "false")
        if row["shared"] == "false" and row["junk"] == "false":
            assert row["person_id"] == owners[0]
        else:
            assert row["person_id"] == ""
    assert any(r["junk"] == "true" for r in world.identifiers)
    for record in world.records:
        owner = world.owner[(record["source"], record["source_id"])]
        values = [
            ("email", record["email"]),
            ("phone", record["phone"]),
            ("user_id", record["login_id"]),
        ]
        values += [("device_id", v) for v in record["device_ids"].split(";")]
        values += [("anonymous_id", v) for v in record["cookie_ids"].split(";")]
        for kind, value in values:
            if value:
                assert owner in truth[(kind, value)]["person_ids"].split(";"), (kind, value)
    for event in world.events:
        for kind, value in event["identifiers"].items():
            if value is not None:
                assert (kind, value) in truth, (kind, value)


def test_events_schema_and_order(world: World) -> None:
    assert world.events
    previous = datetime.min.replace(tzinfo=UTC)
    for number, event in enumerate(world.events, start=1):
        assert list(event) == ["schema_version", "event_id", "type", "occurred_at", "identifiers",
                               "properties", "source"]  # fmt: skip
        assert event["schema_version"] == 1
        assert event["event_id"] == f"e-{number:09d}"
        when = _when(event["occurred_at"])
        assert previous <= when < world.cut
        previous = when
        assert list(event["identifiers"]) == IDENTIFIER_KEYS
        assert set(event["properties"]) == PROPERTIES[event["type"]], event
        ids, props = event["identifiers"], event["properties"]
        if event["source"] == "web":
            assert ids["anonymous_id"]
            assert ids["device_id"] is None
        else:
            assert event["source"] == "app"
            assert ids["device_id"]
            assert ids["anonymous_id"] is None
        if "item_id" in props:
            assert props["item_id"] in world.items
            assert props["price"] == float(world.items[props["item_id"]]["price"])
        if event["type"] == "identify":
            assert ids["user_id"]
        if event["type"] == "consent":
            assert props["purpose"] in {"analytics", "personalisation", "marketing"}
            assert isinstance(props["granted"], bool)
        if event["type"] in {"add_to_cart", "purchase"}:
            assert isinstance(props["quantity"], int)
            assert props["quantity"] >= 1
        if event["type"] == "search":
            assert isinstance(props["query"], str)
            assert props["query"]
    assert set(Counter(e["type"] for e in world.events)) == set(PROPERTIES)


def test_some_cookies_never_log_in(world: World) -> None:
    users: dict[str, set[str | None]] = defaultdict(set)
    for event in world.events:
        if event["identifiers"]["anonymous_id"]:
            users[event["identifiers"]["anonymous_id"]].add(event["identifiers"]["user_id"])
    assert any(seen == {None} for seen in users.values())
    assert any(None in seen and len(seen) > 1 for seen in users.values())  # identify links


def test_holdout_is_after_the_cut_and_absent_from_events(world: World) -> None:
    assert world.heldout
    interactions = {
        (e["properties"]["item_id"], e["occurred_at"])
        for e in world.events
        if "item_id" in e["properties"]
    }
    for row in world.heldout:
        assert world.cut <= _when(row["occurred_at"]) < world.end
        assert row["type"] in {"product_view", "add_to_cart", "purchase"}
        assert row["person_id"] in world.persons
        assert row["item_id"] in world.items
        assert (row["item_id"], row["occurred_at"]) not in interactions
    times = [row["occurred_at"] for row in world.heldout]
    assert times == sorted(times)
