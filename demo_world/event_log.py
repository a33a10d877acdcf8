"""The event log: event bodies collected during simulation, written as sorted JSON Lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

SCHEMA_VERSION = 1
EVENT_TYPES: tuple[str, ...] = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "purchase",
    "identify",
    "consent",
)


@dataclass
class EventLog:
    """Generated events (time, sequence, JSON body without id) and held-out interactions."""

    lines: list[tuple[int, int, str]] = field(default_factory=list)
    heldout: list[tuple[int, str, str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def sorted_lines(self) -> Iterator[str]:
        """Yield the JSON lines in time order, with event ids assigned in that order."""
        self.lines.sort()
        for n, (_, _, body) in enumerate(self.lines, start=1):
            yield f'{{"schema_version":{SCHEMA_VERSION},"event_id":"e-{n:09d}",{body[1:]}'
