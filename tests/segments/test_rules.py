"""The rule language: parsing, error messages naming the field, evaluation on hand-made facts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from segments.evaluate import evaluate, event_totals, uses_rfm
from segments.facts import CustomerFacts, InteractionFact
from segments.rules import EventCondition, parse_definition, window_ms

MIN = 60_000
DAY = 86_400_000
NOW = 1_000 * DAY


def fact(type_: str, category: str | None, count: int, last_ago: int, **kw: Any) -> InteractionFact:
    """An aggregate whose last event was `last_ago` ms before NOW."""
    weight = {"product_view": 1.0, "add_to_cart": 3.0, "purchase": 5.0}[type_] * count
    item = kw.pop("item", f"{category}-1")
    return InteractionFact(
        item, type_, count, NOW - last_ago - DAY, NOW - last_ago, weight, category, **kw
    )


ANN = CustomerFacts(
    "ann",
    profile={"country": "GB", "city": "Leeds"},
    interactions=(
        fact("product_view", "Garden", 1, 2 * MIN),
        fact("product_view", "kitchen", 4, 3 * DAY),
        fact("purchase", "kitchen", 2, 10 * DAY),
        fact("purchase", "garden", 1, 40 * DAY),
    ),
    rfm="loyal",
)


def rule(condition: dict[str, Any]) -> Any:
    """The parsed condition of a one-condition definition."""
    return parse_definition({"id": "t", "name": "T", "rule": condition}).rule


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"event": "product_view", "category": "garden", "within": "5m"}, True),
        ({"event": "product_view", "category": "kitchen", "within": "5m"}, False),
        ({"event": "product_view", "within": "1h", "min_count": 2}, False),
        ({"event": "product_view", "within": "7d", "min_count": 5}, True),
        ({"event": "purchase", "within": "30d", "min_count": 3}, False),
        ({"event": "purchase", "within": "30d", "min_count": 2}, True),
        ({"event": "purchase", "min_count": 3}, True),  # no window: all time
        ({"event": "purchase", "min_weight": 15}, True),
        ({"event": "purchase", "min_count": 3, "min_weight": 16}, False),  # both must hold
        ({"event": "add_to_cart"}, False),
        ({"profile": "country", "equals": "gb"}, True),  # case-insensitive
        ({"profile": "city", "equals": "York"}, False),
        ({"rfm": ["champions", "loyal"]}, True),
        ({"rfm": ["champions"]}, False),
        ({"not": {"rfm": ["champions"]}}, True),
        ({"all": [{"profile": "country", "equals": "GB"}, {"event": "add_to_cart"}]}, False),
        ({"any": [{"profile": "city", "equals": "York"}, {"event": "purchase"}]}, True),
    ],
)
def test_evaluation_on_hand_made_facts(condition: dict[str, Any], expected: bool) -> None:
    assert evaluate(rule(condition), ANN, NOW) is expected


def test_window_counts_whole_aggregates_whose_last_event_is_inside() -> None:
    # 3 purchases of one item, the first 200 days ago, the last yesterday: the aggregate
    # keeps no per-event times, so all 3 count in "the last 30 days" (documented over-count).
    old = InteractionFact("x", "purchase", 3, NOW - 200 * DAY, NOW - DAY, 15.0, "home")
    facts = CustomerFacts("bob", interactions=(old,))
    condition = EventCondition(event="purchase", within="30d")
    assert event_totals(condition, facts, NOW) == (3, 15.0)
    assert event_totals(EventCondition(event="purchase", within="12h"), facts, NOW) == (0, 0.0)


def test_missing_profile_and_rfm_never_match() -> None:
    nobody = CustomerFacts("x")
    assert not evaluate(rule({"profile": "country", "equals": "GB"}), nobody, NOW)
    assert not evaluate(rule({"rfm": ["hibernating"]}), nobody, NOW)
    assert evaluate(rule({"not": {"rfm": ["hibernating"]}}), nobody, NOW)


def test_windows() -> None:
    assert [window_ms(w) for w in ("45s", "5m", "2h", "30d", "1w")] == [
        45_000,
        5 * MIN,
        2 * 3_600_000,
        30 * DAY,
        7 * DAY,
    ]


def test_definition_round_trips_through_its_stored_json() -> None:
    source = {
        "id": "gb-buyers",
        "name": "GB buyers",
        "rule": {"all": [{"not": {"rfm": ["new"]}}, {"event": "purchase", "within": "30d"}]},
    }
    parsed = parse_definition(source)
    assert parse_definition(parsed.to_json()) == parsed
    assert uses_rfm(parsed.rule)
    assert not uses_rfm(rule({"event": "purchase"}))


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ('{"id": "x", "name": "X", "rule": {"event": "purchase", "within": "5x"}}',
         "rule.event.within: window '5x' is not <number><unit>"),
        ('{"id": "x", "name": "X", "rule": {"all": [{"event": "click"}]}}',
         "rule.all.0.event: Input should be 'product_view', 'add_to_cart' or 'purchase'"),
        ('{"id": "x", "name": "X", "rule": {"event": "purchase", "min_count": 0}}',
         "rule.event.min_count: Input should be greater than or equal to 1"),
        ('{"id": "x", "name": "X", "rule": {"rfm": ["kings"]}}',
         "rule.rfm: unknown RFM segment 'kings'"),
        ('{"id": "x", "name": "X", "rule": {"not": {"profile": "email", "equals": "a"}}}',
         "rule.not.profile: Input should be 'country' or 'city'"),
        ('{"id": "x", "name": "X", "rule": {"event": "purchase", "rfm": ["new"]}}',
         "rule: a condition is an object with exactly one of"),
        ('{"id": "x", "name": "X", "rule": {"event": "purchase", "bogus": 1}}',
         "rule.event.bogus: Extra inputs are not permitted"),
        ('{"id": "x", "name": "X", "rule": {"any": []}}',
         "rule.any: List should have at least 1 item"),
        ('{"id": "Has Space", "name": "X", "rule": {"event": "purchase"}}',
         "id: String should match"),
        ('{"id": "x", "rule": {"event": "purchase"}}', "name: Field required"),
        ("[1", "definition is not JSON"),
    ],
)  # fmt: skip
def test_bad_definitions_name_the_field_and_reason(definition: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_definition(definition)


def test_nesting_is_limited() -> None:
    condition: dict[str, Any] = {"event": "purchase"}
    for _ in range(8):
        condition = {"not": condition}
    with pytest.raises(ValueError, match="deeper than 8"):
        parse_definition({"id": "x", "name": "X", "rule": condition})
