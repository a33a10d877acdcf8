"""The hard guardrails: consent, channel and eligibility decide which actions may be shown.

An action is a candidate only when every consent purpose it needs is granted, the request's
channel (when given) is one of the action's, and its eligibility rule holds. Nothing else in
the service can bring back an action these checks removed.
"""

from __future__ import annotations

from nba.catalogue import Action
from nba.consent import Consent
from nba.profile import DecisionContext, NbaProfile
from nba.rules import (
    AllRule,
    AnyRule,
    ContextMatch,
    ContextRule,
    KnownRule,
    NotRule,
    PurchasesRule,
    Rule,
    SegmentRule,
)
from segments.rules import EventCondition, ProfileCondition, RfmCondition


def _fold(value: object) -> str:
    return str(value).strip().casefold()


def _in_hours(hour: int, bounds: tuple[int, int]) -> bool:
    start, end = bounds
    return start <= hour <= end if start <= end else hour >= start or hour <= end


def context_matches(match: ContextMatch, context: DecisionContext) -> bool:
    """Whether every field the rule gives matches the request (a missing value never does)."""
    for name in ("channel", "device", "page"):
        allowed = getattr(match, name)
        if allowed is not None and getattr(context, name) not in allowed:
            return False
    if match.category is not None and (
        context.category is None
        or _fold(context.category) not in {_fold(c) for c in match.category}
    ):
        return False
    return match.hours is None or (
        context.hour is not None and _in_hours(context.hour, match.hours)
    )


def holds(rule: Rule, profile: NbaProfile, context: DecisionContext, now_ms: int) -> bool:
    """Whether the rule holds for this subject and request at `now_ms`."""
    if isinstance(rule, AllRule):
        return all(holds(part, profile, context, now_ms) for part in rule.all)
    if isinstance(rule, AnyRule):
        return any(holds(part, profile, context, now_ms) for part in rule.any)
    if isinstance(rule, NotRule):
        return not holds(rule.not_, profile, context, now_ms)
    if isinstance(rule, ContextRule):
        return context_matches(rule.context, context)
    if isinstance(rule, KnownRule):
        return profile.known is rule.known
    if isinstance(rule, SegmentRule):
        return any(segment in profile.segments for segment in rule.segment)
    if isinstance(rule, PurchasesRule):
        return rule.purchases.holds(profile.purchases)
    if isinstance(rule, ProfileCondition):
        value = profile.country if rule.profile == "country" else profile.city
        return value is not None and _fold(value) == _fold(rule.equals)
    if isinstance(rule, RfmCondition):
        return profile.rfm is not None and profile.rfm in rule.rfm
    return event_holds(rule, profile, now_ms)


def event_holds(rule: EventCondition, profile: NbaProfile, now_ms: int) -> bool:
    """`segments.evaluate.evaluate` of an event condition (the same semantics, a test checks),
    over the profile's rows with their categories folded once per request."""
    window = rule.window
    since = None if window is None else now_ms - window
    category = None if rule.category is None else _fold(rule.category)
    count, weight = 0, 0.0
    for row, row_category in zip(profile.rows, profile.categories, strict=True):
        if row.type != rule.event or (category is not None and row_category != category):
            continue
        if since is not None and row.last_at < since:
            continue
        count += row.count
        weight += row.weight
    if rule.min_count is None and rule.min_weight is None:
        return count >= 1
    return (rule.min_count is None or count >= rule.min_count) and (
        rule.min_weight is None or weight >= rule.min_weight
    )


def consented(action: Action, consent: Consent) -> bool:
    """Whether every purpose the action needs is granted."""
    return all(consent(purpose) for purpose in action.consent)


def allowed(
    action: Action,
    profile: NbaProfile,
    context: DecisionContext,
    consent: Consent,
    now_ms: int,
) -> bool:
    """Consent first (an unconsented action's rule is not even evaluated), then channel and
    eligibility."""
    if not consented(action, consent):
        return False
    if context.channel is not None and context.channel not in action.channel:
        return False
    return action.eligibility is None or holds(action.eligibility, profile, context, now_ms)
