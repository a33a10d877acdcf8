"""Consent and eligibility are hard guardrails: an unconsented or ineligible action is never
returned, whatever the bandit has learned; without personalisation no profile feature is
used. Property-style: many random profiles, contexts and consents from a seeded generator."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter

from nba.catalogue import Catalogue
from nba.consent import allow_all, deny_all, granted
from nba.eligibility import allowed, holds
from nba.features import INDEX, PROFILE_DIM, features
from nba.profile import DecisionContext, NbaProfile
from nba.rules import CHANNELS, DEVICES, PAGES, Rule
from nba.service import NbaConfig, NextBestActionService
from nba.state import LearnRow
from segments.evaluate import evaluate
from tests.nba.conftest import DAY, NOW, Agg, profile

RFM = ["rfm:champions", "rfm:loyal", "rfm:at_risk", "rfm:hibernating", "rfm:new"]
ITEMS = ["g1", "g2", "k1", "x1", "unknown"]
KINDS = ["product_view", "add_to_cart", "purchase"]


def _random_case(rng: np.random.Generator) -> tuple[NbaProfile, DecisionContext, frozenset[str]]:
    rows = [
        Agg(
            str(rng.choice(ITEMS)),
            str(rng.choice(KINDS)),
            int(rng.integers(1, 5)),
            last_at=NOW - int(rng.integers(0, 90)) * DAY,
        )
        for _ in range(int(rng.integers(0, 8)))
    ]
    known = bool(rng.random() < 0.6)
    segments = tuple(rng.choice(RFM, size=int(rng.integers(0, 2)), replace=False)) if known else ()
    who = profile(*rows, customer="cus_9" if known else None, segments=segments)

    def maybe(values: tuple[str, ...]) -> str | None:
        return None if rng.random() < 0.2 else str(rng.choice(values))

    context = DecisionContext(
        channel=maybe(CHANNELS),
        device=maybe(DEVICES),
        page=maybe(PAGES),
        category=maybe(("garden", "gifts", "kitchen")),
        hour=int(rng.integers(0, 24)),
    )
    purposes = frozenset(p for p in ("marketing", "personalisation") if rng.random() < 0.5)
    return who, context, purposes


def _teach_everything_is_great(service: NextBestActionService, rng: np.random.Generator) -> None:
    """Make every action look excellent to both models, so only the guardrails hold it back."""
    rows = [
        LearnRow(action, rng.random(len(INDEX)), 1.0, personalised=bool(i % 2))
        for i, action in enumerate(service.catalogue.ids * 30)
    ]
    service.learn(rows)


@pytest.mark.parametrize("learned", [False, True])
@pytest.mark.parametrize("with_guide", [False, True])
def test_never_an_unconsented_or_ineligible_action(
    catalogue: Catalogue, tmp_path: Path, learned: bool, with_guide: bool
) -> None:
    if not with_guide:  # without the always-allowed guide, some requests have no action
        kept = tuple(a for a in catalogue.actions if a.id != "guide-gifts")
        catalogue = replace(catalogue, actions=kept)
    service = NextBestActionService(catalogue, NbaConfig(tmp_path), seed=5)
    rng = np.random.default_rng(20260101)
    if learned:
        _teach_everything_is_great(service, rng)
    answered = none = 0
    for _ in range(600):
        who, context, purposes = _random_case(rng)
        consent = granted(*purposes)
        decision = service.decide(who, context, consent, NOW)
        permitted = [a for a in catalogue.actions if allowed(a, who, context, consent, NOW)]
        if decision is None:
            assert permitted == []
            none += 1
            continue
        answered += 1
        action = decision.action
        assert action in permitted
        assert set(action.consent) <= purposes
        assert context.channel is None or context.channel in action.channel
        assert action.eligibility is None or holds(action.eligibility, who, context, NOW)
        if "personalisation" not in purposes:
            assert decision.policy == "contextual"
            assert not decision.features[:PROFILE_DIM].any()
            assert not decision.exploration
        else:
            assert decision.policy == "personalised"
    assert answered > 150
    assert (none > 10) is not with_guide


def test_without_personalisation_the_profile_is_never_read(service: NextBestActionService) -> None:
    loyal = profile(Agg("g1", "purchase", 9), segments=("rfm:champions",))
    stranger = profile(customer=None)
    context = DecisionContext(channel="web", page="home", hour=12)
    consent = granted("marketing")
    a = service.decide(loyal, context, consent, NOW)
    b = service.decide(stranger, context, consent, NOW)
    assert a is not None
    assert b is not None
    np.testing.assert_array_equal(a.features, b.features)
    assert a.features[INDEX["bias"]] == 1.0


def test_nothing_allowed_gives_none(service: NextBestActionService) -> None:
    # email channel, no consent at all: only the gifts guide (no consent needed) is left
    context = DecisionContext(channel="email")
    found = service.decide(profile(), context, deny_all, NOW)
    assert found is not None
    assert found.action.id == "guide-gifts"
    only_guide = service.candidates(profile(), DecisionContext(channel="email"), deny_all, NOW)
    assert [service.actions[i].id for i in only_guide] == ["guide-gifts"]
    # an empty catalogue slot: the app channel on a phone with nothing consented but content
    blocked = DecisionContext(channel="app", device="desktop", page="cart")
    ids = [service.actions[i].id for i in service.candidates(profile(), blocked, deny_all, NOW)]
    assert ids == ["guide-gifts"]


def test_eligibility_rules_on_profiles_and_contexts(catalogue: Catalogue) -> None:
    def ok(action_id: str, who: NbaProfile, context: DecisionContext) -> bool:
        action = catalogue.get(action_id)
        assert action is not None
        return allowed(action, who, context, allow_all, NOW)

    web = DecisionContext(channel="web", page="home")
    newcomer, buyer = profile(Agg("k1")), profile(Agg("k1", "purchase"))
    assert ok("welcome-10", newcomer, web)
    assert not ok("welcome-10", buyer, web)
    gardener = profile(Agg("g1", last_at=NOW - 3 * DAY))
    old_gardener = profile(Agg("g1", last_at=NOW - 40 * DAY))
    garden_page = DecisionContext(channel="web", page="category", category="Garden")
    assert ok("garden-weekend-promo", gardener, web)
    assert not ok("garden-weekend-promo", old_gardener, web)  # outside the 30-day window
    assert ok("garden-weekend-promo", old_gardener, garden_page)  # the page's category
    champion = profile(Agg("k1", "purchase"), segments=("rfm:champions",))
    assert ok("loyalty-double-points", champion, web)
    assert not ok("loyalty-double-points", buyer, web)
    lapsing = profile(segments=("rfm:at_risk",))
    email = DecisionContext(channel="email")
    assert ok("winback-email", lapsing, email)
    assert not ok("winback-email", lapsing, web)
    assert not ok("winback-email", profile(customer=None, segments=("rfm:at_risk",)), email)
    assert ok("cart-free-delivery", buyer, DecisionContext(channel="app", page="cart"))
    assert not ok("cart-free-delivery", buyer, web)
    assert ok("app-download", buyer, DecisionContext(channel="web", device="mobile"))
    assert not ok("app-download", buyer, DecisionContext(channel="app", device="mobile"))
    assert ok("guide-gifts", profile(customer=None), DecisionContext())


def test_context_hours_may_wrap_midnight() -> None:
    from nba.eligibility import context_matches
    from nba.rules import ContextMatch

    night = ContextMatch(hours=(22, 2))
    assert [h for h in range(24) if context_matches(night, DecisionContext(hour=h))] == [
        0, 1, 2, 22, 23,
    ]  # fmt: skip
    assert not context_matches(night, DecisionContext())


def test_features_describe_profile_and_context() -> None:
    who = profile(
        Agg("g1", "product_view", 3, last_at=NOW - DAY // 2),
        Agg("k1", "purchase", 2, weight=10.0, last_at=NOW - 5 * DAY),
        Agg("g2", "add_to_cart", 1, weight=3.0, last_at=NOW - 2 * DAY),
        segments=("rfm:loyal", "garden-lovers"),
    )
    context = DecisionContext("app", "mobile", "product", "garden", 6)
    x = features(who, context, NOW)
    on = {name for name, i in INDEX.items() if x[i] == 1.0}
    assert {"rfm=loyal", "seen<=1d", "purchases=2-3", "open_cart", "known", "bias"} <= on
    assert {"channel=app", "device=mobile", "page=product"} <= on
    assert x[INDEX["category_share"]] == pytest.approx(4.0 / 14.0)
    assert x[INDEX["hour_sin"]] == pytest.approx(1.0)
    assert 0 < x[INDEX["views"]] < 1
    assert features(who, context, NOW, personalised=False)[:PROFILE_DIM].sum() == 0


def test_segment_leaves_mean_what_they_mean_in_segments() -> None:
    """nba evaluates the segment language's leaves itself (categories folded once per
    request); on random profiles it agrees with `segments.evaluate` everywhere."""
    rng = np.random.default_rng(7)
    leaves = [
        {"event": kind, **extra}
        for kind in KINDS
        for extra in (
            {},
            {"category": "Garden "},
            {"within": "7d"},
            {"category": "gifts", "within": "30d", "min_count": 2},
            {"min_weight": 3.0},
            {"min_count": 3, "min_weight": 1.5},
        )
    ]
    leaves += [{"profile": "country", "equals": "gb"}, {"profile": "city", "equals": "Leeds"}]
    leaves += [{"rfm": ["champions", "at_risk"]}]
    rules = [TypeAdapter(Rule).validate_python(leaf) for leaf in leaves]
    for _ in range(300):
        who, context, _ = _random_case(rng)
        who = replace(who, city=str(rng.choice(["leeds", "York"])))
        for rule in rules:
            assert holds(rule, who, context, NOW) == evaluate(rule, who.facts, NOW), rule  # type: ignore[arg-type]
