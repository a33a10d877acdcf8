"""Typed domain objects of the customer graph, and their rows for UNWIND writes.

Times are integers, milliseconds since the Unix epoch (UTC): FalkorDB has no datetime type,
so both backends store the same thing. Structured values (evidence, definitions, audit
before/after) are JSON strings, since neither backend stores nested maps as properties.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Scalar = str | int | float | bool | None


def to_millis(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def from_millis(millis: int) -> datetime:
    """The UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


class IdentifierType(StrEnum):
    """Kinds of identifier; emails and phones are stored as keyed hashes."""

    EMAIL = "email"
    PHONE = "phone"
    LOGIN = "login"
    CRM_ID = "crm_id"
    NATIONAL_ID = "national_id"
    DEVICE = "device"
    COOKIE = "cookie"


STRONG_IDENTIFIERS = frozenset(
    {
        IdentifierType.LOGIN,
        IdentifierType.CRM_ID,
        IdentifierType.NATIONAL_ID,
        IdentifierType.EMAIL,
        IdentifierType.PHONE,
    }
)


class InteractionType(StrEnum):
    """Item interactions kept as aggregates on INTERACTED relationships."""

    VIEW = "product_view"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"


DEFAULT_WEIGHTS: dict[InteractionType, float] = {
    InteractionType.VIEW: 1.0,
    InteractionType.ADD_TO_CART: 3.0,
    InteractionType.PURCHASE: 5.0,
}


class GraphObject(BaseModel):
    """Base: immutable, strict about unknown fields, finite numbers only."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=True)

    def row(self) -> dict[str, Any]:
        """The parameter row for this object's upsert query."""
        return self.model_dump()


class Record(GraphObject):
    """One source record (CRM row, web account, app profile)."""

    source: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    source_id: str = Field(min_length=1, max_length=256)
    attrs: dict[str, Scalar] = Field(default_factory=dict)
    updated_at: int = Field(ge=0)
    ingested_at: int = Field(ge=0)

    @property
    def key(self) -> str:
        """Unique key across sources."""
        return f"{self.source}:{self.source_id}"

    @field_validator("attrs")
    @classmethod
    def _flat_names(cls, attrs: dict[str, Scalar]) -> dict[str, Scalar]:
        reserved = {"key", "source", "source_id", "updated_at", "ingested_at"}
        for name, value in attrs.items():
            if name in reserved or not name.isidentifier():
                raise ValueError(f"attribute name {name!r} is reserved or not an identifier")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"attribute {name!r} is not a finite number")
        return attrs

    def row(self) -> dict[str, Any]:
        """Row for records/upsert_records."""
        return {
            "key": self.key,
            "source": self.source,
            "source_id": self.source_id,
            "updated_at": self.updated_at,
            "ingested_at": self.ingested_at,
            "attrs": dict(self.attrs),
        }


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier value (already normalised and, for email/phone, hashed).

    A slotted dataclass, not a pydantic model: ingestion builds and hashes hundreds of
    thousands of these per second.
    """

    type: IdentifierType
    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.type, IdentifierType):
            object.__setattr__(self, "type", IdentifierType(self.type))
        if not isinstance(self.value, str) or not 1 <= len(self.value) <= 512:
            raise ValueError("identifier value: must be a string of 1 to 512 characters")

    @property
    def key(self) -> str:
        """Unique key: `<type>:<value>`."""
        return f"{self.type}:{self.value}"

    def row(self) -> dict[str, Any]:
        """Row fields shared by every query that merges an identifier."""
        return {"key": self.key, "type": str(self.type), "value": self.value}


class Customer(GraphObject):
    """A resolved person with a stable id and golden attributes."""

    id: str = Field(min_length=1, max_length=128)
    created_at: int = Field(ge=0)
    updated_at: int = Field(ge=0)
    attrs: dict[str, Scalar] = Field(default_factory=dict)


class Item(GraphObject):
    """A catalogue item."""

    id: str = Field(min_length=1, max_length=128)
    title: str
    category: str
    brand: str = ""
    price: float = Field(ge=0, allow_inf_nan=False)
    currency: str = "GBP"
    description: str = ""
    in_stock: bool = True


class Interaction(GraphObject):
    """Aggregated interactions of one identifier with one item, of one type."""

    identifier: Identifier
    item_id: str
    type: InteractionType
    count: int = Field(ge=1)
    first_at: int = Field(ge=0)
    last_at: int = Field(ge=0)
    weight: float = Field(ge=0, allow_inf_nan=False)

    def row(self) -> dict[str, Any]:
        """Row for interactions/*_interactions."""
        ident = self.identifier.row()
        return {
            "id_key": ident["key"],
            "id_type": ident["type"],
            "id_value": ident["value"],
            "item_id": self.item_id,
            "type": str(self.type),
            "count": self.count,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "weight": self.weight,
        }


class Segment(GraphObject):
    """A segment: a rule, an RFM band, a cluster or a lookalike audience."""

    id: str
    kind: str
    name: str
    definition: str = "{}"

    @field_validator("definition")
    @classmethod
    def _json(cls, value: str) -> str:
        json.loads(value)
        return value


class CandidateMatch(GraphObject):
    """A probabilistic match between two records, waiting for (or after) a decision."""

    left_key: str
    right_key: str
    probability: float = Field(ge=0, le=1)
    match_weight: float = Field(allow_inf_nan=False)
    evidence: str = "{}"
    status: str = Field(default="pending", pattern=r"^(pending|approved|rejected|retracted)$")
    created_at: int = Field(ge=0)
    decided_by: str | None = None
    decided_at: int | None = None


class AuditEntry(GraphObject):
    """An append-only audit entry: who did what, when, why, with before/after."""

    id: str
    at: int = Field(ge=0)
    actor: str = Field(min_length=1)
    action: str = Field(min_length=1)
    reason: str = ""
    subject_type: str
    subject_id: str
    before: str = "null"
    after: str = "null"
