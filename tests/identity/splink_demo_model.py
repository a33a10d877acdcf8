"""A real Splink model trained on the demo world, for the fast-scoring tests and benchmark."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.splink_dataframe import SplinkDataFrame

from demo_world import DemoWorldConfig, generate

TF_COLUMNS = ("first_name", "last_name", "full_name", "city", "email", "country")


@dataclass(frozen=True)
class DemoModel:
    """A trained model, its own predictions and what scoring needs besides the model."""

    linker: Linker
    db_api: DuckDBAPI
    settings: dict[str, Any]
    predictions: pd.DataFrame
    term_frequencies: dict[str, dict[str, float]]
    records: dict[str, dict[str, Any]]


def demo_frame(output_dir: Path, people: int = 400) -> pd.DataFrame:
    """Generate a demo world and prepare its records.csv as model input columns."""
    generate(DemoWorldConfig(people=people, days=30, holdout_days=7, output_dir=output_dir))
    raw = pd.read_csv(output_dir / "records.csv", dtype=str, keep_default_na=False, na_values=[""])

    def clean(column: str) -> pd.Series:
        return raw[column].str.strip().str.lower()

    phone = raw["phone"].str.replace(r"\D", "", regex=True)
    frame = pd.DataFrame(
        {
            "unique_id": raw["source_id"],
            "first_name": clean("first_name"),
            "last_name": clean("last_name"),
            "date_of_birth": raw["date_of_birth"],
            "postcode": raw["postcode"].str.strip().str.upper(),
            "city": clean("city"),
            "address": clean("address"),
            "email": clean("email"),
            "phone": phone.mask(phone == ""),
            "country": clean("country"),
        }
    )
    frame["full_name"] = frame["first_name"] + " " + frame["last_name"]
    # A few dates in a lenient form that DuckDB's try_strptime also reads ("1985-7-4"):
    # pairs with them are outside the Python twin's domain and go through DuckDB.
    dates = frame["date_of_birth"]
    lenient = dates[dates.str.contains("-0", na=False)].index[:8]
    frame.loc[lenient, "date_of_birth"] = dates[lenient].str.replace(r"-0(\d)", r"-\1", regex=True)
    return frame.astype(object).where(frame.notna(), None)


def train_demo_model(frame: pd.DataFrame) -> DemoModel:
    """EM + random-sampling u + term-frequency adjustments, then Splink's own predictions."""
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "last_name", forename_surname_concat_col_name="full_name"
            ),
            cl.NameComparison("city").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
            cl.PostcodeComparison("postcode"),
            cl.EmailComparison("email"),
            cl.ExactMatch("country").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("last_name"),
            block_on("email"),
            block_on("phone"),
            block_on("postcode"),
        ],
        retain_intermediate_calculation_columns=True,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level=logging.ERROR)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone")], recall=0.8
    )
    training.estimate_u_using_random_sampling(max_pairs=1e5, seed=1)
    training.estimate_parameters_using_expectation_maximisation(block_on("last_name"))
    training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = to_frame(linker.inference.predict())
    return DemoModel(
        linker=linker,
        db_api=db_api,
        settings=linker.misc.save_model_to_json(),
        predictions=predictions,
        term_frequencies=term_frequencies(linker, TF_COLUMNS),
        records=records_by_id(frame),
    )


def to_frame(table: SplinkDataFrame) -> pd.DataFrame:
    """A Splink (DuckDB) table as pandas."""
    frame: pd.DataFrame = table.as_duckdbpyrelation().df()
    return frame


def records_by_id(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The prepared rows as scoring input: {unique_id: {column: value or None}}."""
    rows = frame.to_dict("records")
    return {str(row["unique_id"]): {str(k): v for k, v in row.items()} for row in rows}


def term_frequencies(linker: Linker, columns: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Splink's ``__splink__df_tf_<col>`` tables as {column: {value: frequency}}."""
    found = {}
    for column in columns:
        table = to_frame(linker.table_management.compute_tf_table(column))
        found[column] = dict(zip(table[column], table[f"tf_{column}"], strict=True))
    return found
