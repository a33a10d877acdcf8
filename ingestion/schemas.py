"""Versioned message schemas: events (v1) and source records (v1).

The JSON Schema of each is exported to `ingestion/schemas/*.json` (`customer-graph
ingest schemas` writes them; a test keeps them in sync).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, cast

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    with_config,
)
from typing_extensions import TypedDict


def _printable(value: str) -> str:
    # FalkorDB cuts a query at a NUL, and a lone surrogate cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("is not valid Unicode (lone surrogate)") from error
    return value


Clean = Annotated[str, AfterValidator(_printable)]
Text = Clean | None


class EventType(StrEnum):
    """Behavioural event types."""

    PAGE_VIEW = "page_view"
    PRODUCT_VIEW = "product_view"
    SEARCH = "search"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"
    IDENTIFY = "identify"
    CONSENT = "consent"


class ConsentPurpose(StrEnum):
    """What a consent event grants or withdraws."""

    ANALYTICS = "analytics"
    PERSONALISATION = "personalisation"
    MARKETING = "marketing"


# Events are validated as TypedDicts (plain dicts, every constraint checked in Rust): the
# hot path of ingestion. What JSON Schema cannot say (NUL characters, at least one
# identifier, type-specific properties) is checked after validation, by `nul_field` and
# `event_problem` (parsing.parse_event calls both).
IdText = Annotated[str | None, Field(default=None, max_length=256)]
OptText = Annotated[str | None, Field(default=None)]


@with_config(ConfigDict(extra="forbid"))
class EventIdentifiers(TypedDict):
    """Who the event is about; at least one identifier is required."""

    anonymous_id: Annotated[IdText, Field(description="Cookie id.")]
    user_id: Annotated[IdText, Field(description="Login id.")]
    email: Annotated[OptText, Field(max_length=320)]
    phone: Annotated[OptText, Field(max_length=64)]
    device_id: IdText


@with_config(ConfigDict(extra="allow"))
class EventProperties(TypedDict):
    """Type-specific details; unknown extra properties are kept."""

    item_id: Annotated[OptText, Field(min_length=1, max_length=128)]
    price: Annotated[float | None, Field(default=None, ge=0, allow_inf_nan=False)]
    quantity: Annotated[int | None, Field(default=None, ge=1, le=100_000)]
    currency: Annotated[OptText, Field(max_length=8)]
    query: Annotated[OptText, Field(max_length=1000)]
    session_id: IdText
    order_id: IdText
    purpose: Annotated[ConsentPurpose | None, Field(default=None)]
    granted: Annotated[bool | None, Field(default=None)]


def _no_properties() -> EventProperties:
    """The properties of an event that sent none: every key present, None (as a sent but
    empty object validates to), so that later steps can index them."""
    return EventProperties(
        item_id=None, price=None, quantity=None, currency=None, query=None, session_id=None,
        order_id=None, purpose=None, granted=None,
    )  # fmt: skip


@with_config(ConfigDict(extra="forbid"))
class EventV1(TypedDict):
    """A behavioural event (schema version 1)."""

    schema_version: Annotated[Literal[1], Field(default=1)]
    event_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]
    type: EventType
    occurred_at: AwareDatetime
    identifiers: EventIdentifiers
    properties: Annotated[EventProperties, Field(default_factory=_no_properties)]
    source: Annotated[OptText, Field(max_length=64)]


EVENT_V1: TypeAdapter[EventV1] = TypeAdapter(EventV1)
_EVENT_TEXT = {
    "identifiers": ("anonymous_id", "user_id", "email", "phone", "device_id"),
    "properties": ("item_id", "currency", "query", "session_id", "order_id"),
}


def event_problem(event: EventV1) -> tuple[str, str] | None:
    """(field, reason) of what a schema-valid event still gets wrong, or None."""
    for value in cast("Iterable[str | None]", event["identifiers"].values()):
        if value and not value.isspace():
            break
    else:
        return "identifiers", "at least one identifier is required"
    props, kind = event["properties"], event["type"]
    # Identity comparisons: hashing an enum member runs Python code, and this is per event.
    if (
        kind is EventType.PRODUCT_VIEW
        or kind is EventType.ADD_TO_CART
        or kind is EventType.PURCHASE
    ):
        if not props["item_id"]:
            return "properties.item_id", f"required for {kind} events"
    elif kind is EventType.SEARCH:
        if not props["query"]:
            return "properties.query", "required for search events"
    elif kind is EventType.CONSENT and (props["purpose"] is None or props["granted"] is None):
        field = "properties.purpose" if props["purpose"] is None else "properties.granted"
        return field, "required for consent events"
    return None


def nul_field(event: EventV1) -> str | None:
    """The first text field holding a NUL character (FalkorDB would cut a query there)."""
    if event["source"] and "\x00" in event["source"]:
        return "source"
    for section, names in _EVENT_TEXT.items():
        values: Mapping[str, Any] = event[section]  # type: ignore[literal-required]
        for name in names:
            value = values[name]
            if value and "\x00" in value:
                return f"{section}.{name}"
    return None


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class RecordConsent(BaseModel):
    """A consent decision a source record carries (e.g. a CRM's marketing opt-out)."""

    model_config = ConfigDict(extra="forbid")

    purpose: ConsentPurpose
    granted: bool
    at: AwareDatetime | None = Field(
        default=None, description="When it was decided; default: the record's updated_at."
    )


def _consent_cells(value: Any) -> Any:
    """CSV cells: `purpose=true|false[@ISO time]` items joined by `;`, or a JSON list."""
    if value is None:
        return []
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    found = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        purpose, sep, rest = item.partition("=")
        granted, _, at = rest.partition("@")
        if not sep:
            raise ValueError(f"consent {item!r} is not purpose=true|false[@time]")
        found.append({"purpose": purpose.strip(), "granted": granted.strip(), "at": at or None})
    return found


class RecordV1(BaseModel):
    """A source record: a CRM row, a web account or an app profile (schema version 1)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    source: str = Field(pattern=r"^[a-z0-9_\-]{1,64}$")
    source_id: Clean = Field(min_length=1, max_length=256)
    first_name: Text = Field(default=None, max_length=200)
    last_name: Text = Field(default=None, max_length=200)
    email: Text = Field(default=None, max_length=320)
    phone: Text = Field(default=None, max_length=64)
    date_of_birth: date | None = None
    address: Text = Field(default=None, max_length=500)
    postcode: Text = Field(default=None, max_length=16)
    city: Text = Field(default=None, max_length=200)
    country: Text = Field(default=None, max_length=64)
    login_id: Text = Field(default=None, max_length=256)
    crm_id: Text = Field(
        default=None, max_length=256, description="CRM customer number this record refers to."
    )
    national_id: Text = Field(
        default=None,
        max_length=64,
        description="National id (SSN, NI number): stored only as a keyed hash.",
    )
    device_ids: list[Clean] = Field(default_factory=list, max_length=100)
    cookie_ids: list[Clean] = Field(default_factory=list, max_length=1000)
    consents: list[RecordConsent] = Field(
        default_factory=list,
        max_length=20,
        description=(
            "Consent decisions held by the source (in CSV: `marketing=false;analytics=true"
            "@2026-01-02T00:00:00Z`); recorded for the record's identifiers."
        ),
    )
    updated_at: AwareDatetime

    @field_validator("*", mode="before")
    @classmethod
    def _blanks(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("device_ids", "cookie_ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):  # CSV cells hold `;`-joined lists
            return [v.strip() for v in value.split(";") if v.strip()]
        return value

    @field_validator("consents", mode="before")
    @classmethod
    def _consents(cls, value: Any) -> Any:
        return _consent_cells(value)

    @field_validator("schema_version", mode="before")
    @classmethod
    def _csv_version(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.isdigit() else value
