"""The segment rule language: JSON definitions validated by pydantic.

A definition names a segment and holds one condition; a condition is exactly one of

- `{"event": "purchase", "category": "home", "within": "30d", "min_count": 3}` — the
  customer's interaction aggregates of that type (optionally of items of that category,
  optionally whose `last_at` lies in the last `within`: `45s`, `5m`, `12h`, `30d`, `2w`)
  add up to at least `min_count` events and/or `min_weight` weight (neither: one event);
- `{"profile": "country", "equals": "GB"}` — a golden attribute (`country`, `city`),
  compared case-insensitively;
- `{"rfm": ["champions", "loyal"]}` — the customer's named RFM segment is one of these;
- `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` — combinators.

Unknown keys, types, names and malformed windows fail with the field's path and reason.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from segments.rfm import RFM_SEGMENTS

EVENT_TYPES = ("product_view", "add_to_cart", "purchase")
PROFILE_FIELDS = ("country", "city")
UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
WINDOW = re.compile(r"^([1-9][0-9]{0,5})([smhdw])$")
SEGMENT_ID = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
KINDS = ("all", "any", "not", "event", "profile", "rfm")


def window_ms(window: str) -> int:
    """Milliseconds of a window such as `5m` or `30d` (ValueError when malformed)."""
    found = WINDOW.match(window)
    if found is None:
        raise ValueError(f"window {window!r} is not <number><unit>, unit one of s, m, h, d, w")
    return int(found.group(1)) * UNIT_MS[found.group(2)]


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventCondition(_Condition):
    """Interaction aggregates of one type (and category, and window) reach a threshold."""

    kind: ClassVar[str] = "event"

    event: Literal["product_view", "add_to_cart", "purchase"]
    category: str | None = Field(default=None, min_length=1)
    within: str | None = None
    min_count: int | None = Field(default=None, ge=1)
    min_weight: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @field_validator("within")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            window_ms(value)
        return value

    @property
    def window(self) -> int | None:
        """The window in milliseconds (None: all time)."""
        return None if self.within is None else window_ms(self.within)


class ProfileCondition(_Condition):
    """A golden attribute equals a value (case-insensitive)."""

    kind: ClassVar[str] = "profile"

    profile: Literal["country", "city"]
    equals: str = Field(min_length=1)


class RfmCondition(_Condition):
    """The customer's named RFM segment is one of these."""

    kind: ClassVar[str] = "rfm"

    rfm: list[str] = Field(min_length=1)

    @field_validator("rfm")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in RFM_SEGMENTS]
        if unknown:
            raise ValueError(
                f"unknown RFM segment {unknown[0]!r}; known: {', '.join(RFM_SEGMENTS)}"
            )
        return value


class AllCondition(_Condition):
    """Every condition holds."""

    kind: ClassVar[str] = "all"

    all: list[Condition] = Field(min_length=1)


class AnyCondition(_Condition):
    """At least one condition holds."""

    kind: ClassVar[str] = "any"

    any: list[Condition] = Field(min_length=1)


class NotCondition(_Condition):
    """The condition does not hold."""

    kind: ClassVar[str] = "not"

    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _kind(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [kind for kind in KINDS if kind in value]
        return present[0] if len(present) == 1 else None
    kind = getattr(value, "kind", None)
    return kind if isinstance(kind, str) else None


Condition = Annotated[
    Annotated[AllCondition, Tag("all")]
    | Annotated[AnyCondition, Tag("any")]
    | Annotated[NotCondition, Tag("not")]
    | Annotated[EventCondition, Tag("event")]
    | Annotated[ProfileCondition, Tag("profile")]
    | Annotated[RfmCondition, Tag("rfm")],
    Discriminator(
        _kind,
        custom_error_type="condition",
        custom_error_message="a condition is an object with exactly one of: " + ", ".join(KINDS),
    ),
]
AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()


class SegmentDefinition(BaseModel):
    """A rule segment: id (lower-case slug), name, description and its condition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SEGMENT_ID)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    rule: Condition

    @model_validator(mode="after")
    def _depth(self) -> SegmentDefinition:
        if _depth(self.rule) > 8:
            raise ValueError("rule: conditions nest deeper than 8 levels")
        return self

    def to_json(self) -> str:
        """The definition as stored on the Segment node (compact JSON, aliases used)."""
        return self.model_dump_json(by_alias=True, exclude_none=True)


def _depth(condition: Any) -> int:
    if isinstance(condition, AllCondition | AnyCondition):
        parts = condition.all if isinstance(condition, AllCondition) else condition.any
        return 1 + max(_depth(part) for part in parts)
    if isinstance(condition, NotCondition):
        return 1 + _depth(condition.not_)
    return 1


def parse_definition(source: str | bytes | dict[str, Any]) -> SegmentDefinition:
    """A definition from JSON text or a dict; ValueError naming each bad field and why."""
    try:
        data = json.loads(source) if isinstance(source, str | bytes) else source
        return SegmentDefinition.model_validate(data)
    except json.JSONDecodeError as exc:
        raise ValueError(f"definition is not JSON: {exc}") from None
    except ValidationError as exc:
        raise ValueError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """One line per error: `rule.all.0.event.within: window '5x' is not …` (a condition's
    kind appears once in the path, not as union tag and field both)."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        path = [part for i, part in enumerate(loc) if i == 0 or part != loc[i - 1]]
        where = ".".join(path) or "definition"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "; ".join(lines)
