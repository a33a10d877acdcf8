"""Behavioural events: web and app sessions driven by latent preferences, split at the cut."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from demo_world import noise
from demo_world.accounts import Accounts
from demo_world.behaviour import CONSENT_PURPOSES, Behaviour, ItemSampler
from demo_world.categories import CATEGORIES
from demo_world.config import DAY_MS, DemoWorldConfig, iso_ms
from demo_world.event_log import EventLog
from demo_world.people import Person
from demo_world.seeding import IdFactory, UniformStream
from demo_world.truth import IdentifierRegistry

HELDOUT_TYPES = frozenset({"product_view", "add_to_cart", "purchase"})
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 7, 6, 6, 6, 7, 9, 11, 12, 10, 6, 3)
_HOUR_CDF = [c / sum(_HOUR_WEIGHTS) for c in accumulate(_HOUR_WEIGHTS)]
_HOUR_MS = 3_600_000
_ENCODER = json.JSONEncoder(separators=(",", ":"))


@dataclass
class _Who:
    """Identifiers carried by the events of the current session."""

    person: int
    source: str
    anonymous_id: str | None = None
    user_id: str | None = None
    device_id: str | None = None
    session_id: str = ""


class EventSimulator:
    """Simulates every person's sessions and collects the resulting events."""

    def __init__(
        self,
        config: DemoWorldConfig,
        sampler: ItemSampler,
        rng: np.random.Generator,
        ids: IdFactory,
        registry: IdentifierRegistry,
        shared_devices: frozenset[str] = frozenset(),
    ) -> None:
        self.config = config
        self.start_ms, self.cut_ms, self.end_ms = config.start_ms, config.cut_ms, config.end_ms
        self.shared_devices = shared_devices
        self.sampler = sampler
        self.rng = rng
        self.draws = UniformStream(rng)
        self.ids = ids
        self.registry = registry
        self.log = EventLog()
        self._seq = 0
        self._person_ids: list[str] = []

    def emit(
        self,
        ms: int,
        kind: str,
        who: _Who,
        props: dict[str, object],
        email: str | None = None,
        phone: str | None = None,
    ) -> None:
        """Record one event; interactions at or after the cut go to the held-out list instead."""
        if ms >= self.cut_ms:
            if kind in HELDOUT_TYPES and ms < self.end_ms:
                self.log.heldout.append(
                    (ms, self._person_ids[who.person], str(props["item_id"]), kind)
                )
            return
        register = self.registry.add
        register("anonymous_id", who.anonymous_id, who.person)
        register("user_id", who.user_id, who.person)
        register("email", email, who.person)
        register("phone", phone, who.person)
        register("device_id", who.device_id, who.person)
        body = {
            "type": kind,
            "occurred_at": iso_ms(ms),
            "identifiers": {
                "anonymous_id": who.anonymous_id,
                "user_id": who.user_id,
                "email": email,
                "phone": phone,
                "device_id": who.device_id,
            },
            "properties": {"session_id": who.session_id, **props},
            "source": who.source,
        }
        self._seq += 1
        self.log.lines.append((ms, self._seq, _ENCODER.encode(body)))
        self.log.counts[kind] += 1

    def simulate(
        self,
        persons: list[Person],
        accounts: list[Accounts],
        behaviours: list[Behaviour],
        progress: Callable[[int, int], None] | None = None,
    ) -> EventLog:
        """Simulate all persons (reporting ``(done, total)`` now and then) and return the log."""
        self._person_ids = [p.person_id for p in persons]
        total = len(persons)
        for done, (person, owned, behaviour) in enumerate(
            zip(persons, accounts, behaviours, strict=True), 1
        ):
            self._person(person, owned, behaviour)
            if progress is not None and (done % 500 == 0 or done == total):
                progress(done, total)
        return self.log

    def _session_starts(self, behaviour: Behaviour) -> list[int]:
        count = int(self.rng.poisson(behaviour.sessions_per_day * self.config.days))
        draws = self.draws
        starts = []
        for _ in range(count):
            hour = bisect_right(_HOUR_CDF, draws.random())
            day = draws.below(self.config.days)
            starts.append(
                self.start_ms + day * DAY_MS + min(hour, 23) * _HOUR_MS + draws.below(_HOUR_MS)
            )
        return sorted(starts)

    def _person(self, person: Person, owned: Accounts, behaviour: Behaviour) -> None:
        cookies = list(owned.cookie_login)
        devices = list(owned.device_login)
        if not cookies and not devices:
            return  # an offline (CRM-only) customer
        draws = self.draws
        logged_in: dict[str, bool] = {}
        seen: set[str] = set()
        viewed: list[int] = []
        for start in self._session_starts(behaviour):
            use_app = bool(devices) and (not cookies or draws.random() < behaviour.app_share)
            if use_app:
                device = devices[_pick_weighted(len(devices), draws)]
                who = _Who(person.index, "app", device_id=device, session_id=self.ids.new("s-"))
                login: str | None = owned.device_login[device]
                instrument = device
                # the app keeps you signed in, except on the family tablet (pick your profile)
                if device in seen and device not in self.shared_devices:
                    who.user_id = login
            else:
                cookie = cookies[_pick_weighted(len(cookies), draws)]
                login = owned.cookie_login[cookie]
                who = _Who(person.index, "web", anonymous_id=cookie, session_id=self.ids.new("s-"))
                instrument = cookie
                if logged_in.get(cookie) and draws.random() < 0.85:
                    who.user_id = login
            ms = start
            self.emit(ms, "page_view", who, {"page": "/"})
            if instrument not in seen:
                seen.add(instrument)
                for purpose, granted in zip(CONSENT_PURPOSES, behaviour.consent, strict=True):
                    ms += 500 + draws.below(4000)
                    self.emit(ms, "consent", who, {"purpose": purpose, "granted": granted})
            elif draws.random() < 0.02:  # changes their mind about marketing
                ms += 1000 + draws.below(10_000)
                self.emit(
                    ms, "consent", who, {"purpose": "marketing", "granted": draws.random() < 0.4}
                )
            if use_app and who.user_id is None:
                ms = self._identify(ms, who, login, person)
            ms = self._browse(ms, who, person, behaviour, viewed, login)
            if not use_app:
                logged_in[instrument] = who.user_id is not None

    def _identify(self, ms: int, who: _Who, login: str | None, person: Person) -> int:
        if login is None:
            return ms
        ms += 3000 + int(self.draws.exponential(20_000))
        who.user_id = login
        draw = self.draws.random()
        email = noise.email_format(person.email, self.rng) if draw < 0.3 else None
        phone = (
            noise.phone_format(person.phone, self.rng)
            if 0.3 <= draw < 0.4 and who.source == "app"
            else None
        )
        self.emit(ms, "identify", who, {"method": "login"}, email=email, phone=phone)
        return ms

    def _browse(
        self,
        ms: int,
        who: _Who,
        person: Person,
        behaviour: Behaviour,
        viewed: list[int],
        login: str | None,
    ) -> int:
        draws, sampler, items = self.draws, self.sampler, self.sampler.items
        focus = sampler.category(behaviour, draws)
        if draws.random() < 0.3:
            ms += 2000 + int(draws.exponential(15_000))
            self.emit(ms, "search", who, {"query": self._query(focus)})
        elif draws.random() < 0.5:
            ms += 1000 + int(draws.exponential(10_000))
            self.emit(ms, "page_view", who, {"page": f"/category/{CATEGORIES[focus]}"})
        cart: list[tuple[int, int]] = []
        views = 1
        while draws.random() < 0.68 and views < 15:
            views += 1
        for _ in range(views):
            if viewed and draws.random() < 0.15:
                index = viewed[draws.below(len(viewed))]  # back to something seen before
            else:
                category = focus if draws.random() < 0.75 else sampler.category(behaviour, draws)
                index = sampler.item(category, draws)
                viewed.append(index)
            item = items[index]
            ms += 2000 + int(draws.exponential(40_000))
            self.emit(ms, "product_view", who, {"item_id": item.item_id, "price": item.price})
            if item.in_stock and draws.random() < 0.22:
                quantity = _quantity(draws)
                ms += 1000 + int(draws.exponential(15_000))
                self.emit(
                    ms,
                    "add_to_cart",
                    who,
                    {"item_id": item.item_id, "price": item.price, "quantity": quantity},
                )
                cart.append((index, quantity))
        if who.user_id is None and who.source == "web" and draws.random() < 0.08:
            ms = self._identify(ms, who, login, person)  # signs in to look at their account
        if cart and draws.random() < 0.45:
            ms = self._checkout(ms, who, person, cart, login)
        return ms

    def _checkout(
        self, ms: int, who: _Who, person: Person, cart: list[tuple[int, int]], login: str | None
    ) -> int:
        draws = self.draws
        email: str | None = None
        if who.user_id is None:
            if login is not None and draws.random() < 0.75:
                ms = self._identify(ms, who, login, person)
            else:  # guest checkout: the email typed at checkout is the only identifier
                email = noise.email_format(person.email, self.rng)
        ms += 5000 + int(draws.exponential(30_000))
        self.emit(ms, "page_view", who, {"page": "/checkout"}, email=email)
        order_id = self.ids.new("o-", 10)
        for index, quantity in cart:
            item = self.sampler.items[index]
            ms += 50 + draws.below(500)
            props: dict[str, object] = {
                "order_id": order_id,
                "item_id": item.item_id,
                "price": item.price,
                "quantity": quantity,
                "currency": "GBP",
            }
            self.emit(ms, "purchase", who, props, email=email)
        return ms

    def _query(self, category: int) -> str:
        query = self.sampler.query(category, self.draws)
        return noise.typo(query, self.rng) if self.draws.random() < 0.05 else query


def _pick_weighted(count: int, draws: UniformStream) -> int:
    """Pick an index in [0, count) with weights 1, 1/2, 1/3, ... (the first is the main one)."""
    if count == 1:
        return 0
    weights = [1.0 / (i + 1) for i in range(count)]
    target = draws.random() * sum(weights)
    for index, weight in enumerate(weights):
        target -= weight
        if target < 0:
            return index
    return count - 1


def _quantity(draws: UniformStream) -> int:
    draw = draws.random()
    if draw < 0.70:
        return 1
    if draw < 0.85:
        return 2
    return 3 + draws.below(4)
