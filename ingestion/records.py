"""Map a validated source record to the graph's Record and its pseudonymised identifiers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.model import Identifier, IdentifierType, Record, Scalar, to_millis
from identity.match_keys import name_key
from ingestion.normalise import clean_text, normalise_country, normalise_postcode
from ingestion.pseudonymise import Pseudonymiser, normalise_national_id
from ingestion.schemas import RecordConsent, RecordV1


@dataclass(frozen=True)
class SourceRecord:
    """A record and the identifiers it holds."""

    record: Record
    identifiers: tuple[Identifier, ...]
    consents: tuple[RecordConsent, ...] = ()  # recorded for the identifiers (privacy_gate)

    def row(self) -> dict[str, Any]:
        """Row for records/upsert_records (attributes and identifier links together)."""
        return {**self.record.row(), "identifiers": [i.row() for i in self.identifiers]}


def _identifiers(message: RecordV1, pseudo: Pseudonymiser) -> tuple[Identifier, ...]:
    raw: list[tuple[IdentifierType, str | None]] = [
        (IdentifierType.EMAIL, message.email),
        (IdentifierType.PHONE, message.phone),
        (IdentifierType.LOGIN, message.login_id),
        (IdentifierType.CRM_ID, message.crm_id),
        (IdentifierType.NATIONAL_ID, message.national_id),
    ]
    raw += [(IdentifierType.DEVICE, v) for v in message.device_ids]
    raw += [(IdentifierType.COOKIE, v) for v in message.cookie_ids]
    found = (pseudo.identifier(kind, value) for kind, value in raw)
    return tuple(dict.fromkeys(i for i in found if i is not None))


def source_record(message: RecordV1, pseudo: Pseudonymiser, ingested_at: int) -> SourceRecord:
    """The Record (normalised attributes) and identifiers (emails/phones hashed)."""
    first_name, last_name = clean_text(message.first_name), clean_text(message.last_name)
    date_of_birth = message.date_of_birth.isoformat() if message.date_of_birth else None
    postcode = normalise_postcode(message.postcode)
    attrs: dict[str, Scalar] = {
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": date_of_birth,
        "address": clean_text(message.address),
        "postcode": postcode,
        "city": clean_text(message.city),
        "country": normalise_country(message.country),
        # Sealed with the other personal attributes: identity compares it for typos (the
        # identifier itself is a keyed hash, equal or not).
        "national_id": normalise_national_id(message.national_id),
        # Blocking keys (keyed hashes in an encrypted store: privacy/protected_store.py) and
        # the keyed hash of the email's local part.
        "name_key": name_key(first_name, last_name),
        "dob_key": date_of_birth,
        "postcode_key": postcode,
        "email_local": pseudo.email_local_part(message.email),
    }
    record = Record(
        source=message.source,
        source_id=message.source_id,
        attrs=attrs,  # None values clear what an older version had
        updated_at=to_millis(message.updated_at),
        ingested_at=ingested_at,
    )
    return SourceRecord(record, _identifiers(message, pseudo), tuple(message.consents))
