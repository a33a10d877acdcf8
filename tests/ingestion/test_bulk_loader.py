"""The bulk loader on a small demo world, on the embedded store: counts, idempotency, rejects."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import demo_world
from graph.factory import GraphConfig, open_graph_store
from graph.port import GraphStore
from graph.queries import Cypher
from ingestion.bulk_loader import BulkLoader
from ingestion.file_readers import read_records
from ingestion.pseudonymise import Pseudonymiser

KEY = b"test-key-test-key-test-key"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("world")
    demo_world.generate(demo_world.DemoWorldConfig(people=150, days=40, output_dir=directory))
    return directory


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[GraphStore]:
    opened = await open_graph_store(GraphConfig(url="falkordb-embedded://", data_dir=tmp_path))
    yield opened
    await opened.close()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


async def _counts(store: GraphStore) -> dict[str, int]:
    nodes = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    rels = {r["type"]: r["count"] for r in await store.read("stats/relationship_counts")}
    return {**nodes, **rels}


async def test_loads_everything_and_a_second_load_changes_nothing(
    world: Path, store: GraphStore
) -> None:
    loader = BulkLoader(store, Pseudonymiser(KEY))
    report = await loader.load(world)
    assert report.rejected == []
    assert report.records == len(_rows(world / "records.csv"))
    counts = await _counts(store)
    assert counts["Record"] == report.records
    assert counts["Item"] == len(_rows(world / "items.csv"))
    assert counts["INTERACTED"] == report.interactions > 0
    assert counts["SEEN_WITH"] == report.seen_with > 0
    assert counts["HAS_ID"] == report.identifier_links

    again = await loader.load(world)
    assert again.written.nodes_created == 0
    assert again.written.relationships_created == 0
    assert await _counts(store) == counts


async def test_interaction_totals_match_the_events(world: Path, store: GraphStore) -> None:
    await BulkLoader(store, Pseudonymiser(KEY)).load(world)
    kinds = {"product_view", "add_to_cart", "purchase"}
    with (world / "events.jsonl").open() as handle:
        expected = sum(1 for line in handle if json.loads(line)["type"] in kinds)
    [row] = await store.read(Cypher("MATCH ()-[x:INTERACTED]->() RETURN sum(x.count) AS n"))
    assert row["n"] == expected


async def test_no_plaintext_email_or_phone_reaches_the_graph(
    world: Path, store: GraphStore
) -> None:
    await BulkLoader(store, Pseudonymiser(KEY)).load(world)
    records = _rows(world / "records.csv")
    raw = {r["email"].strip().lower() for r in records if "@" in r["email"]}
    raw |= {r["phone"].strip() for r in records if r["phone"].strip()}
    values = await store.read(Cypher("MATCH (i:Identifier) RETURN i.value AS v"))
    stored = {str(r["v"]) for r in values}
    assert raw
    assert not raw & stored
    record_props = await store.read(Cypher("MATCH (r:Record) RETURN r AS r"))
    leaked = [
        v for row in record_props for v in row["r"].values() if isinstance(v, str) and v in raw
    ]
    assert leaked == []


async def test_bad_rows_are_reported_by_field_and_the_rest_loads(
    world: Path, store: GraphStore, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(world, broken)
    with (broken / "records.csv").open("a", newline="") as handle:
        handle.write("crm,,Ann,Lee,,,,,,,,,,,2026-01-01T00:00:00.000Z\n")
        handle.write("crm,X1,Ann,Lee,,,,,,,,,,,yesterday\n")
    with (broken / "events.jsonl").open("a") as handle:
        handle.write("{not json\n")
        handle.write(json.dumps({"event_id": "x", "type": "purchase"}) + "\n")
    report = await BulkLoader(store, Pseudonymiser(KEY)).load(broken)
    reasons = {(r.file, r.field) for r in report.rejected}
    assert ("records.csv", "source_id") in reasons
    assert any(r.file == "records.csv" and "updated_at" in r.reason for r in report.rejected)
    assert any(r.file == "events.jsonl" and r.field == "identifiers" for r in report.rejected)
    assert len(report.rejected) == 4
    assert report.records == len(_rows(world / "records.csv"))


def test_records_reader_hashes_identifiers(world: Path) -> None:
    records, rejected = read_records(world / "records.csv", Pseudonymiser(KEY), ingested_at=1)
    assert rejected == []
    kinds = {i.type for r in records for i in r.identifiers}
    assert {"email", "phone", "login", "cookie", "device"} <= kinds
