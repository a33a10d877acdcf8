"""The true people of the world: names, birth dates, contact details and households."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from faker import Faker

from demo_world.nicknames import NICKNAMES_FEMALE, NICKNAMES_MALE

COUNTRY = "GB"
EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "hotmail.co.uk",
    "yahoo.co.uk",
    "outlook.com",
    "btinternet.com",
    "icloud.com",
    "live.co.uk",
    "aol.com",
    "sky.com",
    "virginmedia.com",
)
_DOMAIN_WEIGHTS = np.array([0.34, 0.15, 0.10, 0.10, 0.08, 0.08, 0.05, 0.04, 0.03, 0.03])
_HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5])
_HOUSEHOLD_WEIGHTS = np.array([0.50, 0.28, 0.11, 0.08, 0.03])
_FORMAL_MALE = tuple(NICKNAMES_MALE)
_FORMAL_FEMALE = tuple(NICKNAMES_FEMALE)


@dataclass(frozen=True)
class Address:
    """A postal address (street line, postcode, town)."""

    line: str
    postcode: str
    city: str


@dataclass
class Person:
    """One real customer and their true, clean attributes."""

    index: int
    person_id: str
    household_id: str
    female: bool
    first_name: str
    last_name: str
    date_of_birth: date
    email: str
    phone: str  # UK national format, e.g. 07700900123
    address: Address
    previous_address: Address | None = None
    alt_email: str | None = None
    country: str = COUNTRY


@dataclass
class Household:
    """People living at one address; may share a family email and a family tablet."""

    household_id: str
    members: list[int]
    family_email: str | None = None
    tablet_id: str | None = field(default=None)


def _clean_line(line: str) -> str:
    return re.sub(r"\s*\n\s*", ", ", line).strip()


def _address(fake: Faker) -> Address:
    return Address(_clean_line(fake.street_address()), fake.postcode(), fake.city())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


class _Contacts:
    """Allocates unique personal emails and phone numbers."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.emails: set[str] = set()
        self.phones: set[str] = set()

    def domain(self) -> str:
        return EMAIL_DOMAINS[int(self.rng.choice(len(EMAIL_DOMAINS), p=_DOMAIN_WEIGHTS))]

    def email(self, first: str, last: str, born: date) -> str:
        f, last_slug = _slug(first), _slug(last)
        patterns = (
            f"{f}.{last_slug}",
            f"{f}{last_slug}",
            f"{f[:1]}.{last_slug}",
            f"{f}_{last_slug}",
            f"{f}.{last_slug}{born.year % 100:02d}",
            f"{last_slug}.{f}",
            f"{f}{born.year}",
        )
        local = patterns[int(self.rng.integers(len(patterns)))]
        domain = self.domain()
        return self.unique_email(local, domain)

    def unique_email(self, local: str, domain: str) -> str:
        candidate = f"{local}@{domain}"
        while candidate in self.emails:
            candidate = f"{local}{int(self.rng.integers(1, 1000))}@{domain}"
        self.emails.add(candidate)
        return candidate

    def phone(self) -> str:
        while True:
            number = f"07{int(self.rng.integers(100_000_000, 1_000_000_000))}"
            if number not in self.phones:
                self.phones.add(number)
                return number


def _first_name(fake: Faker, rng: np.random.Generator, female: bool) -> str:
    # a third of people get a formal name with well-known nicknames, the rest any UK name
    if rng.random() < 0.35:
        formal = _FORMAL_FEMALE if female else _FORMAL_MALE
        return formal[int(rng.integers(len(formal)))]
    return str(fake.first_name_female() if female else fake.first_name_male())


def generate_people(
    people: int, start: date, fake: Faker, rng: np.random.Generator
) -> tuple[list[Person], list[Household]]:
    """Create ``people`` persons grouped into households, with true contact details."""
    contacts = _Contacts(rng)
    persons: list[Person] = []
    households: list[Household] = []
    width = max(6, len(str(people)))
    while len(persons) < people:
        size = min(int(rng.choice(_HOUSEHOLD_SIZES, p=_HOUSEHOLD_WEIGHTS)), people - len(persons))
        household = Household(f"h-{len(households) + 1:0{width}d}", [])
        home = _address(fake)
        previous = _address(fake) if rng.random() < 0.2 else None
        family_name = str(fake.last_name())
        head_age = int(rng.integers(22, 81))
        for member in range(size):
            female = bool(rng.random() < 0.52)
            last = family_name if member == 0 or rng.random() < 0.75 else str(fake.last_name())
            if member == 0:
                age = head_age
            elif member == 1:
                age = max(18, head_age + int(rng.integers(-6, 7)))
            else:
                age = max(18, head_age - int(rng.integers(20, 36)))
            born = start - timedelta(days=age * 365 + int(rng.integers(0, 365)))
            first = _first_name(fake, rng, female)
            index = len(persons)
            person = Person(
                index=index,
                person_id=f"p-{index + 1:0{width}d}",
                household_id=household.household_id,
                female=female,
                first_name=first,
                last_name=last,
                date_of_birth=born,
                email=contacts.email(first, last, born),
                phone=contacts.phone(),
                address=home,
                previous_address=previous,
            )
            if rng.random() < 0.12:
                person.alt_email = contacts.unique_email(
                    f"{_slug(first)}.{_slug(last)}", str(fake.free_email_domain())
                )
            persons.append(person)
            household.members.append(index)
        if size >= 2 and rng.random() < 0.3:
            slug = _slug(family_name)
            plural = slug + ("es" if slug.endswith("s") else "s")
            styles = (f"the{plural}", f"{slug}family", f"{slug}.household")
            household.family_email = contacts.unique_email(
                styles[int(rng.integers(len(styles)))], contacts.domain()
            )
        households.append(household)
    return persons, households
