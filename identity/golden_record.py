"""Golden record: one value per attribute chosen by survivorship rules, with its lineage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from identity.records import MatchRecord

# Address parts are taken together from one record, so a golden address is never a mix.
ADDRESS_GROUP = ("address", "postcode", "city", "country")
PERSON_ATTRIBUTES = ("first_name", "last_name", "date_of_birth")


@dataclass(frozen=True)
class Survivor:
    """The chosen value of one attribute and where it came from."""

    value: Any
    record_key: str
    source: str
    rule: str  # the rule that decided between the candidates


@dataclass(frozen=True)
class GoldenRecord:
    """Attributes of a customer with per-attribute lineage."""

    attrs: dict[str, Any]
    lineage: dict[str, Survivor]


class Survivorship:
    """Per attribute: names and birth date prefer the most trusted source, then the most
    complete value, then the newest; addresses prefer the newest record (people move), then
    the most trusted source, then the most complete."""

    def __init__(self, source_trust: Sequence[str], junk_dates: frozenset[str] = frozenset()):
        self.trust = {source: rank for rank, source in enumerate(source_trust)}
        self.junk_dates = junk_dates

    def _trust(self, record: MatchRecord) -> int:
        return self.trust.get(record.source, len(self.trust))

    def _usable(self, record: MatchRecord, name: str) -> bool:
        value = record.attrs.get(name)
        if value is None or value == "":
            return False
        return not (name == "date_of_birth" and value in self.junk_dates)

    def golden(self, records: Sequence[MatchRecord]) -> GoldenRecord:
        """The golden record of a customer made of `records`."""
        attrs: dict[str, Any] = {}
        lineage: dict[str, Survivor] = {}
        for name in PERSON_ATTRIBUTES:
            chosen = self._person_choice(records, name)
            if chosen is not None:
                attrs[name], lineage[name] = chosen.value, chosen
        address = self._address_choice(records)
        if address is not None:
            for name in ADDRESS_GROUP:
                value = address[0].attrs.get(name)
                if value not in (None, ""):
                    attrs[name] = value
                    lineage[name] = Survivor(value, address[0].key, address[0].source, address[1])
        return GoldenRecord(attrs, lineage)

    def _person_choice(self, records: Sequence[MatchRecord], name: str) -> Survivor | None:
        found = _best(
            [r for r in records if self._usable(r, name)],
            lambda r: (self._trust(r), -len(str(r.attrs[name])), -r.updated_at),
            ("source trust", "completeness", "recency"),
        )
        if found is None:
            return None
        best, rule = found
        return Survivor(best.attrs[name], best.key, best.source, rule)

    def _address_choice(self, records: Sequence[MatchRecord]) -> tuple[MatchRecord, str] | None:
        return _best(
            [r for r in records if any(self._usable(r, n) for n in ADDRESS_GROUP)],
            lambda r: (
                -r.updated_at,
                self._trust(r),
                -sum(self._usable(r, n) for n in ADDRESS_GROUP),
            ),
            ("recency", "source trust", "completeness"),
        )


def _best(
    candidates: Sequence[MatchRecord],
    rank: Callable[[MatchRecord], tuple[Any, ...]],
    rules: tuple[str, ...],
) -> tuple[MatchRecord, str] | None:
    """The candidate ranked first (ties broken by record key) and the rule that decided."""
    if not candidates:
        return None
    keys = {r.key: (*rank(r), r.key) for r in candidates}
    best = min(candidates, key=lambda r: keys[r.key])
    return best, _deciding_rule(list(keys.values()), keys[best.key], rules)


def _deciding_rule(
    all_keys: list[tuple[Any, ...]], best: tuple[Any, ...], names: tuple[str, ...]
) -> str:
    """The first rule on which the winner beats every other candidate's tie so far."""
    if len(all_keys) == 1:
        return "only value"
    others = [k for k in all_keys if k != best]
    for position, name in enumerate(names):
        if all(k[position] != best[position] for k in others if k[:position] == best[:position]):
            return name
    return "record key (tie)"
