"""Golden record survivorship with lineage."""

from __future__ import annotations

from identity.golden_record import Survivorship
from identity.records import MatchRecord


def _record(key: str, source: str, updated_at: int, **attrs: str | None) -> MatchRecord:
    return MatchRecord(key=key, source=source, updated_at=updated_at, attrs=attrs, identifiers=())


def test_names_prefer_trusted_source_addresses_prefer_recency() -> None:
    crm = _record(
        "crm:1",
        "crm",
        10,
        first_name="Robert",
        last_name="Smith",
        address="1 Old Road",
        postcode="LS1 1AA",
        city="Leeds",
    )
    web = _record(
        "web:1",
        "web",
        20,
        first_name="Bob",
        last_name="Smith",
        address="9 New Street",
        postcode="M1 1AA",
        city="Manchester",
    )
    golden = Survivorship(["crm", "app", "web"]).golden([web, crm])
    assert golden.attrs["first_name"] == "Robert"
    assert golden.lineage["first_name"].record_key == "crm:1"
    assert golden.lineage["first_name"].rule == "source trust"
    assert (golden.attrs["address"], golden.attrs["city"]) == ("9 New Street", "Manchester")
    assert golden.lineage["postcode"].rule == "recency"


def test_completeness_breaks_ties_and_junk_dates_are_ignored() -> None:
    a = _record("web:1", "web", 10, first_name="Al", date_of_birth="1900-01-01")
    b = _record("web:2", "web", 5, first_name="Alfred", date_of_birth="1980-02-03")
    golden = Survivorship(["crm"], frozenset({"1900-01-01"})).golden([a, b])
    assert golden.attrs["first_name"] == "Alfred"
    assert golden.lineage["first_name"].rule == "completeness"
    assert golden.attrs["date_of_birth"] == "1980-02-03"
    assert golden.lineage["date_of_birth"].rule == "only value"
