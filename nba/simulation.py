"""An offline simulation: synthetic visitors, true conversion rates, policies side by side.

Each round draws a visitor (known or anonymous, with interaction aggregates over categories
they prefer, an RFM segment from their purchases), a request context and consents. The true
conversion probability of action `a` is `sigmoid(base_a + w_aᵀx + g_a·preference)`: `x` is
the same feature vector the service builds (hand-set effects — loyalty works on champions,
the cart message on the cart page, the welcome offer on new visitors… — plus small random
ones), the preference term is a latent taste for the action's category that the features
see only partly (through `category_share` on that category's pages). Every policy sees the
same rounds and the same guardrails (consent, channel, eligibility); rewards are Bernoulli
draws with common random numbers; feedback arrives in batches, as with `nba update`.
Regret is the expected one: the best allowed action's probability minus the chosen one's.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from nba.catalogue import Catalogue
from nba.consent import Consent, granted
from nba.features import DIM, INDEX, features
from nba.profile import DecisionContext, NbaProfile, build_profile
from nba.service import NbaConfig, NextBestActionService
from nba.state import LearnRow
from segments.rfm import named_segment

DAY = 86_400_000
NOW = 1_767_225_600_000  # 2026-01-01
CATEGORIES = ("garden", "gifts", "kitchen", "christmas", "toys", "decor", "bath", "bags")
EFFECTS: dict[str, dict[str, float]] = {
    "welcome-10": {"purchases=0": 1.2, "views": 1.0, "seen<=1d": 0.5, "known": -0.4},
    "garden-weekend-promo": {"page=category": 0.5, "category_share": 1.5},
    "loyalty-double-points": {"rfm=champions": 1.8, "rfm=loyal": 1.0, "purchases=10+": 0.6},
    "winback-email": {"rfm=cant_lose_them": 1.6, "rfm=at_risk": 1.2, "rfm=about_to_sleep": 0.7},
    "cart-free-delivery": {"page=cart": 1.6, "page=checkout": 1.0, "open_cart": 0.9},
    "guide-gifts": {"page=home": 0.6, "page=search": 0.9, "purchases=0": 0.4, "known": -0.4},
    "app-download": {"device=mobile": 1.2, "hour_cos": -0.6, "page=product": 0.3},
}
BASE = -3.4
KINDS = ("product_view", "add_to_cart", "purchase")
WEIGHTS = (1.0, 3.0, 5.0)


def _hours() -> np.ndarray:
    """More visits at lunchtime and in the evening."""
    shape = [
        0.3 + math.exp(-((h - 20) ** 2) / 18) + 0.5 * math.exp(-((h - 12) ** 2) / 8)
        for h in range(24)
    ]
    return np.array(shape) / sum(shape)


HOURS = _hours()


@dataclass(frozen=True)
class Row:
    """An interaction aggregate of a synthetic visitor."""

    item_id: str
    type: str
    count: int
    weight: float
    first_at: int
    last_at: int


@dataclass(frozen=True)
class Visit:
    """One round: who, where, what they consented to, and their latent tastes."""

    profile: NbaProfile
    context: DecisionContext
    consent: Consent
    preference: dict[str, float]


def _category(item_id: str) -> str | None:
    return item_id.split("/", 1)[0]


class World:
    """Draws visits and knows the true conversion probabilities."""

    def __init__(self, catalogue: Catalogue, seed: int) -> None:
        self.catalogue = catalogue
        self.rng = np.random.default_rng(seed)
        self.weights = self.rng.normal(0.0, 0.4, (len(catalogue.actions), DIM))
        for k, action in enumerate(catalogue.actions):
            for name, effect in EFFECTS.get(action.id, {}).items():
                self.weights[k, INDEX[name]] += effect
        self.gamma = np.array([2.5 if a.category else 0.0 for a in catalogue.actions])

    def visit(self, number: int) -> Visit:
        """A random visitor, request and consent."""
        rng = self.rng
        taste = rng.dirichlet(np.full(len(CATEGORIES), 0.4))
        known = rng.random() < 0.65
        activity = 0 if rng.random() < 0.2 else min(200, int(rng.lognormal(1.8, 0.9)))
        scale = float(rng.choice([3.0, 20.0, 90.0]))  # typical days since an interaction
        picks = rng.choice(len(CATEGORIES), size=activity, p=taste)
        kinds = rng.choice(3, size=activity, p=[0.7, 0.15, 0.15])
        counts = rng.integers(1, 4, size=activity)
        lasts = NOW - (rng.exponential(scale, size=activity) * DAY).astype(np.int64)
        rows = [
            Row(f"{CATEGORIES[c]}/{n}", KINDS[k], int(m), WEIGHTS[k] * int(m), int(t) - DAY, int(t))
            for n, (c, k, m, t) in enumerate(zip(picks, kinds, counts, lasts, strict=True))
        ]
        segments = self._rfm(rows) if known else ()
        subject = f"cus_{number}" if known else f"cookie:{number}"
        profile = build_profile(
            subject, rows, customer_id=subject if known else None, segment_ids=segments,
            category_of=_category,
        )  # fmt: skip
        return Visit(profile, self._context(taste), self._consent(), self._preference(taste))

    def _rfm(self, rows: list[Row]) -> tuple[str, ...]:
        purchases = [r for r in rows if r.type == "purchase"]
        if not purchases:
            return ()
        days = (NOW - max(r.last_at for r in purchases)) / DAY
        r = 5 - sum(days > limit for limit in (7, 21, 45, 90))
        count = sum(p.count for p in purchases)
        f = 1 + sum(count >= limit for limit in (2, 3, 5, 8))
        m = max(1, min(5, f + int(self.rng.integers(-1, 2))))
        return (f"rfm:{named_segment(r, f, m)}",)

    def _context(self, taste: np.ndarray) -> DecisionContext:
        rng = self.rng
        channel = str(rng.choice(["web", "app", "email"], p=[0.6, 0.3, 0.1]))
        if channel == "email":
            return DecisionContext(channel="email", hour=int(rng.integers(0, 24)))
        device = (
            "mobile"
            if channel == "app"
            else str(rng.choice(["desktop", "mobile", "tablet"], p=[0.45, 0.45, 0.1]))
        )
        pages = ["home", "category", "product", "search", "cart", "checkout", "account"]
        page = str(rng.choice(pages, p=[0.25, 0.25, 0.25, 0.08, 0.1, 0.04, 0.03]))
        category = None
        if page in ("category", "product"):
            favourite = rng.random() < 0.6
            pick = int(np.argmax(taste)) if favourite else int(rng.integers(len(CATEGORIES)))
            category = CATEGORIES[pick]
        hour = int(rng.choice(24, p=HOURS))
        return DecisionContext(channel, device, page, category, hour)

    def _consent(self) -> Consent:
        purposes = [
            p
            for p, share in (("marketing", 0.85), ("personalisation", 0.75))
            if self.rng.random() < share
        ]
        return granted(*purposes)

    @staticmethod
    def _preference(taste: np.ndarray) -> dict[str, float]:
        return {c: float(t) for c, t in zip(CATEGORIES, taste, strict=True)}

    def probabilities(self, visit: Visit) -> np.ndarray:
        """True conversion probability of every action for this visit."""
        x = features(visit.profile, visit.context, NOW, personalised=True)
        taste = np.array(
            [visit.preference.get(a.category or "", 0.0) for a in self.catalogue.actions]
        )
        logits = BASE + self.weights @ x + self.gamma * taste
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return probabilities


class Policy(Protocol):
    """Chooses among the allowed actions and learns from batches of feedback."""

    name: str

    def choose(self, visit: Visit, allowed: list[int]) -> tuple[int, LearnRow | None]: ...

    def learn(self, rows: list[tuple[int, float, LearnRow | None]]) -> None: ...


class Ours:
    """The service itself: personalised LinUCB, contextual greedy without consent."""

    def __init__(self, service: NextBestActionService, name: str = "linucb") -> None:
        self.service, self.name = service, name
        self.index = {a: i for i, a in enumerate(service.catalogue.ids)}

    def choose(self, visit: Visit, allowed: list[int]) -> tuple[int, LearnRow | None]:
        decision = self.service.decide(visit.profile, visit.context, visit.consent, NOW)
        assert decision is not None
        row = LearnRow(
            decision.action.id, decision.features, 0.0, decision.policy == "personalised"
        )
        return self.index[decision.action.id], row

    def learn(self, rows: list[tuple[int, float, LearnRow | None]]) -> None:
        self.service.learn(
            [
                LearnRow(r.action_id, r.features, reward, r.personalised)
                for _, reward, r in rows
                if r
            ]
        )


@dataclass
class MeanPolicy:
    """Per-action mean reward, no features: `epsilon` 0 is greedy (each action tried once
    first), `epsilon` 1 is uniformly random."""

    name: str
    actions: int
    epsilon: float
    seed: int
    pulls: np.ndarray = field(init=False)
    total: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.pulls, self.total = np.zeros(self.actions), np.zeros(self.actions)

    def choose(self, visit: Visit, allowed: list[int]) -> tuple[int, LearnRow | None]:
        if self.epsilon >= 1.0 or self.rng.random() < self.epsilon:
            return allowed[int(self.rng.integers(len(allowed)))], None
        idx = np.asarray(allowed)
        mean = np.where(
            self.pulls[idx] > 0, self.total[idx] / np.maximum(self.pulls[idx], 1), np.inf
        )
        return allowed[int(np.argmax(mean + self.rng.random(len(idx)) * 1e-9))], None

    def learn(self, rows: list[tuple[int, float, LearnRow | None]]) -> None:
        for action, reward, _ in rows:
            self.pulls[action] += 1
            self.total[action] += reward


def simulate(
    world: World, policies: list[Policy], rounds: int, batch: int, seed: int
) -> dict[str, dict[str, Any]]:
    """Run every policy on the same rounds; per policy cumulative regret and reward."""
    service = next((p.service for p in policies if isinstance(p, Ours)), None)
    draws = np.random.default_rng(seed + 1)
    regret = dict.fromkeys((p.name for p in policies), 0.0)
    reward = dict.fromkeys((p.name for p in policies), 0.0)
    pending: dict[str, list[tuple[int, float, LearnRow | None]]] = {p.name: [] for p in policies}
    curve: dict[str, list[float]] = {p.name: [] for p in policies}
    checker = service or NextBestActionService(world.catalogue, NbaConfig(Path(os.devnull)))
    for t in range(rounds):
        visit = world.visit(t)
        allowed = checker.candidates(visit.profile, visit.context, visit.consent, NOW)
        if not allowed:
            continue
        truth = world.probabilities(visit)
        best, u = float(truth[allowed].max()), float(draws.random())
        for policy in policies:
            action, row = policy.choose(visit, allowed)
            assert action in allowed, f"{policy.name} broke a guardrail"
            earned = 1.0 if u < truth[action] else 0.0
            regret[policy.name] += best - float(truth[action])
            reward[policy.name] += earned
            pending[policy.name].append((action, earned, row))
        if (t + 1) % max(1, rounds // 10) == 0:
            for name in regret:
                curve[name].append(round(regret[name], 2))
        if (t + 1) % batch == 0:
            for policy in policies:
                policy.learn(pending[policy.name])
                pending[policy.name] = []
    return {
        name: {"regret": regret[name], "reward": reward[name], "curve": curve[name]}
        for name in regret
    }
