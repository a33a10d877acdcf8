"""The Splink model: comparisons and blocking rules over the columns the data really has."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

# A column joins the model only when at least this share of records has a value.
MIN_FILLED = 0.01


def filled_columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[str]:
    """Columns with enough values (and at least two distinct ones) to learn from."""
    present = []
    for column in columns:
        values = [row.get(column) for row in rows if row.get(column) is not None]
        if rows and len(values) / len(rows) >= MIN_FILLED and len(set(values)) > 1:
            present.append(column)
    return present


def comparisons(columns: Sequence[str]) -> list[ComparisonCreator | dict[str, Any]]:
    """One comparison per available attribute, with term-frequency adjustment on names."""
    have = set(columns)
    found: list[ComparisonCreator | dict[str, Any]] = []
    # The swapped-names level is in the first name's comparison only: one event (first and
    # last name swapped) counted in both comparisons was evidence counted twice, each time
    # with a near-zero chance u, and outweighed disagreeing births and national ids. In the
    # first name's it also keeps the household guard (first name, birth) from firing.
    if "first_name" in have:
        found.append(_name("first_name", "last_name" if "last_name" in have else None))
    if "last_name" in have:
        found.append(_name("last_name", None))
    if "date_of_birth" in have:
        found.append(
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y-%m-%d",
                invalid_dates_as_null=True,
            )
        )
    location = _location(have)
    if location is not None:
        found.append(location)
    if "email_hash" in have:
        levels: list[ComparisonLevelCreator | dict[str, Any]] = [
            cll.NullLevel("email_hash"),
            cll.ExactMatchLevel("email_hash"),
        ]
        if "email_local" in have:
            levels.append(cll.ExactMatchLevel("email_local"))
        levels.append(cll.ElseLevel())
        found.append(cl.CustomComparison(levels, output_column_name="email"))
    if "phone_hash" in have:
        found.append(cl.ExactMatch("phone_hash"))
    if "national_id" in have:
        found.append(_national_id("national_id_text" in have))
    return found


def _national_id(with_text: bool) -> ComparisonCreator:
    """Equal keyed hashes, else (from the sealed text) one or two typing errors apart: a
    transposed or mistyped digit is the commonest error in typed ids."""
    levels: list[ComparisonLevelCreator | dict[str, Any]] = [
        cll.NullLevel("national_id"),
        cll.ExactMatchLevel("national_id"),
    ]
    if with_text:
        levels += [cll.DamerauLevenshteinLevel("national_id_text", d) for d in (1, 2)]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name="national_id")


def _name(column: str, other: str | None) -> ComparisonCreator:
    """Splink's NameComparison levels (exact with term frequencies, Jaro-Winkler 0.92, 0.88,
    0.7), plus a level for first and last name swapped between the records."""
    levels: list[ComparisonLevelCreator | dict[str, Any]] = [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column, term_frequency_adjustments=True),
    ]
    if other is not None:
        levels.append(
            cll.ColumnsReversedLevel(column, other, symmetrical=True).configure(
                label_for_charts="first and last name swapped"
            )
        )
    levels += [cll.JaroWinklerLevel(column, t) for t in (0.92, 0.88, 0.7)]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name=column)


def _location(have: set[str]) -> ComparisonCreator | None:
    """Address, postcode and city as ONE comparison: they are strongly correlated (a
    household shares all three), so counting them separately would overstate the evidence."""
    parts = [c for c in ("address", "postcode", "city") if c in have]
    if not parts:
        return None
    null = " AND ".join(f'("{c}_l" IS NULL OR "{c}_r" IS NULL)' for c in parts)
    levels: list[ComparisonLevelCreator | dict[str, Any]] = [
        cll.CustomLevel(null, "location is NULL").configure(is_null_level=True)
    ]
    if {"address", "postcode"} <= have:
        levels.append(
            cll.And(cll.ExactMatchLevel("postcode"), cll.JaroWinklerLevel("address", 0.9))
        )
    if "postcode" in have:
        levels.append(cll.ExactMatchLevel("postcode"))
    if "address" in have:
        levels.append(cll.JaroWinklerLevel("address", 0.9))
    if "postcode" in have:
        levels.append(cll.DamerauLevenshteinLevel("postcode", 1))
    if "city" in have:
        levels.append(cll.ExactMatchLevel("city"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name="location")


def blocking_rules(columns: Sequence[str]) -> list[BlockingRuleCreator | dict[str, Any]]:
    """Which pairs are scored at all: equal names (either order), birth date, postcode,
    email, email local part, phone or national id. Incremental blocking in the graph
    (cypher/identity/candidate_records.cypher) mirrors these."""
    have = set(columns)
    rules: list[BlockingRuleCreator | dict[str, Any]] = []
    if {"first_name", "last_name"} <= have:
        rules.append(block_on("first_name", "last_name"))
        rules.append(CustomRule("l.first_name = r.last_name and l.last_name = r.first_name"))
    for name in (
        "date_of_birth",
        "postcode",
        "email_hash",
        "email_local",
        "phone_hash",
        "national_id",
    ):
        if name in have:
            rules.append(block_on(name))
    return rules


def deterministic_rules(columns: Sequence[str]) -> list[BlockingRuleCreator | str]:
    """Rules that (almost) only true matches satisfy, to estimate the prior match rate."""
    have = set(columns)
    rules: list[BlockingRuleCreator | str] = []
    if {"first_name", "last_name", "date_of_birth"} <= have:
        rules.append(block_on("first_name", "last_name", "date_of_birth"))
    for name in ("national_id", "phone_hash"):
        if name in have:
            rules.append(block_on(name))
    if not rules and {"first_name", "last_name"} <= have:
        rules.append(block_on("first_name", "last_name"))
    return rules


def em_blocking_rules(columns: Sequence[str]) -> list[BlockingRuleCreator]:
    """EM sessions: each estimates m for every comparison its rule does not block on."""
    have = set(columns)
    # Not postcode: pairs sharing a postcode are mostly household members, and EM would learn
    # that "matches" often have different first names and birth dates.
    rules = [block_on("date_of_birth")] if "date_of_birth" in have else []
    if {"first_name", "last_name"} <= have:
        rules.append(block_on("first_name", "last_name"))
    return rules


def settings(columns: Sequence[str]) -> SettingsCreator:
    """Splink settings for a dedupe over the given columns."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(columns),
        blocking_rules_to_generate_predictions=blocking_rules(columns),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )
