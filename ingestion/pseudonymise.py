"""Normalise identifier values and pseudonymise emails and phones with a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import re

import phonenumbers

from graph.model import Identifier, IdentifierType

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HASHED_TYPES = frozenset({IdentifierType.EMAIL, IdentifierType.PHONE, IdentifierType.NATIONAL_ID})
_ID_SEPARATORS = re.compile(r"[\s\-./]")


def normalise_email(raw: str | None) -> str | None:
    """Lower-cased, trimmed email, or None when it is not an email address."""
    if not raw:
        return None
    value = raw.strip().lower()
    return value if _EMAIL.match(value) else None


def normalise_phone(raw: str | None, region: str = "GB") -> str | None:
    """E.164 phone number (`+447700900123`), or None when it cannot be a phone number."""
    if not raw or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    if len(set(str(parsed.national_number))) <= 1:  # 0000000000, 1111111111: placeholders
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_national_id(raw: str | None) -> str | None:
    """Upper-case national id without spaces, dashes, dots or slashes, or None when empty."""
    return _ID_SEPARATORS.sub("", raw).upper() or None if raw else None


class Pseudonymiser:
    """Builds Identifiers: emails and phones become HMAC-SHA256 digests under a secret key."""

    def __init__(self, key: bytes, phone_region: str = "GB") -> None:
        if len(key) < 16:
            raise ValueError("hash_key: must be at least 16 bytes")
        self._key = key
        self.phone_region = phone_region

    def digest(self, kind: IdentifierType, normalised: str) -> str:
        """Keyed hash of a normalised value, domain-separated by identifier type."""
        message = f"{kind}:{normalised}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def email_local_part(self, raw: str | None) -> str | None:
        """Keyed hash of an email's local part (before `@`), for fuzzy-free email matching."""
        email = normalise_email(raw)
        if email is None:
            return None
        return hmac.new(
            self._key, f"email_local:{email.split('@', 1)[0]}".encode(), hashlib.sha256
        ).hexdigest()

    def identifier(self, kind: IdentifierType, raw: str | None) -> Identifier | None:
        """The normalised (and for email/phone, hashed) identifier, or None if unusable."""
        if kind is IdentifierType.EMAIL:
            value = normalise_email(raw)
        elif kind is IdentifierType.PHONE:
            value = normalise_phone(raw, self.phone_region)
        elif kind is IdentifierType.NATIONAL_ID:
            value = normalise_national_id(raw)
        else:
            value = raw.strip() if raw and raw.strip() else None
        if value is None:
            return None
        # An email used as a login, cookie or device id is still an email: hash it too.
        if kind in HASHED_TYPES or _EMAIL.match(value):
            value = self.digest(kind, value.lower() if kind not in HASHED_TYPES else value)
        return Identifier(type=kind, value=value)
