"""The action catalogue: offers, content and messages with their consent and eligibility.

A TOML (or JSON) file holds `[[actions]]` and optionally `[rewards]`:

```toml
[rewards]              # conversion event type -> reward (default: purchase 1.0, add_to_cart 0.3)
purchase = 1.0

[[actions]]
id = "loyalty-double-points"           # lower-case slug, unique
kind = "offer"                         # offer | content | message
channel = ["web", "app"]               # where it can be shown: web, app, email (one or a list)
title = "Double points this week"
description = "…"                      # optional, as are url and category
consent = ["marketing", "personalisation"]
eligibility = { rfm = ["champions", "loyal"] }   # a rule of `nba.rules`; none: everyone
```

Offers and messages need `marketing`; an action whose eligibility reads the customer's data
needs `personalisation`. Every problem is reported with the action and the field.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nba.consent import MARKETING, PERSONALISATION, Purpose
from nba.rules import CHANNELS, Rule, depth, uses_profile
from segments.rules import EVENT_TYPES

DEFAULT_CATALOGUE = Path(__file__).with_name("actions.toml")
DEFAULT_REWARDS: Mapping[str, float] = {"purchase": 1.0, "add_to_cart": 0.3}
ACTION_ID = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
MAX_DEPTH = 8
TOP_LEVEL = ("version", "rewards", "actions")
Kind = Literal["offer", "content", "message"]


class CatalogueError(ValueError):
    """A catalogue that cannot be used; the message names each action and field."""


class Action(BaseModel):
    """One thing the service may propose."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ACTION_ID)
    kind: Kind
    channel: tuple[str, ...] = Field(min_length=1)
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    url: str | None = None
    category: str | None = None
    consent: tuple[Purpose, ...] = ()
    eligibility: Rule | None = None

    @field_validator("channel", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("channel")
    @classmethod
    def _known_channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel {unknown[0]!r}; known: {', '.join(CHANNELS)}")
        return value

    @model_validator(mode="after")
    def _guardrails(self) -> Action:
        if self.kind in ("offer", "message") and MARKETING not in self.consent:
            raise ValueError(
                f"consent: an {self.kind} needs 'marketing'"
                if self.kind == "offer"
                else "consent: a message needs 'marketing'"
            )
        if self.eligibility is not None:
            if uses_profile(self.eligibility) and PERSONALISATION not in self.consent:
                raise ValueError(
                    "consent: the eligibility reads customer data (event, profile, rfm, "
                    "segment or purchases), so 'personalisation' is required"
                )
            if depth(self.eligibility) > MAX_DEPTH:
                raise ValueError(f"eligibility: rules nest deeper than {MAX_DEPTH} levels")
        return self


@dataclass(frozen=True)
class Catalogue:
    """Validated actions, in file order, and the reward of each conversion event type."""

    actions: tuple[Action, ...]
    rewards: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_REWARDS))
    source: str = "<memory>"
    digest: str = ""

    @property
    def ids(self) -> list[str]:
        """Action ids in catalogue order."""
        return [a.id for a in self.actions]

    def get(self, action_id: str) -> Action | None:
        """An action by id."""
        return next((a for a in self.actions if a.id == action_id), None)


def describe(error: ValidationError) -> str:
    """One clause per problem, `field.path: reason` (a rule's kind appears once in the path;
    checks across fields name their field in the reason)."""
    lines = []
    for problem in error.errors(include_url=False):
        loc = [str(part) for part in problem["loc"]]
        path = ".".join(part for i, part in enumerate(loc) if i == 0 or part != loc[i - 1])
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{path}: {message}" if path else message)
    return "; ".join(lines)


def _rewards(raw: Any, problems: list[str]) -> dict[str, float]:
    if raw is None:
        return dict(DEFAULT_REWARDS)
    if not isinstance(raw, dict) or not raw:
        problems.append("rewards: a table of event type -> reward")
        return {}
    found: dict[str, float] = {}
    for event, value in raw.items():
        if event not in EVENT_TYPES:
            problems.append(f"rewards.{event}: unknown event type; known: {', '.join(EVENT_TYPES)}")
        elif not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
            problems.append(f"rewards.{event}: a number in (0, 1], not {value!r}")
        else:
            found[event] = float(value)
    return found


def parse_catalogue(data: Any, source: str = "<memory>", digest: str = "") -> Catalogue:
    """A catalogue from parsed TOML/JSON; `CatalogueError` listing every problem."""
    if not isinstance(data, dict):
        raise CatalogueError(f"{source}: a table with [[actions]]")
    known = ", ".join(TOP_LEVEL)
    problems = [f"{key}: unknown field; known: {known}" for key in data if key not in TOP_LEVEL]
    rewards = _rewards(data.get("rewards"), problems)
    raw_actions = data.get("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        problems.append("actions: at least one [[actions]] entry")
        raw_actions = []
    actions: list[Action] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_actions):
        name = raw.get("id") if isinstance(raw, dict) else None
        where = f"action {name!r} (actions[{index}])" if name else f"actions[{index}]"
        try:
            action = Action.model_validate(raw)
        except ValidationError as error:
            problems.append(f"{where}: {describe(error)}")
            continue
        if action.id in seen:
            problems.append(f"{where}: id: {action.id!r} is used by an earlier action")
        seen.add(action.id)
        actions.append(action)
    if problems:
        raise CatalogueError(f"{source}: " + "; ".join(problems))
    return Catalogue(tuple(actions), rewards, source, digest)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue in `path` (`.toml` or `.json`; default: the packaged `nba/actions.toml`)."""
    path = path or DEFAULT_CATALOGUE
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CatalogueError(f"{path}: cannot read: {error.strerror or error}") from None
    digest = hashlib.sha256(raw).hexdigest()[:16]
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise CatalogueError(f"{path}: not valid {path.suffix.lstrip('.')}: {error}") from None
    return parse_catalogue(data, str(path), digest)
