"""Writing membership changes: only the differences between what should be and what is."""

from __future__ import annotations

from collections.abc import Mapping

from graph.port import GraphStore

Key = tuple[str, str]  # (customer id, segment id)


async def write_differences(
    store: GraphStore, desired: Mapping[Key, float], existing: Mapping[Key, float], now: int
) -> tuple[int, int]:
    """Remove memberships not desired, add new ones (`since` = now), update changed scores;
    returns (added, removed)."""
    gone = [{"customer_id": c, "segment_id": s} for c, s in existing if (c, s) not in desired]
    changed = [
        {"customer_id": c, "segment_id": s, "since": now, "score": score}
        for (c, s), score in desired.items()
        if existing.get((c, s)) != score
    ]
    if gone:
        await store.write_batch("segments/remove_memberships", gone)
    if changed:
        await store.write_batch("segments/set_memberships", changed)
    return sum(1 for key in desired if key not in existing), len(gone)
