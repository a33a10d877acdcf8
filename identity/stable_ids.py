"""Stable customer ids across re-runs: a cluster keeps the id of the customer it overlaps most."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


def new_customer_id() -> str:
    """A fresh, random customer id."""
    return f"cus_{uuid.uuid4().hex[:20]}"


@dataclass(frozen=True)
class MergeEvent:
    """Records of several earlier customers now form one customer."""

    customer_id: str
    from_customers: dict[str, list[str]]  # earlier customer id -> its records in the cluster


@dataclass(frozen=True)
class SplitEvent:
    """An earlier customer's records now belong to several customers."""

    customer_id: str
    into: dict[str, list[str]]  # customer id -> the earlier customer's records it now holds


@dataclass
class IdAssignment:
    """Customer id per cluster, plus what changed compared with the earlier assignment."""

    ids: list[str]
    created: list[str] = field(default_factory=list)
    retired: dict[str, str | None] = field(default_factory=dict)  # old id -> where it went
    merges: list[MergeEvent] = field(default_factory=list)
    splits: list[SplitEvent] = field(default_factory=list)

    def record_ids(self, clusters: Sequence[set[str]]) -> dict[str, str]:
        """Record key -> customer id."""
        return {
            key: cid for cid, members in zip(self.ids, clusters, strict=True) for key in members
        }


def assign_ids(
    clusters: Sequence[set[str]],
    previous: Mapping[str, str],
    new_id: Callable[[], str] = new_customer_id,
) -> IdAssignment:
    """Give every cluster an id: the earlier customer with the largest overlap keeps its id
    (each id goes to one cluster; ties go to the cluster made most purely of that customer,
    then the larger earlier customer, then the smaller id); other clusters get new ids.
    Reports merges, splits and retired ids."""
    sizes = Counter(previous.values())
    overlaps: list[tuple[int, float, int, str, int]] = []
    for index, members in enumerate(clusters):
        counts = Counter(previous[k] for k in members if k in previous)
        # Largest overlap first; on a tie, the cluster made most purely of that customer.
        overlaps += [(-n, -n / len(members), -sizes[cid], cid, index) for cid, n in counts.items()]
    ids: list[str | None] = [None] * len(clusters)
    taken: set[str] = set()
    for *_, cid, index in sorted(overlaps):
        if ids[index] is None and cid not in taken:
            ids[index] = cid
            taken.add(cid)
    result = IdAssignment(ids=[])
    for kept in ids:
        cid = kept if kept is not None else new_id()
        if kept is None:
            result.created.append(cid)
        result.ids.append(cid)
    _changes(clusters, previous, result, taken)
    return result


def _changes(
    clusters: Sequence[set[str]], previous: Mapping[str, str], result: IdAssignment, kept: set[str]
) -> None:
    destinations: dict[str, dict[str, list[str]]] = {}
    for cid, members in zip(result.ids, clusters, strict=True):
        sources: dict[str, list[str]] = {}
        for key in sorted(members):
            if key in previous:
                sources.setdefault(previous[key], []).append(key)
                destinations.setdefault(previous[key], {}).setdefault(cid, []).append(key)
        if len(sources) > 1:
            result.merges.append(MergeEvent(cid, sources))
    for old, into in sorted(destinations.items()):
        if len(into) > 1:
            result.splits.append(SplitEvent(old, into))
        if old not in kept:
            result.retired[old] = max(into, key=lambda c: (len(into[c]), c))
    for old in sorted(set(previous.values()) - set(destinations) - kept):
        result.retired[old] = None
