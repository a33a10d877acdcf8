"""Time decay of interactions: 0.5^(age / half-life), age in days before a reference time."""

from __future__ import annotations

import numpy as np

from gnn.interactions import Interactions

DAY_MS = 86_400_000


def decay(age_ms: np.ndarray, half_life_days: float) -> np.ndarray:
    """0.5^(age / half-life) per age in ms (negative ages count as 0); ones when off (<= 0)."""
    age = np.maximum(np.asarray(age_ms, np.float64), 0.0)
    if half_life_days <= 0:
        return np.ones(age.shape)
    weights: np.ndarray = 0.5 ** (age / (half_life_days * DAY_MS))
    return weights


def global_recency(data: Interactions, half_life_days: float) -> np.ndarray:
    """Per edge: decay by the time from its last interaction to the latest in `data`."""
    if len(data) == 0:
        return np.ones(0)
    return decay(data.last_at.max() - data.last_at, half_life_days)


def user_recency(data: Interactions, half_life_days: float) -> np.ndarray:
    """Per edge: decay by the time from its last interaction to its user's latest one."""
    latest = np.full(data.n_users, np.iinfo(np.int64).min, np.int64)
    np.maximum.at(latest, data.users, data.last_at)
    return decay(latest[data.users] - data.last_at, half_life_days)
