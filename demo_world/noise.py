"""Perturbations that turn clean person attributes into realistic, messy source values."""

from __future__ import annotations

import re

import numpy as np

from demo_world.nicknames import NICKNAMES

JUNK_EMAILS: tuple[str, ...] = (
    "test@test.com",
    "noemail@example.com",
    "none@none.com",
    "no@email.com",
    "null",
    "n/a",
    "anonymous",
    "x@x.com",
)
JUNK_PHONES: tuple[str, ...] = (
    "0000000000",
    "00000000000",
    "1234567890",
    "n/a",
    "null",
    "07000000000",
    "-",
)
JUNK_NAMES: tuple[str, ...] = ("Test", "Anonymous", "n/a", "null", "xxx", "Customer")
JUNK_DOB = "1900-01-01"

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row_index, _row in enumerate(_KEYBOARD_ROWS):
    for _col, _char in enumerate(_row):
        near = [_row[i] for i in (_col - 1, _col + 1) if 0 <= i < len(_row)]
        for other in (_row_index - 1, _row_index + 1):
            if 0 <= other < len(_KEYBOARD_ROWS):
                near.extend(_KEYBOARD_ROWS[other][max(0, _col - 1) : _col + 1])
        _NEIGHBOURS[_char] = "".join(near)

_STREET_ABBREVIATIONS = {
    "Road": "Rd",
    "Street": "St",
    "Avenue": "Ave",
    "Lane": "Ln",
    "Drive": "Dr",
    "Close": "Cl",
    "Place": "Pl",
    "Square": "Sq",
    "Crescent": "Cres",
    "Gardens": "Gdns",
}
_ABBREVIATION_RE = re.compile(r"\b(" + "|".join(_STREET_ABBREVIATIONS) + r")\b")


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def typo(text: str, rng: np.random.Generator) -> str:
    """Apply one keyboard typo: neighbour substitution, deletion, doubling or transposition."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 3:
        return text
    pos = letters[int(rng.integers(1, len(letters)))]  # keep the first letter, as people do
    changed = _edit(text, pos, int(rng.integers(4)), rng)
    return changed if changed != text else text[:pos] + text[pos + 1 :]


def _edit(text: str, pos: int, kind: int, rng: np.random.Generator) -> str:
    char = text[pos]
    if kind == 0:
        near = _NEIGHBOURS.get(char.lower(), "")
        if near:
            new = _pick(rng, list(near))
            return text[:pos] + (new.upper() if char.isupper() else new) + text[pos + 1 :]
        return text[:pos] + text[pos + 1 :]
    if kind == 1:
        return text[:pos] + text[pos + 1 :]
    if kind == 2:
        return text[:pos] + char + text[pos:]
    if pos + 1 < len(text) and text[pos + 1] != char:
        return text[:pos] + text[pos + 1] + char + text[pos + 2 :]
    return text[: pos - 1] + char + text[pos - 1] + text[pos + 1 :]


def nickname(first_name: str, rng: np.random.Generator) -> str | None:
    """Return a nickname for a formal first name, or None when the table has none."""
    options = NICKNAMES.get(first_name)
    return _pick(rng, options) if options else None


def name_case(name: str, rng: np.random.Generator) -> str:
    """Vary letter case and surrounding whitespace of a name (mostly unchanged)."""
    draw = rng.random()
    if draw < 0.05:
        name = name.upper()
    elif draw < 0.10:
        name = name.lower()
    if rng.random() < 0.03:
        name = name + " "
    return name


def email_format(email: str, rng: np.random.Generator) -> str:
    """Vary the case and padding of an email address (mostly unchanged)."""
    draw = rng.random()
    if draw < 0.06:
        email = email.upper()
    elif draw < 0.14:
        email = email[:1].upper() + email[1:]
    elif draw < 0.18:
        local, _, domain = email.partition("@")
        email = local.title() + "@" + domain
    if rng.random() < 0.04:
        email = " " + email if rng.random() < 0.5 else email + " "
    return email


def typo_email(email: str, rng: np.random.Generator) -> str:
    """Introduce a typo in the local part of an email address."""
    local, _, domain = email.partition("@")
    return typo(local, rng) + "@" + domain


def phone_format(national: str, rng: np.random.Generator) -> str:
    """Render a UK national number (``07700900123``) in one of the common written formats."""
    rest = national[1:]
    draw = rng.random()
    if draw < 0.35:
        return f"{national[:5]} {national[5:]}"
    if draw < 0.65:
        return national
    if draw < 0.80:
        return f"+44 {rest[:4]} {rest[4:]}"
    if draw < 0.90:
        return f"+44{rest}"
    if draw < 0.95:
        return f"({national[:5]}) {national[5:]}"
    return f"0044 {rest[:4]} {rest[4:]}"


def e164(national: str) -> str:
    """Return the E.164 form (``+447700900123``) of a UK national number."""
    return "+44" + national[1:]


def postcode_format(postcode: str, rng: np.random.Generator) -> str:
    """Vary spacing and case of a UK postcode."""
    draw = rng.random()
    if draw < 0.70:
        return postcode
    if draw < 0.85:
        return postcode.replace(" ", "")
    if draw < 0.95:
        return postcode.lower()
    return postcode.replace(" ", "").lower()


def address_format(address: str, rng: np.random.Generator) -> str:
    """Abbreviate street types or upper-case an address line now and then."""
    if rng.random() < 0.25:
        address = _ABBREVIATION_RE.sub(lambda m: _STREET_ABBREVIATIONS[m.group(1)], address)
    if rng.random() < 0.05:
        address = address.upper()
    return address


def country_format(rng: np.random.Generator) -> str:
    """Return one of the ways sources write the United Kingdom."""
    draw = rng.random()
    if draw < 0.40:
        return "GB"
    if draw < 0.70:
        return "United Kingdom"
    if draw < 0.90:
        return "UK"
    if draw < 0.95:
        return "England"
    return "gb"


def swap_day_month(iso_date: str) -> str | None:
    """Swap day and month of ``YYYY-MM-DD`` when the result is a different valid date."""
    year, month, day = iso_date.split("-")
    if int(day) > 12 or day == month:
        return None
    return f"{year}-{day}-{month}"


def junk_email(rng: np.random.Generator) -> str:
    """Return a placeholder email value typed to get past a mandatory field."""
    return _pick(rng, JUNK_EMAILS)


def junk_phone(rng: np.random.Generator) -> str:
    """Return a placeholder phone value."""
    return _pick(rng, JUNK_PHONES)


def junk_name(rng: np.random.Generator) -> str:
    """Return a placeholder name value."""
    return _pick(rng, JUNK_NAMES)
