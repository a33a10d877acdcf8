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
from segments.service import SegmentService
from tests.segments import behaviour_world
from tests.segments.test_lookalike import served_model


class Result:
    """What a command printed and its exit code."""

    def __init__(self, returncode: int, stdout: str) -> None:
        self.returncode = returncode
        self.stdout = stdout


def _invoke(data_dir: Path, *args: str, graph: Path | None = None) -> Result:
    get_settings.cache_clear()
    try:
        env = {"CG_DATA_DIR": str(data_dir), "COLUMNS": "200"}
        if graph is not None:  # another data folder, the segment tests' store
            env["CG_GRAPH_URL"] = f"falkordb-embedded://{graph}"
        result = CliRunner().invoke(segments.app, list(args), env=env)
    finally:
        get_settings.cache_clear()
    return Result(result.exit_code, result.output)


async def _cli(data_dir: Path, *args: str, graph: Path | None = None) -> Result:
    return await asyncio.to_thread(_invoke, data_dir, *args, graph=graph)


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


async def test_clusters_every_and_lookalike(
    store: GraphStore, segments_db: Path, tmp_path: Path
) -> None:
    await behaviour_world.write(store)
    then = "1972-09-27T00:00:00"  # the world's day 1000
    runs = await _cli(
        tmp_path, "clusters", "--now", then, "--every", "0.01", "--runs", "2", graph=segments_db
    )
    assert runs.returncode == 0, runs.stdout
    assert runs.stdout.count("clustered 18 customers into k=3") == 2, runs.stdout
    assert "cluster:2  Cluster 2: " in runs.stdout
    no_model = await _cli(tmp_path, "lookalike", "cluster:0", "--size", "3", graph=segments_db)
    assert no_model.returncode == 2
    assert "no version was promoted" in no_model.stdout
    groups = {"browser": [1.0, 0.0, 0.0], "buyer": [0.0, 1.0, 0.0], "lapsed": [0.0, 0.0, 1.0]}
    vectors = {cid: groups[g] for cid, g in behaviour_world.members().items()}
    served_model(tmp_path / "models" / "gnn", vectors)
    built = await _cli(tmp_path, "lookalike", "cluster:0", "--size", "3", graph=segments_db)
    assert built.returncode == 0, built.stdout
    assert "lookalike:cluster:0:3: 3 members" in built.stdout
    assert "seed 6 members, 0 without an embedding skipped; 12 candidates" in built.stdout
    segments = SegmentService(store)
    seed = {m.customer_id for m in await segments.members("cluster:0")}
    chosen = {m.customer_id for m in await segments.members("lookalike:cluster:0:3")}
    assert len(chosen) == 3
    assert not chosen & seed
    unknown = await _cli(tmp_path, "lookalike", "nope", "--size", "3", graph=segments_db)
    assert unknown.returncode == 2
    assert "seedSegmentId: no segment 'nope'" in unknown.stdout
