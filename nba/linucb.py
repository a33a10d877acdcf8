"""Disjoint LinUCB (Li et al., 2010): one ridge regression of reward on features per action.

For action `a` with design matrix `A_a = λI + Σ x xᵀ` and `b_a = Σ r x` over the exposures
it got, the estimate is `θ_a = A_a⁻¹ b_a`; a decision scores each candidate with
`θ_aᵀx + alpha √(xᵀ A_a⁻¹ x)` (estimate plus the width of its confidence interval) and takes the
best. `A_a⁻¹` and `θ_a` are kept up to date after each learning batch, so a decision is two
small matrix-vector products over the candidates only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class LinUCB:
    """Per-action ridge regressions with their confidence widths."""

    def __init__(
        self,
        action_ids: Sequence[str],
        dim: int,
        ridge: float = 1.0,
        *,
        a: np.ndarray | None = None,
        b: np.ndarray | None = None,
        pulls: np.ndarray | None = None,
        rewards: np.ndarray | None = None,
    ) -> None:
        k = len(action_ids)
        self.action_ids = list(action_ids)
        self.index = {action: i for i, action in enumerate(self.action_ids)}
        self.dim = dim
        self.ridge = ridge
        self.a = a if a is not None else np.repeat(ridge * np.eye(dim)[None], k, axis=0)
        self.b = b if b is not None else np.zeros((k, dim))
        self.pulls = pulls if pulls is not None else np.zeros(k, dtype=np.int64)
        self.rewards = rewards if rewards is not None else np.zeros(k)
        if self.a.shape != (k, dim, dim) or self.b.shape != (k, dim):
            raise ValueError(f"LinUCB arrays do not match {k} actions × {dim} features")
        self.a_inv = np.linalg.inv(self.a)
        self.theta = np.einsum("kij,kj->ki", self.a_inv, self.b)

    def learn(self, actions: Sequence[int], x: np.ndarray, r: np.ndarray) -> None:
        """Add exposures: `actions[i]` was shown with features `x[i]` and earned `r[i]`."""
        chosen = np.asarray(actions, dtype=np.int64)
        for k in np.unique(chosen):
            rows = chosen == k
            xs, rs = x[rows], r[rows]
            self.a[k] += xs.T @ xs
            self.b[k] += xs.T @ rs
            self.pulls[k] += int(rows.sum())
            self.rewards[k] += float(rs.sum())
            self.a_inv[k] = np.linalg.inv(self.a[k])
            self.theta[k] = self.a_inv[k] @ self.b[k]

    def score(
        self, candidates: np.ndarray, x: np.ndarray, alpha: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(estimates, upper confidence bounds) of the candidate actions for features `x`."""
        # Every action at once, then the candidates: cheaper than gathering their matrices.
        mean = (self.theta @ x)[candidates]
        if alpha == 0.0:
            return mean, mean
        spread = ((self.a_inv @ x) @ x)[candidates]
        return mean, mean + alpha * np.sqrt(np.maximum(spread, 0.0))

    def mean_rewards(self) -> np.ndarray:
        """Average reward per action so far (0 before any exposure)."""
        means: np.ndarray = np.divide(
            self.rewards, self.pulls, out=np.zeros_like(self.rewards), where=self.pulls > 0
        )
        return means

    def aligned(self, action_ids: Sequence[str]) -> LinUCB:
        """The same model over another action list: known actions keep what they learned,
        new ones start fresh, dropped ones are forgotten."""
        fresh = LinUCB(action_ids, self.dim, self.ridge)
        for i, action in enumerate(action_ids):
            j = self.index.get(action)
            if j is not None:
                fresh.a[i], fresh.b[i] = self.a[j], self.b[j]
                fresh.pulls[i], fresh.rewards[i] = self.pulls[j], self.rewards[j]
                fresh.a_inv[i], fresh.theta[i] = self.a_inv[j], self.theta[j]
        return fresh
