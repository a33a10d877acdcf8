"""The decision service: the guardrails, then the bandit, then (by the caller) the exposure.

`decide(profile, context, consent)`:

1. candidates = the actions whose consent purposes are all granted, whose channels include
   the request's, and whose eligibility holds (`nba.eligibility`); none → None;
2. with `personalisation` consent: the personalised LinUCB over the full feature vector
   ranks the candidates by estimate + alpha·width; with probability epsilon a candidate is drawn at
   random instead (the exploration floor). Without it: the contextual model's estimate over
   the context part only (profile features zeroed, never read), greedily;
3. the answer carries the action, its score and estimate, whether it was exploration (a
   random draw, or a confidence bonus that overturned the best estimate), the policy and a
   fresh exposure id. `expose(decision, profile)` logs it when the action is shown.

Learned state is read from the model directory and reloaded when `nba update` saves a new
version (checked at most every `reload_seconds`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nba.catalogue import Action, Catalogue
from nba.consent import PERSONALISATION, Consent
from nba.eligibility import allowed
from nba.exposures import Exposure, ExposureLog
from nba.features import features
from nba.item_categories import ItemCategories
from nba.profile import DecisionContext, NbaProfile
from nba.state import STATE_FILE, BanditState, LearnRow, StateError, load_state

log = logging.getLogger("nba")
PERSONALISED, CONTEXTUAL = "personalised", "contextual"


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class NbaConfig:
    """Where state lives and how much to explore."""

    model_dir: Path
    alpha: float = 0.2  # LinUCB confidence multiplier
    epsilon: float = 0.01  # share of personalised decisions drawn at random
    reload_seconds: float = 5.0
    ridge: float = 1.0


@dataclass(frozen=True)
class Decision:
    """The action chosen for one request."""

    action: Action
    score: float  # what it was ranked by (estimate + bonus, or the estimate)
    estimate: float  # the model's expected reward
    exploration: bool
    policy: str  # personalised | contextual
    exposure_id: str
    features: np.ndarray
    decided_at: int


class NextBestActionService:
    """Chooses the next best action among the catalogue's allowed ones."""

    def __init__(
        self,
        catalogue: Catalogue,
        config: NbaConfig,
        *,
        exposures: ExposureLog | None = None,
        state: BanditState | None = None,
        seed: int | None = None,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self.catalogue = catalogue
        self.actions = catalogue.actions
        self.config = config
        self.exposures = exposures
        self.items = ItemCategories()
        self.clock = clock
        self._rng = np.random.default_rng(seed)
        self._stamp: tuple[int, int] | None = None
        self._next_check = time.monotonic() + config.reload_seconds
        self.state = state if state is not None else self._load() or self._fresh()

    def _fresh(self) -> BanditState:
        return BanditState.fresh(self.catalogue.ids, self.config.ridge)

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.config.model_dir / STATE_FILE)
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size

    def _load(self) -> BanditState | None:
        stamp = self._file_stamp()
        try:
            state = load_state(self.config.model_dir)
        except StateError as error:
            log.warning("next-best-action state not loaded: %s", error)
            return None
        self._stamp = stamp
        return None if state is None else state.aligned(self.catalogue.ids)

    def reload(self) -> bool:
        """Load the saved state now if it changed; True when a new one was swapped in."""
        self._next_check = time.monotonic() + self.config.reload_seconds
        if self._file_stamp() == self._stamp:
            return False
        state = self._load()
        if state is None:
            return False
        self.state = state
        return True

    def candidates(
        self, profile: NbaProfile, context: DecisionContext, consent: Consent, now_ms: int
    ) -> list[int]:
        """Indices of the actions the guardrails allow (catalogue order)."""
        return [
            i
            for i, action in enumerate(self.actions)
            if allowed(action, profile, context, consent, now_ms)
        ]

    def decide(
        self,
        profile: NbaProfile,
        context: DecisionContext,
        consent: Consent,
        now_ms: int | None = None,
    ) -> Decision | None:
        """The next best action (None when no action is allowed); see the module docstring."""
        if time.monotonic() >= self._next_check:
            self.reload()
        now = self.clock() if now_ms is None else now_ms
        eligible = self.candidates(profile, context, consent, now)
        if not eligible:
            return None
        personalised = consent(PERSONALISATION)
        x = features(profile, context, now, personalised)
        indices = np.asarray(eligible)
        jitter = self._rng.random(len(eligible)) * 1e-9  # random order among exact ties
        if personalised:
            mean, upper = self.state.personal.score(indices, x, self.config.alpha)
            best, choice = int(np.argmax(mean + jitter)), int(np.argmax(upper + jitter))
            exploration = choice != best
            if self.config.epsilon > 0 and self._rng.random() < self.config.epsilon:
                choice, exploration = int(self._rng.integers(len(eligible))), True
            score = float(upper[choice])
        else:
            mean, _ = self.state.contextual.score(indices, x, 0.0)
            choice, exploration = int(np.argmax(mean + jitter)), False
            score = float(mean[choice])
        return Decision(
            action=self.actions[eligible[choice]],
            score=score,
            estimate=float(mean[choice]),
            exploration=exploration,
            policy=PERSONALISED if personalised else CONTEXTUAL,
            exposure_id=f"x{now:012x}{os.urandom(6).hex()}",
            features=x,
            decided_at=now,
        )

    def expose(self, decision: Decision, profile: NbaProfile) -> Exposure:
        """Record that the decision's action was shown (logged when there is a log)."""
        exposure = Exposure(
            id=decision.exposure_id,
            subject=profile.subject,
            customer_id=profile.customer_id,
            action_id=decision.action.id,
            policy=decision.policy,
            exploration=decision.exploration,
            score=decision.score,
            features=decision.features,
            exposed_at=decision.decided_at,
        )
        if self.exposures is not None:
            self.exposures.append(exposure)
        return exposure

    def learn(self, rows: Sequence[LearnRow]) -> int:
        """Learn from closed exposures in memory (simulations; production uses `nba update`)."""
        return self.state.learn(rows)
