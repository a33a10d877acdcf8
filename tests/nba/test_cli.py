"""`customer-graph nba …` in-process (in a thread: the commands run their own event loop)
over the session's running store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from typer.main import get_command
from typer.testing import CliRunner

from customer_graph import cli
from customer_graph.commands import nba
from customer_graph.settings import Settings, get_settings
from graph.port import GraphStore
from nba.exposures import Exposure, ExposureLog
from nba.features import DIM
from nba.state import load_state
from tests.contract.query_cases import apply, interaction
from tests.nba.conftest import NOW

HOUR = 3_600_000


def _invoke(data_dir: Path, *args: str, **env: str) -> tuple[int, str]:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            nba.app, list(args), env={"CG_DATA_DIR": str(data_dir), "COLUMNS": "200", **env}
        )
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


async def _cli(data_dir: Path, *args: str, **env: str) -> tuple[int, str]:
    return await asyncio.to_thread(_invoke, data_dir, *args, **env)


def test_the_group_is_registered() -> None:
    assert "nba" in get_command(cli.app).commands  # type: ignore[attr-defined]


def test_actions_lists_the_catalogue(tmp_path: Path) -> None:
    code, out = _invoke(tmp_path, "actions")
    assert code == 0, out
    for action in ("welcome-10", "loyalty-double-points", "guide-gifts"):
        assert action in out
    assert '{"rfm":["champions","loyal"]}' in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[[actions]]\nid = "x"\nkind = "offer"\nchannel = "web"\ntitle = "X"\n')
    code, out = _invoke(tmp_path, "actions", CG_NBA_CATALOGUE_FILE=str(bad))
    assert code == 2
    assert "action 'x' (actions[0]): consent: an offer needs 'marketing'" in out


async def test_update_rewards_from_the_graph_and_saves_the_state(
    graph: GraphStore, nba_db: Path
) -> None:
    data_dir = nba_db.parent
    settings = Settings(data_dir=data_dir)
    log = ExposureLog(settings.nba_exposure_log, background=False)
    for name, subject in (("converted", "cookie:a"), ("idle", "cookie:b")):
        log.append(
            Exposure(name, subject, None, "guide-gifts", "contextual", False, 0.1,
                     np.zeros(DIM), NOW)
        )  # fmt: skip
    log.shutdown()
    bought = interaction("cookie:a", "I1", first_at=NOW + HOUR, last_at=NOW + HOUR)
    await apply(graph, 0, 1, interactions=[bought])
    when = datetime.fromtimestamp((NOW + 48 * HOUR) / 1000, UTC).isoformat()

    code, out = await _cli(data_dir, "update", "--now", when)
    assert code == 0, out
    assert "closed 2 exposures: 1 rewarded (a conversion within 24 h), 1 without" in out
    assert "learned 2 exposures; state version 1" in out
    state = load_state(settings.nba_model_dir)
    assert state is not None
    assert state.contextual.pulls.sum() == 2
    code, out = await _cli(data_dir, "actions")
    assert "state version 1, learned up to exposure 2" in out
    code, out = await _cli(data_dir, "update", "--now", "not-a-time")
    assert code == 2
