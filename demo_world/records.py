"""Source records (CRM, web, app) of every person, with realistic noise applied."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from demo_world import noise
from demo_world.accounts import SOURCES, Accounts, RecordPlan
from demo_world.config import DAY_MS, DemoWorldConfig, iso_ms
from demo_world.people import Household, Person
from demo_world.truth import IdentifierRegistry

RECORD_COLUMNS: tuple[str, ...] = (
    "source",
    "source_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "address",
    "postcode",
    "city",
    "country",
    "login_id",
    "device_ids",
    "cookie_ids",
    "updated_at",
)
_SOURCE_ID_PREFIX = {"crm": "CRM-", "web": "WEB-", "app": "APP-"}
# probability that a field is filled in, per source
_FIELDS = ("name", "email", "phone", "dob", "address", "postcode", "city", "country")
_PRESENCE: dict[str, dict[str, float]] = {
    "crm": dict(zip(_FIELDS, (0.99, 0.92, 0.80, 0.70, 0.95, 0.96, 0.93, 0.90), strict=True)),
    "web": dict(zip(_FIELDS, (0.92, 0.99, 0.45, 0.25, 0.55, 0.60, 0.55, 0.60), strict=True)),
    "app": dict(zip(_FIELDS, (0.85, 0.96, 0.75, 0.15, 0.20, 0.30, 0.25, 0.50), strict=True)),
}


@dataclass
class SourceRecord:
    """One row of records.csv plus its truth (person index and the noise applied)."""

    source: str
    person: int
    values: dict[str, str]
    updated_ms: int
    noise: list[str] = field(default_factory=list)
    source_id: str = ""

    def row(self) -> list[str]:
        """Return the CSV row in ``RECORD_COLUMNS`` order."""
        return [
            self.source,
            self.source_id,
            *(self.values[c] for c in RECORD_COLUMNS[2:-1]),
            iso_ms(self.updated_ms),
        ]


class _RecordBuilder:
    def __init__(self, rng: np.random.Generator, registry: IdentifierRegistry) -> None:
        self.rng = rng
        self.registry = registry

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def names(self, person: Person, tags: list[str]) -> tuple[str, str]:
        rng = self.rng
        first, last = person.first_name, person.last_name
        nick = noise.nickname(first, rng)
        if nick and self.chance(0.18):
            first = nick
            tags.append("nickname")
        if self.chance(0.05):
            first = noise.typo(first, rng)
            tags.append("typo_first_name")
        if self.chance(0.05):
            last = noise.typo(last, rng)
            tags.append("typo_last_name")
        if self.chance(0.006):
            first = noise.junk_name(rng)
            tags.append("junk_name")
        first, last = noise.name_case(first, rng), noise.name_case(last, rng)
        if self.chance(0.025):
            first, last = last, first
            tags.append("swapped_names")
        return first, last

    def email(self, person: Person, plan: RecordPlan, family: str | None, tags: list[str]) -> str:
        rng = self.rng
        email = person.email
        if plan.family_email and family:
            email = family
            tags.append("family_email")
        elif plan.alt_email and person.alt_email:
            email = person.alt_email
            tags.append("alt_email")
        if self.chance(0.03):
            value = noise.junk_email(rng)
            tags.append("junk_email")
            self.registry.add("email", value, person.index, junk=True)
            return value
        if self.chance(0.015):
            email = noise.typo_email(email, rng)
            tags.append("typo_email")
        value = noise.email_format(email, rng)
        self.registry.add("email", value, person.index)
        return value

    def phone(self, person: Person, tags: list[str]) -> str:
        if self.chance(0.03):
            value = noise.junk_phone(self.rng)
            tags.append("junk_phone")
            self.registry.add("phone", value, person.index, junk=True)
            return value
        value = noise.phone_format(person.phone, self.rng)
        self.registry.add("phone", value, person.index)
        return value

    def dob(self, person: Person, tags: list[str]) -> str:
        value = person.date_of_birth.isoformat()
        if self.chance(0.01):
            tags.append("junk_dob")
            return noise.JUNK_DOB
        swapped = noise.swap_day_month(value)
        if swapped and self.chance(0.04):
            tags.append("swapped_dob")
            return swapped
        return value

    def build(
        self, person: Person, plan: RecordPlan, family: str | None, config: DemoWorldConfig
    ) -> SourceRecord:
        rng = self.rng
        present = _PRESENCE[plan.source]
        tags: list[str] = []
        first, last = self.names(person, tags) if self.chance(present["name"]) else ("", "")
        address = person.address
        if plan.previous_address and person.previous_address is not None:
            address = person.previous_address
            tags.append("previous_address")
        line = noise.address_format(address.line, rng) if self.chance(present["address"]) else ""
        if line and self.chance(0.03):
            line = noise.typo(line, rng)
            tags.append("typo_address")
        city = address.city if self.chance(present["city"]) else ""
        if city and self.chance(0.02):
            city = noise.typo(city, rng)
            tags.append("typo_city")
        self.registry.add("user_id", plan.login_id, person.index)
        for cookie in plan.cookie_ids:
            self.registry.add("anonymous_id", cookie, person.index)
        for device in plan.device_ids:
            self.registry.add("device_id", device, person.index)
        values = {
            "first_name": first,
            "last_name": last,
            "email": self.email(person, plan, family, tags)
            if self.chance(present["email"])
            else "",
            "phone": self.phone(person, tags) if self.chance(present["phone"]) else "",
            "date_of_birth": self.dob(person, tags) if self.chance(present["dob"]) else "",
            "address": line,
            "postcode": noise.postcode_format(address.postcode, rng)
            if self.chance(present["postcode"])
            else "",
            "city": noise.name_case(city, rng) if city else "",
            "country": noise.country_format(rng) if self.chance(present["country"]) else "",
            "login_id": plan.login_id or "",
            "device_ids": ";".join(plan.device_ids),
            "cookie_ids": ";".join(plan.cookie_ids),
        }
        if plan.previous_address:  # the stale record was last touched long before the others
            updated = config.start_ms - int(rng.integers(400 * DAY_MS, 1500 * DAY_MS))
        else:
            updated = int(rng.integers(config.start_ms - 365 * DAY_MS, config.cut_ms))
        return SourceRecord(plan.source, person.index, values, updated, tags)


def build_records(
    config: DemoWorldConfig,
    persons: list[Person],
    households: list[Household],
    accounts: list[Accounts],
    rng: np.random.Generator,
    registry: IdentifierRegistry,
) -> list[SourceRecord]:
    """Build every person's noisy source records; ids are assigned in shuffled order."""
    builder = _RecordBuilder(rng, registry)
    family = {h.household_id: h.family_email for h in households}
    records = [
        builder.build(person, plan, family[person.household_id], config)
        for person, owned in zip(persons, accounts, strict=True)
        for plan in owned.records
    ]
    ordered: list[SourceRecord] = []
    for source in SOURCES:
        of_source = [r for r in records if r.source == source]
        for number, position in enumerate(rng.permutation(len(of_source)).tolist(), start=1):
            of_source[position].source_id = f"{_SOURCE_ID_PREFIX[source]}{number:07d}"
        ordered.extend(sorted(of_source, key=lambda r: r.source_id))
    return ordered
