"""Plain Splink, configured like Splink's own Febrl tutorials, as the accuracy baseline.

- febrl4: the febrl4 tutorial's "detailed model" (link_only A ↔ B), its blocking rules,
  prior from deterministic rules at recall 0.8, u by random sampling (1e6 pairs), EM blocked
  on date_of_birth then postcode without term frequencies.
- febrl3: the febrl3 tutorial (dedupe_only), its comparisons and blocking, recall 0.9.
- generic (demo world, --records): the febrl4 detailed model on whichever columns exist,
  see `_generic_model`. Values are lower-cased and whitespace-collapsed and phones reduced
  to their last 10 digits first: Splink expects standardised input and does none itself.
Clusters are connected components of pairs at or above each threshold
(`cluster_pairwise_predictions_at_threshold`).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

from benchmarks.identity_datasets import BenchDataset

Rule = BlockingRuleCreator
FEBRL_NAMES = {
    "first_name": "given_name",
    "last_name": "surname",
    "city": "suburb",
    "national_id": "soc_sec_id",
}
U_MAX_PAIRS = 1e6
U_SEED = 2  # the febrl3 tutorial's seed; the febrl4 one sets none (runs would differ)


@dataclass(frozen=True)
class Model:
    """Comparisons, blocking and training recipe of one Splink model."""

    comparisons: list[ComparisonCreator]
    blocking: list[Rule]
    deterministic: list[Rule]
    recall: float
    em_blocking: list[Rule]
    em_without_tf: bool


@dataclass
class BaselineResult:
    """Clusters at each threshold (record key → cluster id) and how long each step took."""

    clusters: dict[float, dict[str, str]]
    train_seconds: float
    predict_seconds: float
    cluster_seconds: float
    pairs_scored: int
    prior: float
    comparisons: list[str] = field(default_factory=list)


def _febrl4_model() -> Model:
    return Model(
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        blocking=[
            block_on("given_name", "surname"),
            CustomRule("l.given_name = r.surname and l.surname = r.given_name"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        deterministic=[block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
        recall=0.8,
        em_blocking=[block_on("date_of_birth"), block_on("postcode")],
        em_without_tf=True,
    )


def _febrl3_model() -> Model:
    return Model(
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        blocking=[
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
        deterministic=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            CustomRule(
                "l.given_name = r.surname and l.surname = r.given_name "
                "and l.date_of_birth = r.date_of_birth"
            ),
        ],
        recall=0.9,
        em_blocking=[block_on("date_of_birth"), block_on("postcode")],
        em_without_tf=False,
    )


def _generic_model(columns: set[str], dob_format: str) -> Model:
    """The febrl4 detailed model, one comparison per column present:

    names: NameComparison + tf; date_of_birth: DateOfBirthComparison (invalid → null);
    national_id: DamerauLevenshtein [1, 2]; street_number: exact + tf; postcode:
    DamerauLevenshtein [1, 2] + tf, or city exact + tf when there is no postcode (the
    tutorial leaves other location columns out, as they follow the postcode); email:
    EmailComparison; phone and login_id: exact. Blocking: each of those columns alone
    (names as a pair, and swapped). Prior: national_id, or names + date_of_birth, recall
    0.8. EM: blocked on the first two of date_of_birth, postcode, last_name, first_name.
    """
    has = columns.__contains__
    comparisons: list[ComparisonCreator] = [
        cl.NameComparison(c).configure(term_frequency_adjustments=True)
        for c in ("first_name", "last_name")
        if has(c)
    ]
    if has("date_of_birth"):
        comparisons.append(
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format=dob_format,
                invalid_dates_as_null=True,
            )
        )
    if has("national_id"):
        comparisons.append(cl.DamerauLevenshteinAtThresholds("national_id", [1, 2]))
    if has("street_number"):
        comparisons.append(
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True)
        )
    if has("postcode"):
        postcode = cl.DamerauLevenshteinAtThresholds("postcode", [1, 2])
        comparisons.append(postcode.configure(term_frequency_adjustments=True))
    elif has("city"):
        comparisons.append(cl.ExactMatch("city").configure(term_frequency_adjustments=True))
    if has("email"):
        comparisons.append(cl.EmailComparison("email"))
    comparisons += [cl.ExactMatch(c) for c in ("phone", "login_id") if has(c)]
    names = has("first_name") and has("last_name")
    blocking: list[Rule] = []
    if names:
        blocking += [
            block_on("first_name", "last_name"),
            CustomRule("l.first_name = r.last_name and l.last_name = r.first_name"),
        ]
    singles = ("date_of_birth", "national_id", "postcode", "email", "phone", "login_id")
    blocking += [block_on(c) for c in singles if has(c)]
    if has("street_number") and has("address_1"):
        blocking.append(block_on("street_number", "address_1"))
    deterministic: list[Rule] = [block_on("national_id")] if has("national_id") else []
    if names and has("date_of_birth"):
        deterministic.append(block_on("first_name", "last_name", "date_of_birth"))
    em_columns = [c for c in ("date_of_birth", "postcode", "last_name", "first_name") if has(c)]
    return Model(
        comparisons=comparisons,
        blocking=blocking,
        deterministic=deterministic or blocking[:1],
        recall=0.8,
        em_blocking=[block_on(c) for c in em_columns[:2]],
        em_without_tf=True,
    )


def _standardise(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column in ("record_id", "cluster"):
            continue
        out[column] = out[column].map(
            lambda v: re.sub(r"\s+", " ", v).strip().lower() if isinstance(v, str) else v
        )
    if "phone" in out.columns:
        out["phone"] = out["phone"].map(
            lambda v: re.sub(r"\D", "", v)[-10:] or None if isinstance(v, str) else v
        )
    return out


def splink_frame(dataset: BenchDataset) -> tuple[pd.DataFrame, Model]:
    """The input table (record_id + model columns) and the model for `dataset`."""
    if dataset.model == "generic":
        frame = _standardise(dataset.frame)
        model = _generic_model(set(frame.columns), dataset.dob_format)
    else:
        frame = dataset.frame.rename(columns=FEBRL_NAMES)
        model = _febrl4_model() if dataset.model == "febrl4" else _febrl3_model()
    used = [c for c in frame.columns if c not in ("device_ids", "cookie_ids", "updated_at")]
    return frame[used], model


def run_baseline(dataset: BenchDataset, thresholds: list[float]) -> BaselineResult:
    """Train the tutorial model, predict, and cluster at every threshold."""
    frame, model = splink_frame(dataset)
    settings = SettingsCreator(
        unique_id_column_name="record_id",
        link_type=dataset.link_type,
        blocking_rules_to_generate_predictions=list[Rule | dict[str, Any]](model.blocking),
        comparisons=list[ComparisonCreator | dict[str, Any]](model.comparisons),
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    if dataset.link_type == "link_only":
        tables = [db_api.register(part) for _, part in frame.groupby("source", sort=True)]
    else:
        tables = [db_api.register(frame)]
    started = time.perf_counter()
    linker = Linker(tables, settings, log_level=logging.WARNING)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        list[Rule | str](model.deterministic), model.recall
    )
    training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=U_SEED)
    for rule in model.em_blocking:
        training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=model.em_without_tf
        )
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=min(thresholds))
    predict_seconds = time.perf_counter() - started
    pairs = int(predictions.as_duckdbpyrelation().count("*").fetchall()[0][0])
    started = time.perf_counter()
    clusters = {t: _clusters(linker, predictions, t) for t in thresholds}
    settings_dict: dict[str, Any] = linker.misc.save_model_to_json()
    return BaselineResult(
        clusters=clusters,
        train_seconds=train_seconds,
        predict_seconds=predict_seconds,
        cluster_seconds=time.perf_counter() - started,
        pairs_scored=pairs,
        prior=float(settings_dict["probability_two_random_records_match"]),
        comparisons=[c["output_column_name"] for c in settings_dict["comparisons"]],
    )


def _clusters(linker: Linker, predictions: Any, threshold: float) -> dict[str, str]:
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    return {str(row["record_id"]): str(row["cluster_id"]) for row in clustered.as_record_list()}
