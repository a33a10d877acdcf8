"""Links between records (evidence that two records are one person) and their order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class LinkKind(IntEnum):
    """Where a link comes from; lower values are applied first when clustering."""

    APPROVED = 0  # a steward said "same person"
    IDENTIFIER = 1  # a shared strong identifier (deterministic)
    MODEL = 2  # Splink probability at or above the auto-merge threshold
    WEAK_IDENTIFIER = 3  # a shared weak identifier, corroborated by the model


@dataclass(frozen=True, slots=True)
class Link:
    """Evidence that records `left` and `right` are the same person."""

    left: str
    right: str
    kind: LinkKind
    detail: str = ""  # identifier type for identifier links
    probability: float | None = None
    type_rank: int = 0  # position of the identifier type in the priority order

    def order(self) -> tuple[int, int, float, str, str]:
        """Sort key: kind, then type priority, then most probable first; ties by key."""
        return (self.kind, self.type_rank, -(self.probability or 0.0), self.left, self.right)

    def reason(self) -> str:
        """Human-readable reason, used in audit entries and explanations."""
        if self.kind is LinkKind.APPROVED:
            return "approved by a data steward"
        if self.kind in (LinkKind.IDENTIFIER, LinkKind.WEAK_IDENTIFIER):
            return f"shared {self.detail}"
        return f"match probability {self.probability:.4f}"


def pair(left: str, right: str) -> tuple[str, str]:
    """An unordered pair in canonical (sorted) order."""
    return (left, right) if left <= right else (right, left)
