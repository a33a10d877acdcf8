"""Field-level encryption of personal attributes, and keyed hashes of blocking keys.

A subject's personal attributes are sealed together into one token,
`pii1.<key id>.<base64url(nonce + AES-GCM ciphertext)>`, with the key id as associated data
(a token moved to another subject does not open). A token whose data key was shredded opens
to nothing: the attributes read as missing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag

from privacy.keys import NONCE_BYTES, KeyStore, subject_key_id

TOKEN_PREFIX = "pii1."


def is_token(value: object) -> bool:
    """True for a sealed-attributes token."""
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


class FieldCipher:
    """Seals and opens personal attributes with per-subject data keys."""

    def __init__(self, keys: KeyStore, hash_key: bytes) -> None:
        self.keys = keys
        self._hash_key = hash_key
        self._mac = hmac.new(hash_key, digestmod=hashlib.sha256)  # keyed once, copied per use

    def key_id(self, kind: str, subject: str) -> str:
        """The data-key id of a subject (`record` or `customer`)."""
        return subject_key_id(self._hash_key, kind, subject, self._mac)

    def blocking_hash(self, name: str, value: str) -> str:
        """Keyed hash of a blocking key (equal values stay equal, nothing else is kept)."""
        mac = self._mac.copy()
        mac.update(f"block:{name}:{value}".encode())
        return "h" + mac.hexdigest()[:40]

    def seal(self, kind: str, items: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str | None]:
        """One token per (subject, attributes); None where every attribute is missing."""
        key_ids = [self.key_id(kind, subject) for subject, _ in items]
        needed = [k for k, (_, fields) in zip(key_ids, items, strict=True) if _present(fields)]
        ciphers = self.keys.ciphers(needed, create=True)
        tokens: list[str | None] = []
        for key_id, (_, fields) in zip(key_ids, items, strict=True):
            if not _present(fields):
                tokens.append(None)
                continue
            plain = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
            nonce = os.urandom(NONCE_BYTES)
            sealed = ciphers[key_id].encrypt(nonce, plain, key_id.encode())
            body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
            tokens.append(f"{TOKEN_PREFIX}{key_id}.{body}")
        return tokens

    def open(self, tokens: Sequence[str]) -> list[dict[str, Any]]:
        """The attributes of each token; {} for a token whose key was shredded."""
        parsed = [_parse(token) for token in tokens]
        ciphers = self.keys.ciphers(key_id for key_id, _ in parsed)
        opened: list[dict[str, Any]] = []
        for key_id, blob in parsed:
            cipher = ciphers.get(key_id)
            if cipher is None:
                opened.append({})
                continue
            try:
                plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], key_id.encode())
            except InvalidTag:
                raise ValueError(f"pii token of {key_id}: does not decrypt (altered?)") from None
            opened.append(json.loads(plain))
        return opened


def key_id_of(token: str) -> str:
    """The data-key id a token was sealed with."""
    return _parse(token)[0]


def _parse(token: str) -> tuple[str, bytes]:
    if not is_token(token):
        raise ValueError("pii token: not a pii1 token")
    key_id, _, body = token[len(TOKEN_PREFIX) :].partition(".")
    padded = body + "=" * (-len(body) % 4)
    return key_id, base64.urlsafe_b64decode(padded)


def _present(fields: Mapping[str, Any]) -> bool:
    return any(value is not None for value in fields.values())
