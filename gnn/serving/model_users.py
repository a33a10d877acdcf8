"""Which model user an identifier's interactions belong to: the rule training and serving share."""

from __future__ import annotations

from collections.abc import Iterable

ANONYMOUS_PREFIX = "identifier:"


def owning_customer(direct_ids: Iterable[object], via_ids: Iterable[object]) -> str | None:
    """The customer of an identifier: through a record holding it (the smallest id if
    several), else through identifiers seen with it when that is exactly one customer."""
    direct = sorted(str(c) for c in direct_ids or [] if c)
    via = sorted(str(c) for c in via_ids or [] if c)
    if direct:
        return direct[0]
    return via[0] if len(via) == 1 else None


def model_user(id_key: str, customer_id: str | None) -> str:
    """The user id the recommender knows an identifier by: its customer, or the identifier
    itself (anonymous visitors train and are served as users of their own)."""
    return customer_id if customer_id is not None else ANONYMOUS_PREFIX + id_key
