"""The action catalogue: the packaged file, formats, and every refusal naming action and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nba.catalogue import DEFAULT_REWARDS, CatalogueError, load_catalogue, parse_catalogue
from nba.rules import uses_profile

GOOD = {"id": "guide", "kind": "content", "channel": "web", "title": "A guide"}


def _refused(*actions: dict[str, Any], **top: Any) -> str:
    with pytest.raises(CatalogueError) as error:
        parse_catalogue({"actions": list(actions), **top}, "test.toml")
    return str(error.value)


def test_the_packaged_catalogue_is_valid_and_covers_the_demo_cases() -> None:
    catalogue = load_catalogue()
    assert catalogue.ids == [
        "welcome-10", "garden-weekend-promo", "loyalty-double-points", "winback-email",
        "cart-free-delivery", "guide-gifts", "app-download",
    ]  # fmt: skip
    assert dict(catalogue.rewards) == {"purchase": 1.0, "add_to_cart": 0.3}
    assert len(catalogue.digest) == 16
    for action in catalogue.actions:
        if action.kind in ("offer", "message"):
            assert "marketing" in action.consent, action.id
        if action.eligibility is not None and uses_profile(action.eligibility):
            assert "personalisation" in action.consent, action.id
    guide = catalogue.get("guide-gifts")
    assert guide is not None
    assert guide.eligibility is None
    assert guide.consent == ()


def test_json_files_work_too_and_rewards_default(tmp_path: Path) -> None:
    path = tmp_path / "actions.json"
    path.write_text(json.dumps({"actions": [GOOD | {"channel": ["web", "app"]}]}))
    catalogue = load_catalogue(path)
    assert catalogue.actions[0].channel == ("web", "app")
    assert dict(catalogue.rewards) == dict(DEFAULT_REWARDS)
    assert catalogue.source == str(path)


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            GOOD | {"kind": "offer"},
            "action 'guide' (actions[0]): consent: an offer needs 'marketing'",
        ),
        (
            GOOD | {"eligibility": {"rfm": ["champions"]}},
            "action 'guide' (actions[0]): consent: the eligibility reads customer data",
        ),
        (
            GOOD | {"consent": ["personalisation"], "eligibility": {"rfm": ["champs"]}},
            "action 'guide' (actions[0]): eligibility.rfm: unknown RFM segment 'champs'",
        ),
        (
            GOOD | {"eligibility": {"context": {"page": ["basket"]}}},
            "action 'guide' (actions[0]): eligibility.context: page: unknown 'basket'",
        ),
        (GOOD | {"channel": "sms"}, "channel: unknown channel 'sms'"),
        (GOOD | {"kind": "banner"}, "action 'guide' (actions[0]): kind: Input should be"),
        (GOOD | {"id": "Not A Slug"}, "action 'Not A Slug' (actions[0]): id: String should match"),
        (GOOD | {"colour": "red"}, "colour: Extra inputs are not permitted"),
        (GOOD | {"eligibility": {"event": "buy"}}, "eligibility.event: Input should be"),
        (GOOD | {"eligibility": {"purchases": {}}}, "give min, max or both"),
        (GOOD | {"eligibility": {"purchases": {"min": 3, "max": 1}}}, "min 3 is above max 1"),
        (GOOD | {"eligibility": {"weather": "sunny"}}, "a rule is an object with exactly one of"),
        ({k: v for k, v in GOOD.items() if k != "title"}, "title: Field required"),
    ],
)
def test_a_bad_action_is_refused_naming_the_action_and_the_field(
    action: dict[str, Any], expected: str
) -> None:
    message = _refused(action)
    assert message.startswith("test.toml: ")
    assert expected in message, message


def test_every_problem_is_reported_at_once() -> None:
    message = _refused(
        GOOD,
        GOOD,
        GOOD | {"id": "promo", "kind": "offer"},
        rewards={"purchase": 2, "refund": 1.0},
        colour="red",
    )
    assert "colour: unknown field" in message
    assert "rewards.purchase: a number in (0, 1], not 2" in message
    assert "rewards.refund: unknown event type" in message
    assert "action 'guide' (actions[1]): id: 'guide' is used by an earlier action" in message
    assert "action 'promo' (actions[2]): consent: an offer needs 'marketing'" in message


def test_an_empty_or_unreadable_catalogue_is_refused(tmp_path: Path) -> None:
    assert "actions: at least one" in _refused()
    broken = tmp_path / "broken.toml"
    broken.write_text("[[actions]\nid = 1")
    with pytest.raises(CatalogueError, match=r"broken.toml: not valid toml"):
        load_catalogue(broken)
    with pytest.raises(CatalogueError, match=r"missing.toml: cannot read"):
        load_catalogue(tmp_path / "missing.toml")


def test_rules_nest_at_most_eight_levels() -> None:
    rule: dict[str, Any] = {"known": True}
    for _ in range(8):
        rule = {"not": rule}
    assert "nest deeper than 8" in _refused(GOOD | {"eligibility": rule})
