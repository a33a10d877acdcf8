"""LinUCB learns, the state survives a save and load, and the service reloads new versions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nba.catalogue import Catalogue
from nba.consent import allow_all
from nba.features import DIM, NAMES
from nba.linucb import LinUCB
from nba.profile import DecisionContext
from nba.service import NbaConfig, NextBestActionService
from nba.simulation import MeanPolicy, Ours, World, simulate
from nba.state import STATE_FILE, BanditState, LearnRow, StateError, load_state, save_state
from tests.nba.conftest import NOW, profile


def test_linucb_finds_the_best_arm_per_context() -> None:
    rng = np.random.default_rng(0)
    model = LinUCB(["a", "b"], 3)
    truth = np.array([[0.8, 0.1, 0.0], [0.1, 0.8, 0.0]])  # a wins on x0, b on x1
    for _ in range(20):
        x = np.eye(3)[rng.integers(0, 2, size=50)]
        x[:, 2] = 1.0
        actions = rng.integers(0, 2, size=50)
        rewards = (rng.random(50) < (truth[actions] * x).sum(1)).astype(float)
        model.learn(list(actions), x, rewards)
    both = np.array([0, 1])
    mean_x0, _ = model.score(both, np.array([1.0, 0.0, 1.0]), alpha=0.0)
    mean_x1, upper = model.score(both, np.array([0.0, 1.0, 1.0]), alpha=1.0)
    assert mean_x0[0] > mean_x0[1]
    assert mean_x1[1] > mean_x1[0]
    assert (upper > mean_x1).all()  # a confidence bonus on top of the estimate
    assert model.pulls.sum() == 1000
    assert model.mean_rewards()[0] == pytest.approx(model.rewards[0] / model.pulls[0])


def test_in_a_small_simulation_linucb_regrets_less_than_random(catalogue: Catalogue) -> None:
    world = World(catalogue, seed=11)
    service = NextBestActionService(catalogue, NbaConfig(Path("/nonexistent")), seed=11)
    ours, chance = Ours(service), MeanPolicy("random", len(catalogue.actions), 1.0, 11)
    found = simulate(world, [ours, chance], rounds=3000, batch=100, seed=11)
    assert found["linucb"]["regret"] < 0.6 * found["random"]["regret"], found
    assert found["linucb"]["reward"] > found["random"]["reward"]
    assert service.state.contextual.pulls.sum() > 0
    assert service.state.personal.pulls.sum() < service.state.contextual.pulls.sum()


def _learned(catalogue: Catalogue) -> BanditState:
    state = BanditState.fresh(catalogue.ids)
    rng = np.random.default_rng(4)
    rows = [
        LearnRow(catalogue.ids[i % 3], rng.random(DIM), float(i % 2), bool(i % 3))
        for i in range(60)
    ]
    assert state.learn([*rows, LearnRow("retired-action", rng.random(DIM), 1.0, True)]) == 60
    return state


def test_state_round_trip_is_exact_and_versioned(catalogue: Catalogue, tmp_path: Path) -> None:
    state = _learned(catalogue)
    saved = save_state(tmp_path, state, learned_seq=60)
    assert saved.version == 1
    assert saved.learned_seq == 60
    loaded = load_state(tmp_path)
    assert loaded is not None
    assert loaded.version == 1
    assert loaded.learned_seq == 60
    for mine, theirs in ((state.personal, loaded.personal), (state.contextual, loaded.contextual)):
        assert theirs.action_ids == mine.action_ids
        np.testing.assert_array_equal(theirs.a, mine.a)
        np.testing.assert_array_equal(theirs.b, mine.b)
        np.testing.assert_array_equal(theirs.pulls, mine.pulls)
        np.testing.assert_allclose(theirs.theta, mine.theta)
    assert save_state(tmp_path, loaded).version == 2
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["version"] == 2
    assert meta["features"] == list(NAMES)
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically: no temporary left behind
    assert load_state(tmp_path / "empty") is None


def test_a_state_of_another_feature_layout_is_refused(tmp_path: Path) -> None:
    state = BanditState.fresh(["a"])
    save_state(tmp_path, state)
    with np.load(tmp_path / STATE_FILE) as data:
        arrays = {name: data[name] for name in data.files}
    header = json.loads(bytes(arrays["header"]).decode())
    header["features"] = header["features"][:-1]
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(tmp_path / STATE_FILE, **arrays)
    with pytest.raises(StateError, match="feature layout"):
        load_state(tmp_path)
    (tmp_path / STATE_FILE).write_bytes(b"not a zip")
    with pytest.raises(StateError, match="unreadable"):
        load_state(tmp_path)


def test_a_new_catalogue_keeps_what_known_actions_learned(catalogue: Catalogue) -> None:
    state = _learned(catalogue)
    first = catalogue.ids[0]
    moved = state.aligned(["brand-new", first])
    assert moved.personal.action_ids == ["brand-new", first]
    np.testing.assert_array_equal(moved.personal.b[1], state.personal.b[0])
    assert moved.personal.pulls[0] == 0
    np.testing.assert_array_equal(moved.personal.a[0], np.eye(DIM))


def test_the_service_reloads_a_newly_saved_version(catalogue: Catalogue, tmp_path: Path) -> None:
    service = NextBestActionService(catalogue, NbaConfig(tmp_path, reload_seconds=0.0), seed=1)
    assert service.state.version == 0
    assert service.reload() is False
    save_state(tmp_path, _learned(catalogue))
    assert service.reload() is True
    assert service.state.version == 1
    assert service.reload() is False  # unchanged file
    # decide() checks on its own once reload_seconds have passed (0 here)
    save_state(tmp_path, service.state)
    decision = service.decide(profile(), DecisionContext(channel="web"), allow_all, NOW)
    assert decision is not None
    assert service.state.version == 2
    (tmp_path / STATE_FILE).write_bytes(b"garbage")
    assert service.reload() is False  # an unusable file leaves the loaded state serving
    assert service.state.version == 2


def test_exploration_is_flagged_and_epsilon_draws_at_random(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    always = NextBestActionService(catalogue, NbaConfig(tmp_path, epsilon=1.0), seed=2)
    context = DecisionContext(channel="web", page="cart", device="mobile")
    picks = {always.decide(profile(), context, allow_all, NOW).action.id for _ in range(200)}  # type: ignore[union-attr]
    assert len(picks) >= 3
    greedy = NextBestActionService(catalogue, NbaConfig(tmp_path, alpha=0.0, epsilon=0.0))
    decision = greedy.decide(profile(), context, allow_all, NOW)
    assert decision is not None
    assert decision.exploration is False
    assert decision.score == decision.estimate
    assert decision.exposure_id.startswith("x")
