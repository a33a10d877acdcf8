"""`customer-graph demo`, run as a user would: twice, then checked for leftovers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from graph.embedded_server import EmbeddedFalkorDB

ROOT = Path(__file__).resolve().parents[2]


def _demo(data_dir: Path) -> str:
    env = {**os.environ, "CG_DATA_DIR": str(data_dir), "CG_DEMO_PEOPLE": "120", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "customer_graph", "demo"],
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

    second = _demo(tmp_path)
    assert "Reusing the demo world" in second
    assert re.search(r"events\.jsonl \(events\): ([\d,]+) messages → 0 accepted, \1 dup", second)
    assert re.search(r"records\.csv \(records\): ([\d,]+) messages → 0 accepted, \1 dup", second)
    assert "No record changed" in second
    assert _counts(second) == counts

    assert EmbeddedFalkorDB(tmp_path / "falkordb").running() is None
