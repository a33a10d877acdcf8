"""Consent as the decision service sees it: a callable `purpose -> bool` per subject."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, Literal

Purpose = Literal["marketing", "personalisation"]
PURPOSES: Final[tuple[Purpose, ...]] = ("marketing", "personalisation")
MARKETING: Final[Purpose] = "marketing"
PERSONALISATION: Final[Purpose] = "personalisation"

Consent = Callable[[str], bool]
"""Whether the subject has consented to a purpose (`marketing`, `personalisation`)."""

ConsentLookup = Callable[[str], Awaitable[Consent]]
"""The consent of a subject (a customer id or an identifier key), looked up per request."""


def allow_all(purpose: str) -> bool:
    """Every purpose consented (development only: the privacy work supplies the real one)."""
    return True


def deny_all(purpose: str) -> bool:
    """No purpose consented."""
    return False


def granted(*purposes: str) -> Consent:
    """Exactly these purposes consented."""
    allowed = frozenset(purposes)
    return allowed.__contains__


async def allow_everyone(subject: str) -> Consent:
    """A lookup that answers `allow_all` for every subject (development only)."""
    return allow_all
