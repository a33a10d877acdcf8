"""Normalised values used for matching and blocking, shared by ingestion and resolution."""

from __future__ import annotations

import re
import unicodedata

_NOT_NAME = re.compile(r"[^a-z' \-]")
_SPACES = re.compile(r"\s+")
# Placeholders typed into name fields: they carry no information about the person.
PLACEHOLDER_NAMES = frozenset(
    {"x", "xx", "xxx", "xxxx", "test", "unknown", "none", "null", "na", "n a", "anon", "anonymous"}
)


def name_token(value: object) -> str | None:
    """Case-folded name without accents, digits or punctuation (`  O'Brien-Smith ` stays)."""
    if not isinstance(value, str):
        return None
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = _SPACES.sub(" ", _NOT_NAME.sub(" ", ascii_only)).strip(" -'")
    return text if text and text not in PLACEHOLDER_NAMES else None


def name_key(first: object, last: object) -> str | None:
    """Blocking key `first|last` from both name tokens, or None when either is missing."""
    first_token, last_token = name_token(first), name_token(last)
    if first_token is None or last_token is None:
        return None
    return f"{first_token}|{last_token}"


def swapped_name_key(first: object, last: object) -> str | None:
    """The blocking key a record with first and last name swapped would have."""
    return name_key(last, first)


def free_text(value: object) -> str | None:
    """Lower-cased text with collapsed whitespace (addresses, cities)."""
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", value.casefold()).strip()
    return text or None
