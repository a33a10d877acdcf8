"""`customer-graph segments …` over the test world's running store: the command group is
invoked in-process (in a thread: the commands run their own event loop), since a
`customer-graph` subprocess spends ~8 s importing every command's dependencies."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.main import get_command
from typer.testing import CliRunner

from customer_graph import cli
from customer_graph.commands import segments
from customer_graph.settings import get_settings
from graph.port import GraphStore


class Result:
    """What a command printed and its exit code."""

    def __init__(self, returncode: int, stdout: str) -> None:
        self.returncode = returncode
        self.stdout = stdout


def _invoke(data_dir: Path, *args: str) -> Result:
    get_settings.cache_clear()
    try:
        env = {"CG_DATA_DIR": str(data_dir), "COLUMNS": "200"}
        result = CliRunner().invoke(segments.app, list(args), env=env)
    finally:
        get_settings.cache_clear()
    return Result(result.exit_code, result.output)


async def _cli(data_dir: Path, *args: str) -> Result:
    return await asyncio.to_thread(_invoke, data_dir, *args)


def test_the_group_is_registered() -> None:
    group = get_command(cli.app)
    assert "segments" in group.commands  # type: ignore[attr-defined]


async def test_define_evaluate_list_members(
    world: GraphStore, segments_db: Path, tmp_path: Path
) -> None:
    data_dir = segments_db.parent
    good = tmp_path / "buyers.json"
    rule = {"event": "purchase", "within": "30d", "min_count": 3}
    good.write_text(json.dumps({"id": "buyers", "name": "Frequent buyers", "rule": rule}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "x", "name": "X", "rule": {"event": "buy"}}))

    defined = await _cli(data_dir, "define", str(good))
    assert defined.returncode == 0, defined.stdout
    assert "defined buyers" in defined.stdout
    refused = await _cli(data_dir, "define", str(bad))
    assert refused.returncode == 2
    assert "rule.event" in refused.stdout
    # The world's times are day 1000 since the epoch: evaluate as of then.
    evaluated = await _cli(data_dir, "evaluate", "--now", "1972-09-27T00:00:00")
    assert evaluated.returncode == 0, evaluated.stdout
    assert "evaluated 3 customers" in evaluated.stdout
    assert "buyers: 1" in evaluated.stdout
    listed = await _cli(data_dir, "list")
    assert "Frequent buyers" in listed.stdout
    assert "rfm:champions" in listed.stdout
    members = await _cli(data_dir, "members", "buyers")
    assert members.stdout.splitlines() == ["C1\t1972-09-27T00:00:00+00:00\t1"]
    missing = await _cli(data_dir, "members", "nope")
    assert missing.returncode == 2
