"""Eligibility rules of actions: the segment rule language plus request and audience terms.

A rule is exactly one of

- the segment language's leaves (`segments.rules`), evaluated the same way:
  `{"event": "product_view", "category": "garden", "within": "30d", "min_count": 2}`,
  `{"profile": "country", "equals": "GB"}`, `{"rfm": ["champions", "loyal"]}`;
- `{"segment": ["garden-lovers", "rfm:at_risk"]}` — a member of one of these segments
  (rule segment ids, or `rfm:<name>`), as stored in the graph;
- `{"purchases": {"min": 1, "max": 3}}` — purchase events over all time within bounds;
- `{"known": true}` — a resolved customer (`false`: an anonymous visitor);
- `{"context": {"page": ["cart"], "device": ["mobile"], "channel": ["web"],
  "category": ["garden"], "hours": [18, 23]}}` — the request's context (every given field
  must match; `hours` is an inclusive range of the hour of day, UTC, may wrap midnight);
- `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` — combinators.

Leaves other than `known` and `context` read the customer's data: an action using them must
require the `personalisation` purpose (checked by the catalogue).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from segments.rules import EventCondition, ProfileCondition, RfmCondition

KINDS = (
    "all", "any", "not", "event", "profile", "rfm", "segment", "purchases", "known", "context",
)  # fmt: skip
PROFILE_KINDS = frozenset({"event", "profile", "rfm", "segment", "purchases"})
CHANNELS = ("web", "app", "email")
DEVICES = ("desktop", "mobile", "tablet")
PAGES = ("home", "category", "product", "search", "cart", "checkout", "account", "other")
SEGMENT_REF = r"^[a-z0-9][a-z0-9_.:-]{0,69}$"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentRule(_Rule):
    """A member of one of these segments."""

    kind: ClassVar[str] = "segment"

    segment: list[Annotated[str, Field(pattern=SEGMENT_REF)]] = Field(min_length=1)


class Bounds(_Rule):
    """An inclusive range; at least one end."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def holds(self, value: int) -> bool:
        """Whether `value` lies in the range."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class PurchasesRule(_Rule):
    """Purchase events over all time within bounds."""

    kind: ClassVar[str] = "purchases"

    purchases: Bounds


class KnownRule(_Rule):
    """A resolved customer (true) or an anonymous visitor (false)."""

    kind: ClassVar[str] = "known"

    known: bool


class ContextMatch(_Rule):
    """Fields of the request's context; each given one must match."""

    channel: list[str] | None = Field(default=None, min_length=1)
    device: list[str] | None = Field(default=None, min_length=1)
    page: list[str] | None = Field(default=None, min_length=1)
    category: list[Annotated[str, Field(min_length=1)]] | None = Field(default=None, min_length=1)
    hours: tuple[int, int] | None = None

    @model_validator(mode="after")
    def _known_values(self) -> ContextMatch:
        for name, allowed in (("channel", CHANNELS), ("device", DEVICES), ("page", PAGES)):
            unknown = [v for v in getattr(self, name) or () if v not in allowed]
            if unknown:
                raise ValueError(f"{name}: unknown {unknown[0]!r}; known: {', '.join(allowed)}")
        if self.hours is not None and not all(0 <= h <= 23 for h in self.hours):
            raise ValueError("hours: each end is an hour of day, 0-23")
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError("give at least one of channel, device, page, category, hours")
        return self


class ContextRule(_Rule):
    """The request's context matches."""

    kind: ClassVar[str] = "context"

    context: ContextMatch


class AllRule(_Rule):
    """Every rule holds."""

    kind: ClassVar[str] = "all"

    all: list[Rule] = Field(min_length=1)


class AnyRule(_Rule):
    """At least one rule holds."""

    kind: ClassVar[str] = "any"

    any: list[Rule] = Field(min_length=1)


class NotRule(_Rule):
    """The rule does not hold."""

    kind: ClassVar[str] = "not"

    not_: Rule = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _kind(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [kind for kind in KINDS if kind in value]
        return present[0] if len(present) == 1 else None
    kind = getattr(value, "kind", None)
    return kind if isinstance(kind, str) else None


Rule = Annotated[
    Annotated[AllRule, Tag("all")]
    | Annotated[AnyRule, Tag("any")]
    | Annotated[NotRule, Tag("not")]
    | Annotated[EventCondition, Tag("event")]
    | Annotated[ProfileCondition, Tag("profile")]
    | Annotated[RfmCondition, Tag("rfm")]
    | Annotated[SegmentRule, Tag("segment")]
    | Annotated[PurchasesRule, Tag("purchases")]
    | Annotated[KnownRule, Tag("known")]
    | Annotated[ContextRule, Tag("context")],
    Discriminator(
        _kind,
        custom_error_type="rule",
        custom_error_message="a rule is an object with exactly one of: " + ", ".join(KINDS),
    ),
]
AllRule.model_rebuild()
AnyRule.model_rebuild()
NotRule.model_rebuild()


def parts(rule: Rule) -> list[Rule]:
    """The direct sub-rules of a combinator (none for a leaf)."""
    if isinstance(rule, AllRule):
        return list(rule.all)
    if isinstance(rule, AnyRule):
        return list(rule.any)
    if isinstance(rule, NotRule):
        return [rule.not_]
    return []


def kinds(rule: Rule) -> set[str]:
    """Every kind of rule used, combinators included."""
    found = {rule.kind}
    for part in parts(rule):
        found |= kinds(part)
    return found


def depth(rule: Rule) -> int:
    """Nesting depth (a leaf is 1)."""
    return 1 + max((depth(part) for part in parts(rule)), default=0)


def uses_profile(rule: Rule) -> bool:
    """Whether the rule reads the customer's data (segments, behaviour, golden record)."""
    return bool(kinds(rule) & PROFILE_KINDS)
