"""Audit entries for identity changes, and the state snapshots that make them reversible."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from graph.model import AuditEntry


def now_ms() -> int:
    """Current time in epoch milliseconds."""
    return int(time.time() * 1000)


@dataclass
class Snapshot:
    """The part of the identity state an operation touches: which customer each record
    belongs to, the status of record pairs (`null` = never decided), and customer status."""

    assignments: dict[str, str | None] = field(default_factory=dict)
    pairs: dict[str, str | None] = field(default_factory=dict)  # "left|right" -> status

    def to_json(self) -> str:
        """Stable JSON for an audit entry's before/after."""
        return json.dumps({"assignments": self.assignments, "pairs": self.pairs}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Snapshot:
        """Parse an audit entry's before/after (empty for entries without a snapshot)."""
        data: Any = json.loads(text) if text else None
        if not isinstance(data, dict):
            return cls()
        return cls(dict(data.get("assignments") or {}), dict(data.get("pairs") or {}))


def pair_id(left: str, right: str) -> str:
    """`left|right` in canonical order."""
    a, b = sorted((left, right))
    return f"{a}|{b}"


def split_pair_id(value: str) -> tuple[str, str]:
    """The two record keys of a `left|right` pair id."""
    left, _, right = value.partition("|")
    return left, right


def entry(
    action: str,
    actor: str,
    subject_type: str,
    subject_id: str,
    *,
    reason: str = "",
    before: str = "null",
    after: str = "null",
    at: int | None = None,
) -> AuditEntry:
    """A new audit entry with a fresh id."""
    return AuditEntry(
        id=f"aud_{uuid.uuid4().hex}",
        at=at if at is not None else now_ms(),
        actor=actor,
        action=action,
        reason=reason,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
    )
