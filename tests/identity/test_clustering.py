"""Union-find clustering with cannot-link rules, per-customer limits and link priority."""

from __future__ import annotations

from identity.clustering import cluster
from identity.links import Link, LinkKind


def _sets(clusters: list[set[str]]) -> set[frozenset[str]]:
    return {frozenset(c) for c in clusters}


def test_links_join_records_transitively() -> None:
    links = [Link("a", "b", LinkKind.IDENTIFIER), Link("b", "c", LinkKind.MODEL, probability=0.99)]
    result = cluster(["a", "b", "c", "d"], links)
    assert _sets(result.clusters) == {frozenset("abc"), frozenset("d")}
    assert not result.refused


def test_cannot_link_is_never_crossed_even_transitively() -> None:
    links = [
        Link("a", "b", LinkKind.IDENTIFIER, detail="email"),
        Link("b", "c", LinkKind.IDENTIFIER, detail="phone"),
    ]
    result = cluster(["a", "b", "c"], links, cannot_link=[("a", "c")])
    assert _sets(result.clusters) == {frozenset("ab"), frozenset("c")}
    [(refused, reason)] = result.refused
    assert (refused.left, refused.right) == ("b", "c")
    assert reason.startswith("cannot-link")


def test_per_customer_limit_refuses_the_lower_priority_link() -> None:
    values = {"a": {"national_id": {"X"}}, "b": {"national_id": {"Y"}}}
    links = [
        # Both c-links would put two national ids in one customer; the stronger type wins.
        Link("c", "b", LinkKind.IDENTIFIER, detail="phone", type_rank=4),
        Link("c", "a", LinkKind.IDENTIFIER, detail="email", type_rank=3),
    ]
    result = cluster(["a", "b", "c"], links, [], values, {"national_id": 1})
    assert _sets(result.clusters) == {frozenset("ac"), frozenset("b")}
    assert "at most 1 distinct national_id" in result.refused[0][1]


def test_approved_links_come_before_model_links() -> None:
    links = [
        Link("a", "c", LinkKind.MODEL, probability=0.99),
        Link("a", "b", LinkKind.APPROVED),
    ]
    result = cluster(["a", "b", "c"], links, cannot_link=[("b", "c")])
    assert _sets(result.clusters) == {frozenset("ab"), frozenset("c")}
