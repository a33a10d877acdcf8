"""Consent per purpose: decisions, the latest-wins rule and a person's effective consent.

A *decision* says that a subject granted or withdrew one purpose, from a source, at a time.
A subject is an identifier key as ingestion stores it (`<type>:<value>`, emails and phones
as keyed hashes) or a customer id. The graph keeps, per (subject, purpose), the latest
decision only (`ConsentService`, `cypher/consent/`).

*Effective* consent, per purpose:
- of a customer: the latest decision among its own id, the ids of customers merged into it,
  every identifier of its records and the identifiers seen only with them (the identifiers
  whose behaviour is pooled into the customer); ties go to the withdrawal;
- of an identifier: its person's, when it belongs to a customer (through a record holding
  it, else through identifiers seen with it when they lead to one customer: the rule the
  recommender pools with); otherwise its own latest decision;
- with no decision at all: the configured default (`CG_CONSENT_DEFAULTS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

ANALYTICS: Final = "analytics"
PERSONALISATION: Final = "personalisation"
MARKETING: Final = "marketing"
PURPOSES: Final[tuple[str, ...]] = (ANALYTICS, PERSONALISATION, MARKETING)
DEFAULTS: Final[Mapping[str, bool]] = {ANALYTICS: True, PERSONALISATION: True, MARKETING: False}
DEFAULT_SOURCE: Final = "default"
# Identifier key prefixes (graph.model.IdentifierType): a subject with one is an identifier.
IDENTIFIER_TYPES: Final = frozenset(
    {"email", "phone", "login", "crm_id", "national_id", "device", "cookie"}
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._:@/+=-]")
MAX_SOURCE = 160

Allows = Callable[[str], bool]
"""Whether a purpose is consented (the `nba` decision service's `Consent`)."""


class UnknownPurposeError(ValueError):
    """A purpose that is not one of `PURPOSES`."""


def check_purpose(purpose: str) -> str:
    """`purpose` if it is known; `UnknownPurposeError` naming the known ones otherwise."""
    if purpose not in PURPOSES:
        raise UnknownPurposeError(f"purpose: {purpose!r} is not one of {', '.join(PURPOSES)}")
    return purpose


def check_defaults(defaults: Mapping[str, bool]) -> dict[str, bool]:
    """Every purpose's default: the given ones over `DEFAULTS`; unknown purposes refused."""
    for purpose in defaults:
        check_purpose(purpose)
    return {**DEFAULTS, **defaults}


def clean_source(source: str) -> str:
    """A source label safe to embed in audit JSON (characters outside a small set become
    `_`), at most `MAX_SOURCE` characters."""
    return _UNSAFE.sub("_", source)[:MAX_SOURCE] or "unknown"


def is_identifier_key(subject: str) -> bool:
    """True for an identifier key (`<type>:<value>`), False for a customer id."""
    kind, sep, _ = subject.partition(":")
    return bool(sep) and kind in IDENTIFIER_TYPES


def owning_customer(direct_ids: Iterable[object], via_ids: Iterable[object]) -> str | None:
    """The customer of an identifier: through a record holding it (the smallest id if
    several), else through identifiers seen with it when that is exactly one customer.
    The same rule as `gnn.serving.model_users.owning_customer` (a test keeps them equal)."""
    direct = sorted(str(c) for c in direct_ids or [] if c)
    via = sorted(str(c) for c in via_ids or [] if c)
    if direct:
        return direct[0]
    return via[0] if len(via) == 1 else None


@dataclass(frozen=True)
class Decision:
    """One subject granting or withdrawing one purpose, from a source, at a time (epoch ms)."""

    subject: str
    purpose: str
    granted: bool
    source: str
    at: int
    reason: str = ""  # for the audit entry (default: the reason `record` is given)

    def __post_init__(self) -> None:
        check_purpose(self.purpose)
        if not self.subject:
            raise ValueError("subject: must not be empty")

    @property
    def id(self) -> str:
        """The stored node's key: one node per (purpose, subject)."""
        return f"{self.purpose}|{self.subject}"


@dataclass(frozen=True)
class Consent:
    """The state of one purpose: granted or not, by which source and decision time (None and
    source `default` when no decision exists), and whose decision it was."""

    granted: bool
    source: str
    at: int | None
    subject: str | None = None

    @property
    def is_default(self) -> bool:
        """True when no decision exists and the configured default applies."""
        return self.at is None


def newer(candidate: Consent, current: Consent | None) -> bool:
    """Whether `candidate` wins over `current`: later, or as late and a withdrawal."""
    if current is None or current.at is None:
        return True
    if candidate.at is None:
        return False
    if candidate.at != current.at:
        return candidate.at > current.at
    return current.granted and not candidate.granted


class EffectiveConsent(dict[str, Consent]):
    """Purpose → effective `Consent`, every purpose present."""

    def allows(self, purpose: str) -> bool:
        """Whether `purpose` is consented (the callable `nba` takes as `consent`)."""
        found = self.get(check_purpose(purpose))
        return bool(found and found.granted)

    @property
    def granted(self) -> frozenset[str]:
        """The consented purposes."""
        return frozenset(p for p, c in self.items() if c.granted)


def effective(
    decisions: Iterable[tuple[str, Consent]],
    defaults: Mapping[str, bool],
    purposes: Iterable[str] = PURPOSES,
) -> EffectiveConsent:
    """The latest decision per purpose among `(purpose, consent)` pairs, the default for
    purposes without one."""
    latest: dict[str, Consent] = {}
    for purpose, consent in decisions:
        if newer(consent, latest.get(purpose)):
            latest[purpose] = consent
    result = EffectiveConsent()
    for purpose in purposes:
        result[purpose] = latest.get(purpose) or Consent(
            bool(defaults.get(purpose, DEFAULTS[purpose])), DEFAULT_SOURCE, None
        )
    return result
