"""Clustering records into people: union-find over ordered links with cannot-link rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from identity.links import Link


@dataclass
class _Group:
    members: set[str]
    values: dict[str, set[str]]  # identifier type -> distinct values (limited types only)


@dataclass
class Clustering:
    """The result: clusters of record keys, and the links refused with the reason."""

    clusters: list[set[str]]
    accepted: list[Link] = field(default_factory=list)
    refused: list[tuple[Link, str]] = field(default_factory=list)


class _Clusterer:
    def __init__(
        self,
        keys: Iterable[str],
        cannot_link: Iterable[tuple[str, str]],
        limited_values: Mapping[str, Mapping[str, set[str]]],
        max_values: Mapping[str, int],
    ) -> None:
        self.parent: dict[str, str] = {}
        self.groups: dict[str, _Group] = {}
        for key in keys:
            self._add(key, limited_values.get(key, {}))
        self.cannot: dict[str, set[str]] = {}
        for a, b in cannot_link:
            self.cannot.setdefault(a, set()).add(b)
            self.cannot.setdefault(b, set()).add(a)
        self.max_values = max_values
        self.limited_values = limited_values

    def _add(self, key: str, values: Mapping[str, set[str]]) -> None:
        if key not in self.parent:
            self.parent[key] = key
            self.groups[key] = _Group({key}, {t: set(v) for t, v in values.items()})

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def conflict(self, a: _Group, b: _Group) -> str | None:
        small, large = (a, b) if len(a.members) <= len(b.members) else (b, a)
        for member in small.members:
            if self.cannot.get(member, set()) & large.members:
                return "cannot-link: a data steward said these records are different people"
        for kind, limit in self.max_values.items():
            merged = a.values.get(kind, set()) | b.values.get(kind, set())
            if len(merged) > limit:
                return f"limit: a customer may hold at most {limit} distinct {kind} value(s)"
        return None

    def union(self, link: Link) -> str | None:
        for key in (link.left, link.right):
            self._add(key, self.limited_values.get(key, {}))
        ra, rb = self.find(link.left), self.find(link.right)
        if ra == rb:
            return None
        a, b = self.groups[ra], self.groups[rb]
        reason = self.conflict(a, b)
        if reason is not None:
            return reason
        if len(a.members) < len(b.members):
            ra, rb, a, b = rb, ra, b, a
        self.parent[rb] = ra
        a.members |= b.members
        for kind, values in b.values.items():
            a.values.setdefault(kind, set()).update(values)
        del self.groups[rb]
        return None


def cluster(
    keys: Iterable[str],
    links: Iterable[Link],
    cannot_link: Iterable[tuple[str, str]] = (),
    limited_values: Mapping[str, Mapping[str, set[str]]] | None = None,
    max_values: Mapping[str, int] | None = None,
) -> Clustering:
    """Apply links in priority order; a link that would join a cannot-link pair, or push a
    cluster over a per-customer identifier limit, is refused (and reported)."""
    clusterer = _Clusterer(keys, cannot_link, limited_values or {}, max_values or {})
    result = Clustering(clusters=[])
    for link in sorted(links, key=Link.order):
        if link.left == link.right:
            continue
        reason = clusterer.union(link)
        if reason is None:
            result.accepted.append(link)
        else:
            result.refused.append((link, reason))
    result.clusters = [set(group.members) for group in clusterer.groups.values()]
    return result
