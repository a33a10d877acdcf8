"""The learned bandit state: two LinUCB models, versioned, saved atomically as one file.

`<model dir>/state.npz` holds the personalised model (full features), the contextual one
(profile part zeroed: what subjects without `personalisation` consent get), and a JSON
header (format, feature version and names, action ids, version, the exposure sequence
learned up to, time). It is written to a temporary file, fsynced and renamed: a reader sees
the old state or the new one. `meta.json` beside it is a human-readable copy of the header.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from nba.features import DIM, FEATURE_VERSION, NAMES, context_only
from nba.linucb import LinUCB

STATE_FILE = "state.npz"
META_FILE = "meta.json"
FORMAT = 1


class StateError(Exception):
    """A state file that cannot be used (corrupt, or of another feature layout)."""


@dataclass(frozen=True)
class LearnRow:
    """One closed exposure: the action shown, its features, the reward, and whether the
    profile part was used (consented)."""

    action_id: str
    features: np.ndarray
    reward: float
    personalised: bool


@dataclass(frozen=True)
class BanditState:
    """Both models and where learning stands."""

    personal: LinUCB
    contextual: LinUCB
    version: int = 0  # +1 on every save
    learned_seq: int = 0  # exposures closed up to this sequence number are learned
    updated_at: int = 0  # epoch ms of the last save

    @classmethod
    def fresh(cls, action_ids: Sequence[str], ridge: float = 1.0) -> BanditState:
        """Nothing learned yet."""
        return cls(LinUCB(action_ids, DIM, ridge), LinUCB(action_ids, DIM, ridge))

    def aligned(self, action_ids: Sequence[str]) -> BanditState:
        """The state over another catalogue's action list (see `LinUCB.aligned`)."""
        if list(action_ids) == self.personal.action_ids:
            return self
        return replace(
            self,
            personal=self.personal.aligned(action_ids),
            contextual=self.contextual.aligned(action_ids),
        )

    def learn(self, rows: Sequence[LearnRow]) -> int:
        """Learn from closed exposures (actions no longer in the catalogue are skipped);
        the number learned. Every row teaches the contextual model; consented ones the
        personalised model too."""
        index = self.personal.index
        known = [row for row in rows if row.action_id in index]
        if not known:
            return 0
        actions = [index[row.action_id] for row in known]
        x = np.stack([np.asarray(row.features, dtype=np.float64) for row in known])
        r = np.array([row.reward for row in known])
        self.contextual.learn(actions, np.stack([context_only(v) for v in x]), r)
        mine = np.array([row.personalised for row in known])
        if mine.any():
            self.personal.learn(
                [a for a, m in zip(actions, mine, strict=True) if m], x[mine], r[mine]
            )
        return len(known)


def _header(state: BanditState) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "feature_version": FEATURE_VERSION,
        "features": list(NAMES),
        "actions": state.personal.action_ids,
        "ridge": state.personal.ridge,
        "version": state.version,
        "learned_seq": state.learned_seq,
        "updated_at": state.updated_at,
        "exposures": {
            a: int(n)
            for a, n in zip(state.personal.action_ids, state.contextual.pulls, strict=True)
        },
    }


def save_state(directory: Path, state: BanditState, learned_seq: int | None = None) -> BanditState:
    """Write the state as the next version (atomically); the saved state is returned."""
    saved = replace(
        state,
        version=state.version + 1,
        learned_seq=state.learned_seq if learned_seq is None else learned_seq,
        updated_at=int(time.time() * 1000),
    )
    header = _header(saved)
    buffer = io.BytesIO()
    arrays: dict[str, np.ndarray] = {"header": np.frombuffer(json.dumps(header).encode(), np.uint8)}
    for name, model in (("personal", saved.personal), ("contextual", saved.contextual)):
        arrays |= {f"{name}_a": model.a, f"{name}_b": model.b}
        arrays |= {f"{name}_pulls": model.pulls, f"{name}_rewards": model.rewards}
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    directory.mkdir(parents=True, exist_ok=True)
    _write_atomic(directory / STATE_FILE, buffer.getvalue())
    _write_atomic(directory / META_FILE, (json.dumps(header, indent=2) + "\n").encode())
    return saved


def load_state(directory: Path) -> BanditState | None:
    """The saved state (None when there is none); `StateError` when it cannot be used."""
    path = directory / STATE_FILE
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            arrays = {name: data[name] for name in data.files if name != "header"}
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError, KeyError) as error:
        raise StateError(f"{path}: unreadable: {error}") from None
    if header.get("format") != FORMAT or header.get("features") != list(NAMES):
        raise StateError(
            f"{path}: feature layout {header.get('feature_version')} is not the current "
            f"{FEATURE_VERSION}: learn again from the exposure log"
        )
    actions, ridge = list(header["actions"]), float(header["ridge"])
    try:
        models = [
            LinUCB(
                actions, DIM, ridge,
                a=arrays[f"{name}_a"], b=arrays[f"{name}_b"],
                pulls=arrays[f"{name}_pulls"], rewards=arrays[f"{name}_rewards"],
            )
            for name in ("personal", "contextual")
        ]  # fmt: skip
    except (KeyError, ValueError, np.linalg.LinAlgError) as error:
        raise StateError(f"{path}: inconsistent arrays: {error}") from None
    return BanditState(
        models[0], models[1], int(header["version"]), int(header["learned_seq"]),
        int(header["updated_at"]),
    )  # fmt: skip


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
