"""Rewards: a conversion (purchase, add to cart) by the subject soon after an exposure.

An exposure at `t` is rewarded with the catalogue's reward of the best conversion whose time
lies in `(t, t + window]`; once `t + window` has passed without one it is closed with 0;
until then it stays pending. Conversions come either as exact events (`Conversion.event`)
or from the graph's interaction aggregates, which keep only each aggregate's first and last
time: an aggregate counts when either lies in the window. That misses a conversion in the
window when the same item and type were also bought before the exposure *and* again after
the window (the aggregate's times then both lie outside), so run `nba update` more often
than the window (hourly for a 24 h window). A customer's conversions are those of every
identifier the API pools for them (its records' and those seen only with them); an anonymous
visitor's are its identifier's own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from graph.port import GraphStore, Row
from nba.exposures import Exposure

BATCH = 500


@dataclass(frozen=True)
class Conversion:
    """A conversion of one type by a subject between `first_at` and `last_at` (epoch ms)."""

    subject: str
    type: str
    first_at: int
    last_at: int

    @classmethod
    def event(cls, subject: str, type: str, at: int) -> Conversion:
        """One exact event."""
        return cls(subject, type, at, at)


def reward_of(
    exposure: Exposure,
    conversions: Iterable[Conversion],
    rewards: Mapping[str, float],
    window_ms: int,
) -> float:
    """The best reward among the subject's conversions in the exposure's window (0: none)."""
    start, end = exposure.exposed_at, exposure.exposed_at + window_ms
    return max(
        (
            rewards[c.type]
            for c in conversions
            if c.type in rewards and (start < c.first_at <= end or start < c.last_at <= end)
        ),
        default=0.0,
    )


def attribute(
    exposures: Sequence[Exposure],
    conversions: Iterable[Conversion],
    rewards: Mapping[str, float],
    window_ms: int,
    now_ms: int,
) -> list[tuple[str, float]]:
    """(exposure id, reward) of every exposure that can be closed now: rewarded ones, and
    unrewarded ones whose window has passed. Still-open unconverted ones are left out."""
    by_subject: dict[str, list[Conversion]] = defaultdict(list)
    for conversion in conversions:
        by_subject[conversion.subject].append(conversion)
    closed: list[tuple[str, float]] = []
    for exposure in exposures:
        reward = reward_of(exposure, by_subject.get(exposure.subject, ()), rewards, window_ms)
        if reward > 0 or now_ms >= exposure.exposed_at + window_ms:
            closed.append((exposure.id, reward))
    return closed


def _conversion(subject: str, row: Row) -> Conversion:
    return Conversion(
        subject, str(row["type"]), int(row["first_at"] or 0), int(row["last_at"] or 0)
    )


async def conversions_from_graph(
    store: GraphStore, exposures: Sequence[Exposure], types: Iterable[str]
) -> list[Conversion]:
    """The conversion aggregates (of `types`) of the exposures' subjects, read in batches:
    per batch of customers three reads, per batch of anonymous identifiers one."""
    wanted = set(types)
    customers = sorted({e.customer_id for e in exposures if e.customer_id is not None})
    anonymous = sorted({e.subject for e in exposures if e.customer_id is None})
    found: list[Conversion] = []
    for start in range(0, len(customers), BATCH):
        ids = customers[start : start + BATCH]
        # since 0: every aggregate its own row (none summed away), every category kept
        params = {"ids": ids, "since": 0, "categories": None}
        rows = await store.read("segments/customer_interactions", params)
        found += [_conversion(str(r["customer_id"]), r) for r in rows if r["type"] in wanted]
        seen = await store.read("identifiers/seen_with_customers", {"ids": ids})
        owner = {str(r["key"]): str(r["customer_id"]) for r in seen}
        if owner:
            rows = await store.read("interactions/by_identifiers", {"keys": sorted(owner)})
            found += [_conversion(owner[str(r["id_key"])], r) for r in rows if r["type"] in wanted]
    for start in range(0, len(anonymous), BATCH):
        keys = anonymous[start : start + BATCH]
        rows = await store.read("interactions/by_identifiers", {"keys": keys})
        found += [_conversion(str(r["id_key"]), r) for r in rows if r["type"] in wanted]
    return found
