"""Normalise free-text attributes of source records (emails and phones: pseudonymise.py)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")


def clean_text(value: str | None) -> str | None:
    """NFC, trimmed, inner whitespace collapsed; None when nothing is left."""
    if value is None:
        return None
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    return text or None


def normalise_postcode(value: str | None) -> str | None:
    """Upper-case; UK postcodes get their single space back (`ls11aa` → `LS1 1AA`)."""
    text = clean_text(value)
    if text is None:
        return None
    compact = text.upper().replace(" ", "")
    match = _UK_POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else text.upper()


def normalise_country(value: str | None) -> str | None:
    """Trimmed and upper-cased (`gb` → `GB`)."""
    text = clean_text(value)
    return text.upper() if text else None
