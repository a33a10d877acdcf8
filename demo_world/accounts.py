"""Which source records each person has, and their logins, cookies and devices."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from demo_world.people import Household, Person
from demo_world.seeding import IdFactory

SOURCES: tuple[str, ...] = ("crm", "web", "app")
_SOURCE_WEIGHTS = np.array([0.45, 0.35, 0.20])
_RECORD_COUNTS = np.array([1, 2, 3, 4])
_RECORD_COUNT_WEIGHTS = np.array([0.35, 0.35, 0.20, 0.10])


@dataclass
class RecordPlan:
    """What one source record of a person will contain before noise is applied."""

    source: str
    login_id: str | None = None
    cookie_ids: list[str] = field(default_factory=list)
    device_ids: list[str] = field(default_factory=list)
    alt_email: bool = False
    previous_address: bool = False
    family_email: bool = False


@dataclass
class Accounts:
    """All identifiers a person owns and the records that mention them."""

    records: list[RecordPlan]
    cookie_login: dict[str, str | None]  # web cookie -> login it signs in to (None: never logs in)
    device_login: dict[str, str]  # app device -> login used on it

    @property
    def web(self) -> bool:
        """True when the person browses the website (with any cookie)."""
        return bool(self.cookie_login)

    @property
    def app(self) -> bool:
        """True when the person uses the app."""
        return bool(self.device_login)


def _sources(rng: np.random.Generator, count: int, forced: list[str]) -> list[str]:
    chosen = list(forced)
    while len(chosen) < count:
        unused = [i for i, s in enumerate(SOURCES) if s not in chosen]
        if unused and (not chosen or rng.random() < 0.8):
            weights = _SOURCE_WEIGHTS[unused] / _SOURCE_WEIGHTS[unused].sum()
            chosen.append(SOURCES[unused[int(rng.choice(len(unused), p=weights))]])
        else:
            chosen.append("crm" if rng.random() < 0.6 else "web")  # a duplicate account
    return chosen


def _plan_person(
    person: Person, rng: np.random.Generator, ids: IdFactory, tablet: str | None, shares_email: bool
) -> Accounts:
    count = int(rng.choice(_RECORD_COUNTS, p=_RECORD_COUNT_WEIGHTS))
    sources = _sources(rng, max(count, 1), ["app"] if tablet else [])
    plans = [RecordPlan(source) for source in sources]
    cookie_login: dict[str, str | None] = {}
    device_login: dict[str, str] = {}
    primary_login: str | None = None
    seen_web = False
    for plan in plans:
        if plan.source == "web":
            if seen_web:  # a second web account, often opened with another email
                plan.login_id = ids.new("u-", 10)
                plan.alt_email = person.alt_email is not None
            else:
                primary_login = primary_login or ids.new("u-", 10)
                plan.login_id = primary_login
                seen_web = True
            plan.cookie_ids = [ids.new("c-") for _ in range(1 + int(rng.random() < 0.4))]
            cookie_login.update(dict.fromkeys(plan.cookie_ids, plan.login_id))
        elif plan.source == "app":
            primary_login = primary_login or ids.new("u-", 10)
            # web and app share one login system; a few people still open a separate app account
            plan.login_id = primary_login if rng.random() < 0.9 else ids.new("u-", 10)
            plan.device_ids = [ids.new("d-") for _ in range(1 + int(rng.random() < 0.25))]
            if tablet and tablet not in device_login:
                # for some family members the shared tablet is their main device
                plan.device_ids.insert(0 if rng.random() < 0.5 else len(plan.device_ids), tablet)
            device_login.update(dict.fromkeys(plan.device_ids, plan.login_id))
    # cookies that never sign in: private browsing, a work laptop, browsing before registering
    if rng.random() < (0.30 if seen_web else 0.45):
        cookie_login[ids.new("c-")] = None
    if person.previous_address is not None and (len(plans) >= 2 or rng.random() < 0.25):
        plans[-1].previous_address = True  # the oldest record still has the old address
    if shares_email:
        plans[int(rng.integers(len(plans)))].family_email = True
        for plan in plans:
            plan.family_email = plan.family_email or bool(rng.random() < 0.2)
    return Accounts(plans, cookie_login, device_login)


def plan_accounts(
    persons: list[Person], households: list[Household], rng: np.random.Generator, ids: IdFactory
) -> list[Accounts]:
    """Plan every person's source records and identifiers; assigns family tablets."""
    accounts: list[Accounts | None] = [None] * len(persons)
    for household in households:
        members = household.members
        tablet_users: set[int] = set()
        email_sharers: set[int] = set()
        if len(members) >= 2 and rng.random() < 0.3:
            household.tablet_id = ids.new("d-")
            k = len(members) if len(members) == 2 else int(rng.integers(2, len(members) + 1))
            tablet_users = {int(m) for m in rng.choice(members, size=k, replace=False)}
        if household.family_email is not None:
            k = len(members) if len(members) == 2 else int(rng.integers(2, len(members) + 1))
            email_sharers = {int(m) for m in rng.choice(members, size=k, replace=False)}
        for member in members:
            tablet = household.tablet_id if member in tablet_users else None
            accounts[member] = _plan_person(
                persons[member], rng, ids, tablet, member in email_sharers
            )
    return [a for a in accounts if a is not None]
