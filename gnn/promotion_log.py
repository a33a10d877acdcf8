"""The pointer to the version in use and the log of its changes, in a registry's root.

``current`` names the version in use; ``history`` is an append-only JSON-lines log of
promotions and rollbacks, from which `GnnRegistry.rollback` finds the previous version.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gnn.atomic_files import write_atomic

CURRENT = "current"
HISTORY = "history"


def read_current(root: Path) -> str | None:
    """What the ``current`` pointer names (unchecked), or None when nothing was promoted."""
    try:
        return (root / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def read_history(root: Path) -> list[dict[str, Any]]:
    """The promotion log, oldest first: ``{"at", "action", "version", "previous"}``."""
    try:
        text = (root / HISTORY).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def point_current(root: Path, version: str, action: str, previous: str | None) -> None:
    """Make ``current`` name `version` and log the change (`action`) in ``history``."""
    write_atomic(root / CURRENT, version.encode("utf-8"))
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "action": action,
        "version": version,
        "previous": previous,
    }
    with (root / HISTORY).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def promotion_stack(history: list[dict[str, Any]], current: str | None) -> list[str]:
    """Versions that were current, most recent last: promotions push, rollbacks pop."""
    stack: list[str] = []
    for entry in history:
        if entry.get("action") == "rollback":
            if stack:
                stack.pop()
            if not stack or stack[-1] != entry["version"]:
                stack.append(entry["version"])
        elif not stack or stack[-1] != entry["version"]:
            stack.append(entry["version"])
    if current is not None and (not stack or stack[-1] != current):
        stack.append(current)  # the pointer was set outside `promote`
    return stack
