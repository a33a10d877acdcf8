"""`nba update`: close exposures with their rewards, learn the closed ones, save the state.

Safe to run again at any time and after a crash: closing only touches pending exposures, and
the saved state records the last exposure sequence number it learned, so every closed
exposure is learned exactly once (closing and saving are separate steps; a crash between
them leaves exposures closed but not learned, and the next run learns them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from graph.port import GraphStore
from nba.catalogue import Catalogue
from nba.exposures import ExposureLog
from nba.rewards import Conversion, attribute, conversions_from_graph
from nba.state import BanditState, LearnRow, StateError, load_state, save_state

log = logging.getLogger("nba")
PAGE = 5000


@dataclass
class UpdateReport:
    """What an update did."""

    rewarded: int = 0
    unrewarded: int = 0
    pending: int = 0  # still inside their window, unconverted
    learned: int = 0
    version: int = 0  # the state version now saved (0: none yet)
    reset: bool = False  # the saved state was unusable and learning started again


def _current_state(model_dir: Path, catalogue: Catalogue, report: UpdateReport) -> BanditState:
    try:
        state = load_state(model_dir)
    except StateError as error:
        log.warning("%s; starting from an empty state", error)
        report.reset, state = True, None
    if state is None:
        return BanditState.fresh(catalogue.ids)
    return state.aligned(catalogue.ids)


async def update(
    exposures: ExposureLog,
    model_dir: Path,
    catalogue: Catalogue,
    *,
    window_ms: int,
    now_ms: int,
    store: GraphStore | None = None,
    conversions: Iterable[Conversion] | None = None,
) -> UpdateReport:
    """Close what can be closed (conversions given, else read from `store`), then learn."""
    if store is None and conversions is None:
        raise ValueError("give the graph store or the conversions")
    given = None if conversions is None else list(conversions)
    report = UpdateReport()
    after = ""
    while page := exposures.pending(PAGE, after):
        if given is not None:
            found = given
        else:
            assert store is not None
            found = await conversions_from_graph(store, page, catalogue.rewards)
        outcomes = attribute(page, found, catalogue.rewards, window_ms, now_ms)
        exposures.close_with(outcomes, now_ms)
        report.rewarded += sum(1 for _, reward in outcomes if reward > 0)
        report.unrewarded += sum(1 for _, reward in outcomes if reward <= 0)
        report.pending += len(page) - len(outcomes)
        after = page[-1].id
    state = _current_state(model_dir, catalogue, report)
    seq = state.learned_seq
    while closed := exposures.closed_since(seq, PAGE):
        rows = [
            LearnRow(e.action_id, e.features, e.reward or 0.0, e.policy == "personalised")
            for e in closed
        ]
        report.learned += state.learn(rows)
        seq = max(e.closed_seq or 0 for e in closed)
    if seq != state.learned_seq or state.version == 0 or report.reset:
        state = save_state(model_dir, state, learned_seq=seq)
    report.version = state.version
    return report
