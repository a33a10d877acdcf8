"""Records as identity resolution sees them: stored attributes, identifiers, current customer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from identity.match_keys import free_text, name_token

ATTRIBUTES = (
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "postcode",
    "city",
    "country",
    "email_local",
    "national_id",  # the normalised text (sealed at rest); identifiers hold its keyed hash
)
# Columns of the Splink model's input table (besides `unique_id`).
MODEL_COLUMNS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "postcode",
    "city",
    "email_hash",
    "email_local",
    "phone_hash",
    "national_id",
    "national_id_text",
)
# Attributes a steward's side-by-side view leaves out: a keyed hash nobody can read, and the
# national id (the evidence shows its level: equal, one or two typing errors apart, different).
NOT_SHOWN_TO_STEWARDS = frozenset({"email_local", "national_id"})
_IDENTIFIER_COLUMNS = {"email": "email_hash", "phone": "phone_hash", "national_id": "national_id"}


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """One source record with what matching needs (identifier keys are `type:value`)."""

    key: str
    source: str
    updated_at: int
    attrs: Mapping[str, Any]
    identifiers: tuple[str, ...]
    customer_id: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> MatchRecord:
        """Build from a row of identity/records_page or identity/records_by_keys."""
        return cls(
            key=row["key"],
            source=row["source"],
            updated_at=int(row["updated_at"] or 0),
            attrs={name: row.get(name) for name in ATTRIBUTES},
            identifiers=tuple(sorted(k for k in row.get("identifiers") or () if k)),
            customer_id=row.get("customer_id"),
        )

    def identifier_values(self, identifier_type: str) -> list[str]:
        """Values of one identifier type held by this record."""
        prefix = f"{identifier_type}:"
        return [k[len(prefix) :] for k in self.identifiers if k.startswith(prefix)]

    def model_row(self, junk_dates: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The record as a row of the Splink model's input table."""
        dob = self.attrs.get("date_of_birth")
        row: dict[str, Any] = {
            "unique_id": self.key,
            "first_name": name_token(self.attrs.get("first_name")),
            "last_name": name_token(self.attrs.get("last_name")),
            "date_of_birth": dob if isinstance(dob, str) and dob not in junk_dates else None,
            "address": free_text(self.attrs.get("address")),
            "postcode": self.attrs.get("postcode") or None,
            "city": free_text(self.attrs.get("city")),
            "email_local": self.attrs.get("email_local") or None,
            "national_id_text": self.attrs.get("national_id") or None,
        }
        for identifier_type, column in _IDENTIFIER_COLUMNS.items():
            values = self.identifier_values(identifier_type)
            row[column] = values[0] if values else None
        return row


def model_rows(records: Iterable[MatchRecord], junk_dates: frozenset[str]) -> list[dict[str, Any]]:
    """Model input rows for many records."""
    return [record.model_row(junk_dates) for record in records]
