"""`customer-graph demo`, run as a user would: twice, then checked for leftovers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from graph.embedded_server import EmbeddedFalkorDB

ROOT = Path(__file__).resolve().parents[2]


def _demo(data_dir: Path, *command: str) -> str:
    env = {**os.environ, "CG_DATA_DIR": str(data_dir), "CG_DEMO_PEOPLE": "120", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "customer_graph", *(command or ("demo",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _counts(output: str) -> dict[str, int]:
    pattern = r"│ (?:nodes|relationships)\s+│ (\w+)\s+│\s+([\d,]+) │"
    return {name: int(n.replace(",", "")) for name, n in re.findall(pattern, output)}


def test_demo_twice_loads_once_and_leaves_no_server(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert "Generated the demo world (120 people" in first
    counts = _counts(first)
    assert {"Record", "Item", "Identifier", "HAS_ID", "INTERACTED", "SEEN_WITH"} <= set(counts)
    assert str(tmp_path / "falkordb") in first.replace("\n", "")

    assert re.search(r"events\.jsonl \(events\): ([\d,]+) messages → \1 accepted", first)
    assert {"Customer", "BELONGS_TO", "AuditEntry"} <= set(counts)
    assert re.search(r"Resolved [\d,]+ records into [\d,]+ customers", first)
    assert "Identity resolution vs the demo world's ground truth" in first
    assert re.search(r"GraphSAGE / best baseline \(\w+\) NDCG@20: [\d.]+", first)
    assert re.search(r"│ graphsage\s+│\s+[\d.]+", first)
    assert re.search(r"│ itemknn\s+│", first)
    promoted = re.search(r"Promoted (g[\w-]+)", first)
    assert promoted
    assert (tmp_path / "models" / "gnn" / promoted[1] / "report.html").is_file()
    assert re.search(r"Top 5 for customer cus_\w+ \(model\): ", first)

    second = _demo(tmp_path)
    assert "Reusing the demo world" in second
    assert re.search(r"events\.jsonl \(events\): ([\d,]+) messages → 0 accepted, \1 dup", second)
    assert re.search(r"records\.csv \(records\): ([\d,]+) messages → 0 accepted, \1 dup", second)
    assert "No record changed" in second
    assert f"Recommendation model {promoted[1]} is current for this data" in second
    assert _counts(second) == counts

    assert EmbeddedFalkorDB(tmp_path / "falkordb").running() is None


def test_ml_engineer_trains_lists_promotes_and_rolls_back(tmp_path: Path) -> None:
    _demo(tmp_path)
    trained = _demo(tmp_path, "gnn", "train", "--no-promote")
    new = re.search(r"Registered (g[\w-]+) \(not promoted\)", trained)
    assert new, trained
    listing = _demo(tmp_path, "gnn", "list")
    rows = re.findall(r"│ (g[\w-]+)\s+│ (\*?)\s+│", listing)
    assert [row[1] for row in rows] == ["*", ""], listing
    assert rows[1][0] == new[1]
    assert new[1] in _demo(tmp_path, "gnn", "promote", new[1])
    assert rows[0][0] in _demo(tmp_path, "gnn", "rollback")
    assert re.findall(r"│ (g[\w-]+)\s+│ (\*?)\s+│", _demo(tmp_path, "gnn", "list"))[0][1] == "*"
    missing = subprocess.run(
        [sys.executable, "-m", "customer_graph", "gnn", "promote", "g-nope"],
        cwd=ROOT,
        env={**os.environ, "CG_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2
    assert "not found" in missing.stdout
