"""Versioned message schemas: events (v1) and source records (v1).

The JSON Schema of each is exported to `ingestion/schemas/*.json` (`customer-graph
ingest schemas` writes them; a test keeps them in sync).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)


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


ITEM_EVENTS = frozenset({EventType.PRODUCT_VIEW, EventType.ADD_TO_CART, EventType.PURCHASE})


class EventIdentifiers(BaseModel):
    """Who the event is about; at least one identifier is required."""

    model_config = ConfigDict(extra="forbid")

    anonymous_id: Text = Field(default=None, max_length=256, description="Cookie id.")
    user_id: Text = Field(default=None, max_length=256, description="Login id.")
    email: Text = Field(default=None, max_length=320)
    phone: Text = Field(default=None, max_length=64)
    device_id: Text = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _at_least_one(self) -> EventIdentifiers:
        values = (self.anonymous_id, self.user_id, self.email, self.phone, self.device_id)
        if not any(v and v.strip() for v in values):
            raise ValueError("at least one identifier is required")
        return self


class EventProperties(BaseModel):
    """Type-specific details; unknown extra properties are kept."""

    model_config = ConfigDict(extra="allow")

    item_id: Text = Field(default=None, min_length=1, max_length=128)
    price: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    quantity: int | None = Field(default=None, ge=1, le=100_000)
    currency: Text = Field(default=None, max_length=8)
    query: Text = Field(default=None, max_length=1000)
    session_id: Text = Field(default=None, max_length=256)
    order_id: Text = Field(default=None, max_length=256)
    purpose: ConsentPurpose | None = None
    granted: bool | None = None


class EventV1(BaseModel):
    """A behavioural event (schema version 1)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    event_id: Clean = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")
    type: EventType
    occurred_at: AwareDatetime
    identifiers: EventIdentifiers
    properties: EventProperties = Field(default_factory=EventProperties)
    source: Text = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _type_specific(self) -> EventV1:
        props = self.properties
        if self.type in ITEM_EVENTS and not props.item_id:
            raise ValueError(f"properties.item_id: required for {self.type} events")
        if self.type is EventType.SEARCH and not props.query:
            raise ValueError("properties.query: required for search events")
        if self.type is EventType.CONSENT and (props.purpose is None or props.granted is None):
            field = "properties.purpose" if props.purpose is None else "properties.granted"
            raise ValueError(f"{field}: required for consent events")
        return self


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


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
    device_ids: list[Clean] = Field(default_factory=list, max_length=100)
    cookie_ids: list[Clean] = Field(default_factory=list, max_length=1000)
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

    @field_validator("schema_version", mode="before")
    @classmethod
    def _csv_version(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.isdigit() else value
