"""Deterministic linking on shared identifiers, with merge protection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from identity.config import MergeProtection
from identity.links import Link, LinkKind, pair
from identity.records import MatchRecord


@dataclass(frozen=True)
class ProtectedValue:
    """An identifier value that was not used to link, and why."""

    identifier_key: str
    records: int
    reason: str


@dataclass(frozen=True)
class IdentifierPair:
    """Two records sharing an identifier value (before the model's veto/corroboration)."""

    left: str
    right: str
    identifier_type: str
    identifier_key: str


def shared_identifier_pairs(
    records: Sequence[MatchRecord],
    protection: MergeProtection,
    record_counts: Mapping[str, int] | None = None,
) -> tuple[list[IdentifierPair], list[ProtectedValue]]:
    """Pairs of records sharing an identifier value, except values on the blocklist or held
    by more records than their type's limit (`record_counts` gives graph-wide counts when
    only part of the graph is in `records`)."""
    holders: dict[str, list[str]] = {}
    for record in records:
        for key in record.identifiers:
            holders.setdefault(key, []).append(record.key)
    pairs: list[IdentifierPair] = []
    protected: list[ProtectedValue] = []
    for key, keys in sorted(holders.items()):
        total = max(len(keys), (record_counts or {}).get(key, 0))
        if total < 2:
            continue
        kind = key.split(":", 1)[0]
        if key in protection.blocked_keys:
            protected.append(ProtectedValue(key, total, "blocklisted placeholder value"))
            continue
        limit = protection.record_limit(kind)
        if total > limit:
            protected.append(
                ProtectedValue(key, total, f"held by {total} records (limit for {kind}: {limit})")
            )
            continue
        first, *others = sorted(keys)
        pairs += [IdentifierPair(*pair(first, other), kind, key) for other in others]
    return pairs, protected


def identifier_links(
    pairs: Sequence[IdentifierPair],
    probabilities: Mapping[tuple[str, str], float],
    protection: MergeProtection,
    review_threshold: float,
    veto_threshold: float,
) -> tuple[list[Link], list[tuple[IdentifierPair, str]]]:
    """Links from shared identifiers: personal types always link; other strong types unless
    the model scores the pair below the veto threshold; weak types need the model at or
    above the review threshold."""
    links: list[Link] = []
    refused: list[tuple[IdentifierPair, str]] = []
    for item in pairs:
        probability = probabilities.get((item.left, item.right))
        weak = item.identifier_type in protection.weak_types
        if weak and (probability is None or probability < review_threshold):
            refused.append((item, f"weak identifier {item.identifier_type} not corroborated"))
            continue
        personal = item.identifier_type in protection.personal_types
        if not weak and not personal and probability is not None and probability < veto_threshold:
            refused.append((item, f"vetoed: match probability {probability:.4f}"))
            continue
        links.append(
            Link(
                item.left,
                item.right,
                LinkKind.WEAK_IDENTIFIER if weak else LinkKind.IDENTIFIER,
                detail=item.identifier_type,
                probability=probability,
                type_rank=protection.priority(item.identifier_type),
            )
        )
    return links, refused
