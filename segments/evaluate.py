"""Evaluating a rule on one customer's facts: a pure function of the facts and `now`."""

from __future__ import annotations

from segments.facts import CustomerFacts
from segments.rules import (
    AllCondition,
    AnyCondition,
    Condition,
    EventCondition,
    NotCondition,
    ProfileCondition,
    RfmCondition,
)


def _fold(value: object) -> str:
    return str(value).strip().casefold()


def event_totals(condition: EventCondition, facts: CustomerFacts, now_ms: int) -> tuple[int, float]:
    """(events, weight) of the aggregates the condition counts (see `segments.facts` on
    why a window counts whole aggregates whose `last_at` lies inside it)."""
    window = condition.window
    since = None if window is None else now_ms - window
    category = None if condition.category is None else _fold(condition.category)
    count, weight = 0, 0.0
    for x in facts.interactions:
        if x.type != condition.event:
            continue
        if category is not None and (x.category is None or _fold(x.category) != category):
            continue
        if since is not None and x.last_at < since:
            continue
        count += x.count
        weight += x.weight
    return count, weight


def evaluate(condition: Condition, facts: CustomerFacts, now_ms: int) -> bool:
    """Whether the customer meets the condition at `now_ms` (epoch milliseconds)."""
    if isinstance(condition, AllCondition):
        return all(evaluate(part, facts, now_ms) for part in condition.all)
    if isinstance(condition, AnyCondition):
        return any(evaluate(part, facts, now_ms) for part in condition.any)
    if isinstance(condition, NotCondition):
        return not evaluate(condition.not_, facts, now_ms)
    if isinstance(condition, ProfileCondition):
        value = facts.profile.get(condition.profile)
        return value is not None and _fold(value) == _fold(condition.equals)
    if isinstance(condition, RfmCondition):
        return facts.rfm is not None and facts.rfm in condition.rfm
    count, weight = event_totals(condition, facts, now_ms)
    if condition.min_count is None and condition.min_weight is None:
        return count >= 1
    return (condition.min_count is None or count >= condition.min_count) and (
        condition.min_weight is None or weight >= condition.min_weight
    )


def longest_window(condition: Condition) -> int:
    """The longest window (ms) of the condition's event conditions (0: none has one)."""
    if isinstance(condition, AllCondition | AnyCondition):
        parts = condition.all if isinstance(condition, AllCondition) else condition.any
        return max((longest_window(part) for part in parts), default=0)
    if isinstance(condition, NotCondition):
        return longest_window(condition.not_)
    if isinstance(condition, EventCondition):
        return condition.window or 0
    return 0


def categories_named(condition: Condition) -> set[str]:
    """The categories the condition's event conditions name, lower-cased."""
    if isinstance(condition, AllCondition | AnyCondition):
        parts = condition.all if isinstance(condition, AllCondition) else condition.any
        return set().union(*(categories_named(part) for part in parts))
    if isinstance(condition, NotCondition):
        return categories_named(condition.not_)
    if isinstance(condition, EventCondition) and condition.category is not None:
        return {condition.category.strip().lower()}
    return set()


def uses_rfm(condition: Condition) -> bool:
    """Whether a condition refers to RFM segments (evaluating it needs RFM scores)."""
    if isinstance(condition, AllCondition | AnyCondition):
        parts = condition.all if isinstance(condition, AllCondition) else condition.any
        return any(uses_rfm(part) for part in parts)
    if isinstance(condition, NotCondition):
        return uses_rfm(condition.not_)
    return isinstance(condition, RfmCondition)
