"""Identifier normalisation and keyed hashing."""

from __future__ import annotations

import pytest

from graph.model import IdentifierType
from ingestion.pseudonymise import Pseudonymiser, normalise_email, normalise_phone

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ann.Smith@Example.COM ", "ann.smith@example.com"),
        ("null", None),
        ("n/a", None),
        ("", None),
        (None, None),
        ("no-at-sign.example.com", None),
    ],
)
def test_normalise_email(raw: str | None, expected: str | None) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("(0)7700-900-123", "+447700900123"),
        ("0000000000", None),
        ("abc", None),
        ("", None),
    ],
)
def test_normalise_phone(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


def test_same_person_same_digest_and_no_plaintext() -> None:
    pseudo = Pseudonymiser(KEY)
    a = pseudo.identifier(IdentifierType.EMAIL, "Ann@Example.com")
    b = pseudo.identifier(IdentifierType.EMAIL, " ann@example.com")
    assert a is not None
    assert a == b
    assert "ann" not in a.value
    assert len(a.value) == 64


def test_digest_depends_on_key_and_type() -> None:
    one, two = Pseudonymiser(KEY), Pseudonymiser(b"x" * 32)
    email = one.identifier(IdentifierType.EMAIL, "a@b.co")
    assert email != two.identifier(IdentifierType.EMAIL, "a@b.co")
    assert email is not None
    assert email.value != one.digest(IdentifierType.PHONE, "a@b.co")


def test_opaque_identifiers_are_kept_and_blank_ones_dropped() -> None:
    pseudo = Pseudonymiser(KEY)
    cookie = pseudo.identifier(IdentifierType.COOKIE, " c-123 ")
    assert cookie is not None
    assert cookie.key == "cookie:c-123"
    assert pseudo.identifier(IdentifierType.LOGIN, "   ") is None


def test_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="hash_key"):
        Pseudonymiser(b"short")


def test_email_shaped_opaque_ids_are_hashed_too() -> None:
    login = Pseudonymiser(KEY).identifier(IdentifierType.LOGIN, "Ann@Example.com")
    assert login is not None
    assert login.type is IdentifierType.LOGIN
    assert "example" not in login.value
    assert len(login.value) == 64
