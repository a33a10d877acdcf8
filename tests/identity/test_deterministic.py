"""Deterministic links with merge protection: blocklist, per-value limits, weak types."""

from __future__ import annotations

from identity.config import MergeProtection
from identity.deterministic import identifier_links, shared_identifier_pairs
from identity.links import LinkKind
from identity.records import MatchRecord


def _record(key: str, *identifiers: str) -> MatchRecord:
    return MatchRecord(key=key, source="crm", updated_at=1, attrs={}, identifiers=identifiers)


def test_blocklisted_value_does_not_link() -> None:
    records = [_record("a", "email:junk"), _record("b", "email:junk"), _record("c", "email:ok")]
    protection = MergeProtection(blocked_keys=frozenset({"email:junk"}))
    pairs, protected = shared_identifier_pairs(records, protection)
    assert pairs == []
    assert [(p.identifier_key, p.reason) for p in protected] == [
        ("email:junk", "blocklisted placeholder value")
    ]


def test_value_shared_by_too_many_records_does_not_link() -> None:
    tablet = [_record(k, "device:tablet") for k in "abcd"]
    protection = MergeProtection(max_records_per_value={"device": 3})
    pairs, protected = shared_identifier_pairs(tablet, protection)
    assert pairs == []
    assert protected[0].records == 4
    # Graph-wide counts count too: two records here, but six in the graph.
    pairs, _ = shared_identifier_pairs(tablet[:2], protection, {"device:tablet": 6})
    assert pairs == []


def test_weak_identifiers_need_the_model_and_strong_ones_can_be_vetoed() -> None:
    records = [_record("a", "device:d", "email:e"), _record("b", "device:d", "email:e")]
    protection = MergeProtection()
    pairs, _ = shared_identifier_pairs(records, protection)
    assert {p.identifier_type for p in pairs} == {"device", "email"}
    links, refused = identifier_links(pairs, {("a", "b"): 0.3}, protection, 0.5, 0.01)
    assert [(link.kind, link.detail) for link in links] == [(LinkKind.IDENTIFIER, "email")]
    assert "not corroborated" in refused[0][1]
    links, refused = identifier_links(pairs, {("a", "b"): 0.001}, protection, 0.5, 0.01)
    assert links == []
    assert any("vetoed" in reason for _, reason in refused)
    links, _ = identifier_links(pairs, {("a", "b"): 0.7}, protection, 0.5, 0.01)
    assert {link.kind for link in links} == {LinkKind.IDENTIFIER, LinkKind.WEAK_IDENTIFIER}


def test_personal_identifiers_are_never_vetoed_by_the_model() -> None:
    records = [_record("a", "login:u-1"), _record("b", "login:u-1")]
    pairs, _ = shared_identifier_pairs(records, MergeProtection())
    links, refused = identifier_links(pairs, {("a", "b"): 0.0}, MergeProtection(), 0.5, 0.01)
    assert [link.detail for link in links] == ["login"]
    assert refused == []
