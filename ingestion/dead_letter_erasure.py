"""Does a rejected message's raw payload belong to an erased person?

A dead letter is kept as received, so it can hold a raw email or phone that the graph only
knows hashed. A payload belongs to the person when it holds one of their opaque identifier
values (login, cookie, device, CRM id) verbatim, one of their record keys' source ids, or an
email or phone number that normalises and hashes to one of their identifier keys.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from graph.model import IdentifierType
from ingestion.pseudonymise import HASHED_TYPES, Pseudonymiser

_EMAIL = re.compile(r"[^\s\"'<>,;:()\[\]{}]+@[^\s\"'<>,;:()\[\]{}]+")
# Runs of digits with the separators people type in phone numbers.
_PHONE = re.compile(r"\+?\d[\d \-().]{6,}\d")
_HASHED = {str(t) for t in HASHED_TYPES}


class PayloadMatcher:
    """Matches raw payloads against an erased person's identifier and record keys."""

    def __init__(
        self, pseudo: Pseudonymiser, identifier_keys: Collection[str], record_keys: Collection[str]
    ) -> None:
        self.pseudo = pseudo
        self.keys = set(identifier_keys)
        self.verbatim = [
            value.encode()
            for kind, _, value in (k.partition(":") for k in identifier_keys)
            if kind not in _HASHED and len(value) >= 4
        ]
        # Source ids shorter than that (`12`) would match unrelated digits.
        source_ids = (k.partition(":")[2] for k in record_keys)
        self.verbatim += [sid.encode() for sid in source_ids if len(sid) >= 4]

    def __call__(self, payload: bytes) -> bool:
        """True when the payload holds one of the person's identifiers."""
        if any(value in payload for value in self.verbatim):
            return True
        text = payload.decode("utf-8", "replace")
        for raw in _EMAIL.findall(text):
            found = self.pseudo.identifier(IdentifierType.EMAIL, raw)
            if found is not None and found.key in self.keys:
                return True
        for raw in _PHONE.findall(text):
            found = self.pseudo.identifier(IdentifierType.PHONE, raw)
            if found is not None and found.key in self.keys:
                return True
        return False
