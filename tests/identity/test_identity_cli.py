"""`customer-graph identity …` run as a steward would, against the test store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.identity.conftest import KEY, IdentityEnv

ROOT = Path(__file__).resolve().parents[2]


def _cli(env: IdentityEnv, *args: str) -> subprocess.CompletedProcess[str]:
    variables = {
        **os.environ,
        "CG_DATA_DIR": str(env.settings.data_dir),
        "CG_HASH_KEY": KEY.get_secret_value(),
        "CG_IDENTITY_REVIEW_THRESHOLD": "0.01",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "customer_graph", "identity", *args],
        cwd=ROOT,
        env=variables,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_resolve_queue_decide_and_history_from_the_command_line(env: IdentityEnv) -> None:
    resolved = _cli(env, "resolve")
    assert resolved.returncode == 0, resolved.stderr
    assert "customers" in resolved.stdout
    assert "review queued" in resolved.stdout
    [item] = await env.steward.queue(limit=1)
    shown = _cli(env, "queue", "--limit", "1")
    assert item.left_key in shown.stdout
    assert "match weights" in shown.stdout
    rejected = _cli(env, "reject", item.left_key, item.right_key, "--actor", "steward:cli")
    assert rejected.returncode == 0, rejected.stderr
    assert "undo with: customer-graph identity undo aud_" in rejected.stdout
    history = _cli(env, "history", f"{item.left_key}|{item.right_key}")
    assert "match.rejected" in history.stdout
    assert "steward:cli" in history.stdout
    bad = _cli(env, "split", "cus_nope", "crm:nope", "--actor", "steward:cli")
    assert bad.returncode == 2
    assert "record_keys" in bad.stdout
    models = _cli(env, "models")
    assert models.stdout.startswith("* v")
