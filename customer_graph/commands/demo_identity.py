"""The identity part of `customer-graph demo`: resolve the world, score it against the truth."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from customer_graph.runtime import identity_service
from customer_graph.settings import Settings
from graph.port import GraphStore
from identity.evaluation import Accuracy, evaluate


def true_people(directory: Path) -> dict[str, str]:
    """Record key -> true person id, from the demo world's ground truth."""
    with (directory / "truth" / "record_person.csv").open(encoding="utf-8", newline="") as f:
        return {
            f"{row['source']}:{row['source_id']}": row["person_id"] for row in csv.DictReader(f)
        }


async def resolve_and_score(
    settings: Settings,
    store: GraphStore,
    directory: Path,
    console: Console,
    records_changed: bool = True,
) -> Accuracy:
    """Resolve every record (training a model first when none exists) unless no record
    changed since the last run, then print the accuracy against the ground truth."""
    service = identity_service(settings, store)
    if records_changed or service.registry.current() is None:
        started = time.perf_counter()
        report = await service.resolve_all(lambda message: console.print(f"  {message}"))
        console.print(
            f"Resolved {report.records:,} records into {report.customers:,} customers in "
            f"{time.perf_counter() - started:.1f}s (model {report.model_version}): "
            f"{report.identifier_links:,} identifier links, {report.model_links:,} model "
            f"links, {report.refused_links:,} refused, {report.protected_values:,} protected "
            f"values, {report.review_queued:,} pairs queued for review"
        )
    else:
        console.print("No record changed: customers are as the last resolution left them")
    accuracy = evaluate(await service.assignments(), true_people(directory))
    table = Table(title="Identity resolution vs the demo world's ground truth")
    for column in ("records", "people", "customers", "precision", "recall", "F1", "cluster F1"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{accuracy.records:,}",
        f"{accuracy.true_clusters:,}",
        f"{accuracy.predicted_clusters:,}",
        f"{accuracy.precision:.4f}",
        f"{accuracy.recall:.4f}",
        f"{accuracy.f1:.4f}",
        f"{accuracy.cluster_f1:.4f}",
    )
    console.print(table)
    return accuracy
