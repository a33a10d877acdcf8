"""The demo world end to end: no plaintext PII written anywhere, and an erasure leaves no trace.

`customer-graph demo` runs as a user would (ingest, resolve, train, promote) into a fresh
data dir; then every file it wrote (graph persistence, event log, dead letters, models) and
its log output are searched for the demo world's raw emails and phones. A customer is then
erased and the graph, the event log, the served embeddings, the review queue and the logs
are searched for any of their identifiers or values; a late event for them is suppressed.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from customer_graph.runtime import build_pipeline, erasure_service, graph_store
from customer_graph.settings import Settings
from gnn.registry import GnnRegistry
from graph.port import GraphStore
from graph.queries import Cypher
from identity.config import DEFAULT_BLOCKLIST
from ingestion.results import RawMessage

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = "120"
NODES = Cypher("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props", "test/nodes")
EDGES = Cypher("MATCH ()-[r]->() RETURN type(r) AS type, properties(r) AS props", "test/edges")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data dir after `customer-graph demo`, and the run's log output (stderr)."""
    data_dir = tmp_path_factory.mktemp("privacy-demo")
    env = {**os.environ, "CG_DATA_DIR": str(data_dir), "CG_DEMO_PEOPLE": PEOPLE}
    env["CG_LOG_LEVEL"] = "DEBUG"
    done = subprocess.run(
        [sys.executable, "-m", "customer_graph", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return data_dir, done.stderr


def _raw_contacts(world: Path) -> set[str]:
    """Every raw email and phone of the demo world's records and events, as sent."""
    found: set[str] = set()
    with (world / "records.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            found.update(v for v in (row["email"], row["phone"]) if v and len(v) > 5)
    with (world / "events.jsonl").open(encoding="utf-8") as f:
        for line in f:
            ids = json.loads(line).get("identifiers") or {}
            found.update(v for k in ("email", "phone") if len(v := ids.get(k) or "") > 5)
    return found


def _written_files(data_dir: Path) -> Iterable[Path]:
    """Every file the product wrote (not the demo world's source files, not the key store:
    it holds only wrapped keys)."""
    for path in data_dir.rglob("*"):
        if path.is_file() and not {"demo", "keys"} & set(path.relative_to(data_dir).parts[:1]):
            yield path


def _hits(haystacks: dict[str, bytes], needles: Iterable[str]) -> list[tuple[str, str]]:
    lowered = {name: data.lower() for name, data in haystacks.items()}
    return [
        (needle, name)
        for needle in needles
        for name, data in lowered.items()
        if needle.lower().encode() in data
    ]


def test_no_plaintext_email_or_phone_is_written_anywhere(demo_dir: tuple[Path, str]) -> None:
    data_dir, logs = demo_dir
    contacts = _raw_contacts(data_dir / "demo")
    assert len(contacts) > 100
    files = {str(p.relative_to(data_dir)): p.read_bytes() for p in _written_files(data_dir)}
    assert any("falkordb" in name for name in files)  # the graph's own persistence
    assert any(name.endswith("events.sqlite3") for name in files)
    files["logs"] = logs.encode()
    assert _hits(files, contacts) == []


async def _dump(store: GraphStore) -> str:
    """Everything the graph stores, as stored (read past the decrypting store)."""
    raw: GraphStore = store.inner  # type: ignore[attr-defined]
    nodes = await raw.read(NODES)
    edges = await raw.read(EDGES)
    return json.dumps([*nodes, *edges], default=str)


async def test_erasure_leaves_no_trace_and_late_events_are_suppressed(
    demo_dir: tuple[Path, str], caplog: pytest.LogCaptureFixture
) -> None:
    data_dir, _ = demo_dir
    caplog.set_level(logging.DEBUG)
    settings = Settings(data_dir=data_dir)
    async with graph_store(settings) as store:
        plain = await store.inner.read(NODES)  # type: ignore[attr-defined]
        records = [r["props"] for r in plain if "Record" in r["labels"]]
        assert records
        assert all(r.get("first_name") is None for r in records)
        assert all(str(r.get("pii", "pii1.")).startswith("pii1.") for r in records)

        service = erasure_service(settings, store)
        registry = GnnRegistry(settings.gnn_model_dir)
        current = registry.current()
        assert current is not None
        served_users = set(current.ids()[0])
        rows = await store.read(
            Cypher(
                "MATCH (c:Customer {status: 'active'})<-[:BELONGS_TO]-(r:Record) "
                "RETURN c.id AS id, count(r) AS n ORDER BY n DESC, id",
                "test/customers",
            )
        )
        chosen = next(r["id"] for r in rows if r["id"] in served_users)
        subject = await service.subject(chosen)
        assert subject.record_keys
        assert subject.identifier_keys
        world = data_dir / "demo"
        with (world / "records.csv").open(encoding="utf-8", newline="") as f:
            source_rows = [
                row
                for row in csv.DictReader(f)
                if f"{row['source']}:{row['source_id']}" in subject.record_keys
            ]
        # Their raw contacts, full names and addresses as the sources sent them (a first name
        # alone is not theirs: other people share it).
        # Placeholders the demo world's sources typed ("null", test@test.com) are nobody's.
        junk = {v.lower() for v in DEFAULT_BLOCKLIST}
        raw = {
            v
            for row in source_rows
            for v in (row["email"], row["phone"])
            if len(v) > 5 and v.lower() not in junk
        }
        raw |= {
            f"{row['first_name']} {row['last_name']}"
            for row in source_rows
            if row["first_name"] and row["last_name"]
        }
        raw |= {row["address"] for row in source_rows if len(row["address"]) > 8}
        anonymous = [k.split(":", 1)[1] for k in subject.identifier_keys if k.startswith("cookie:")]
        needles = {
            *subject.customer_ids,
            *subject.record_keys,
            *subject.identifier_keys,
            *raw,
        }
        assert await _dump(store)  # the dump works before
        assert _hits({"graph": (await _dump(store)).encode()}, subject.record_keys)

        receipt = await service.erase(chosen, actor="admin:test", reason="ticket 42")
        assert receipt.counts["records"] == len(subject.record_keys)
        assert receipt.counts["keys_shredded"] >= len(subject.record_keys)
        assert receipt.counts["embeddings"] >= 1
        assert receipt.counts["event_log"] >= 1

        places = {
            "graph": (await _dump(store)).encode(),
            "event_log": (settings.ingest_dir / "events.sqlite3").read_bytes(),
            "logs": caplog.text.encode(),
        }
        for path in settings.gnn_model_dir.rglob("*"):
            if path.is_file():
                places[f"model:{path.name}"] = path.read_bytes()
        hits = _hits(places, needles)
        where = [
            n["labels"]
            for n in await store.inner.read(NODES)  # type: ignore[attr-defined]
            if any(h in json.dumps(n["props"]) for h, _ in hits)
        ]
        assert hits == [], (sorted(hits), where, receipt)
        assert chosen not in set(GnnRegistry(settings.gnn_model_dir).current().ids()[0])  # type: ignore[union-attr]

        # Late events for an erased identifier are suppressed, not stored: one that would
        # re-create the cookie and its interaction, and one that writes nothing to the graph.
        assert anonymous
        pipeline = build_pipeline(settings, store)
        try:
            late = [
                {
                    "schema_version": 1,
                    "event_id": f"late-after-erasure-{n}",
                    "type": kind,
                    "occurred_at": "2026-11-23T10:00:00Z",
                    "identifiers": {"anonymous_id": anonymous[0]},
                    "properties": properties,
                }
                for n, (kind, properties) in enumerate(
                    [("product_view", {"item_id": "I-85123A"}), ("page_view", {"page": "/"})]
                )
            ]
            messages = [RawMessage(json.dumps(e).encode(), "test:late-event") for e in late]
            result = await pipeline.ingest_events(messages)
        finally:
            pipeline.close()
        assert result.suppressed == 2
        after = {
            "graph": (await _dump(store)).encode(),
            "event_log": (settings.ingest_dir / "events.sqlite3").read_bytes(),
        }
        assert _hits(after, [*needles, "late-after-erasure-0", "late-after-erasure-1"]) == []
        # Nor do the metrics this process exposes (the ingestion and privacy-gate counters
        # the late events moved): names of operations and outcomes only.
        metrics = generate_latest()
        assert b"cg_privacy_gate_total" in metrics
        assert _hits({"metrics": metrics}, [*needles, *_raw_contacts(world)]) == []
