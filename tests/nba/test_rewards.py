"""Rewards: a conversion after an exposure within the window rewards it, outside does not;
the exposure log closes and learns each exposure exactly once; conversions from the graph
pool a customer's identifiers."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

from graph.port import GraphStore
from nba.catalogue import Catalogue
from nba.exposures import Exposure, ExposureLog
from nba.features import DIM
from nba.learning import update
from nba.rewards import Conversion, attribute, conversions_from_graph, reward_of
from nba.state import load_state
from tests.contract.query_cases import ITEM, apply, interaction, link, pair, seed_records
from tests.contract.query_cases_api import assign
from tests.nba.conftest import NOW

HOUR = 3_600_000
WINDOW = 24 * HOUR
REWARDS = {"purchase": 1.0, "add_to_cart": 0.3}


def exposure(
    id: str, subject: str = "C1", at: int = NOW, action: str = "guide-gifts", **kw: object
) -> Exposure:
    customer = None if subject.startswith("cookie:") else subject
    fields: dict[str, object] = {"policy": "personalised", "exploration": False, "score": 0.5}
    fields |= kw
    return Exposure(
        id,
        subject,
        customer,
        action,
        features=np.full(DIM, 0.5),
        exposed_at=at,
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("conversion", "expected"),
    [
        (Conversion.event("C1", "purchase", NOW + HOUR), 1.0),
        (Conversion.event("C1", "add_to_cart", NOW + HOUR), 0.3),
        (Conversion.event("C1", "purchase", NOW + WINDOW), 1.0),  # the window's last moment
        (Conversion.event("C1", "purchase", NOW + WINDOW + 1), 0.0),  # just after it
        (Conversion.event("C1", "purchase", NOW), 0.0),  # not after the exposure
        (Conversion.event("C1", "purchase", NOW - HOUR), 0.0),
        (Conversion.event("C1", "product_view", NOW + HOUR), 0.0),  # not a conversion
        (Conversion("C1", "purchase", NOW - 10 * WINDOW, NOW + HOUR), 1.0),  # aggregate's last
        (Conversion("C1", "purchase", NOW + HOUR, NOW + 9 * WINDOW), 1.0),  # aggregate's first
        (Conversion("C1", "purchase", NOW - WINDOW, NOW + 2 * WINDOW), 0.0),  # both outside
    ],
)
def test_a_conversion_rewards_an_exposure_only_inside_its_window(
    conversion: Conversion, expected: float
) -> None:
    assert reward_of(exposure("e"), [conversion], REWARDS, WINDOW) == expected


def test_attribution_closes_what_it_can_and_leaves_open_windows_pending() -> None:
    shown = [
        exposure("bought", "C1"),
        exposure("carted", "cookie:a"),
        exposure("nothing-yet", "C2", at=NOW + 20 * HOUR),
        exposure("nothing", "C3"),
        exposure("someone-else-bought", "C4"),
    ]
    conversions = [
        Conversion.event("C1", "add_to_cart", NOW + HOUR),
        Conversion.event("C1", "purchase", NOW + 2 * HOUR),  # the best one counts
        Conversion.event("cookie:a", "add_to_cart", NOW + HOUR),
        Conversion.event("C9", "purchase", NOW + HOUR),
    ]
    closed = attribute(shown, conversions, REWARDS, WINDOW, now_ms=NOW + 30 * HOUR)
    assert closed == [
        ("bought", 1.0), ("carted", 0.3), ("nothing", 0.0), ("someone-else-bought", 0.0),
    ]  # fmt: skip


def test_the_exposure_log_round_trip_and_closing_once(tmp_path: Path) -> None:
    log = ExposureLog(tmp_path / "nba" / "exposures.sqlite3")
    for i in range(5):
        log.append(exposure(f"e{i}", at=NOW + i))
    log.flush()
    assert stat.S_IMODE((tmp_path / "nba" / "exposures.sqlite3").stat().st_mode) == 0o600
    pending = log.pending()
    assert [e.id for e in pending] == ["e0", "e1", "e2", "e3", "e4"]
    assert pending[0].features == pytest.approx(np.full(DIM, 0.5))
    assert log.pending(limit=2, after="e1")[0].id == "e2"
    assert log.close_with([("e3", 1.0), ("e1", 0.0), ("e1", 1.0), ("nope", 1.0)], NOW) == 2
    assert [(e.id, e.closed_seq, e.status) for e in log.closed_since(0)] == [
        ("e3", 1, "rewarded"), ("e1", 2, "unrewarded"),
    ]  # fmt: skip
    assert log.close_with([("e4", 0.3)], NOW) == 1
    assert [e.id for e in log.closed_since(2)] == ["e4"]
    assert log.counts() == {"pending": 2, "rewarded": 2, "unrewarded": 1}
    log.append(exposure("e0"))  # a duplicate id changes nothing
    log.append(exposure("other", "cookie:z"))
    log.shutdown()
    again = ExposureLog(tmp_path / "nba" / "exposures.sqlite3", background=False)
    assert again.counts() == {"pending": 3, "rewarded": 2, "unrewarded": 1}
    assert again.forget(["cookie:z", "nobody"]) == 1  # erasure
    assert again.counts() == {"pending": 2, "rewarded": 2, "unrewarded": 1}
    again.shutdown()


async def test_update_learns_every_closed_exposure_exactly_once(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    log = ExposureLog(tmp_path / "exposures.sqlite3", background=False)
    log.append(exposure("a", "C1", action="welcome-10"))
    log.append(exposure("b", "C2", action="welcome-10", policy="contextual"))
    log.append(exposure("c", "C3", at=NOW + 20 * HOUR, action="guide-gifts"))
    models = tmp_path / "models"
    bought = [Conversion.event("C1", "purchase", NOW + HOUR)]

    first = await update(
        log, models, catalogue, window_ms=WINDOW, now_ms=NOW + 30 * HOUR, conversions=bought
    )
    assert (first.rewarded, first.unrewarded, first.pending, first.learned) == (1, 1, 1, 2)
    state = load_state(models)
    assert state is not None
    assert state.version == first.version == 1
    welcome = catalogue.ids.index("welcome-10")
    assert state.contextual.pulls[welcome] == 2  # both teach the contextual model
    assert state.personal.pulls[welcome] == 1  # only the consented one the personalised model
    assert state.contextual.rewards[welcome] == 1.0

    again = await update(
        log, models, catalogue, window_ms=WINDOW, now_ms=NOW + 30 * HOUR, conversions=bought
    )
    assert (again.learned, again.version) == (0, 1)  # nothing new: no new version either
    later = await update(
        log, models, catalogue, window_ms=WINDOW, now_ms=NOW + 50 * HOUR, conversions=bought
    )
    assert (later.unrewarded, later.learned, later.version) == (1, 1, 2)
    log.shutdown()


async def test_conversions_come_from_every_identifier_of_a_customer(
    graph: GraphStore, catalogue: Catalogue, tmp_path: Path
) -> None:
    await graph.write_batch(
        "items/upsert_items", [{**ITEM, "id": "G", "title": "Rake", "in_stock": True}]
    )
    await graph.write_batch(
        "customers/upsert_customers",
        [{"id": c, "created_at": 1, "updated_at": 1, "attrs": {}} for c in ("C1", "C2")],
    )
    await seed_records(graph, "1", "2")
    await link(graph, "1", "login:u1")
    await link(graph, "2", "login:u2")
    await assign(graph, **{"1": "C1", "2": "C2"})
    events = [
        # C1 buys through a cookie seen with its login, two hours after the exposure
        interaction("cookie:c1", "G", first_at=NOW + 2 * HOUR, last_at=NOW + 2 * HOUR),
        interaction("login:u2", "G", first_at=NOW - 5 * HOUR, last_at=NOW - HOUR),  # before
        interaction(
            "cookie:anon", "G", type="add_to_cart", first_at=NOW + HOUR, last_at=NOW + HOUR
        ),
    ]
    await apply(graph, 0, 1, interactions=events, pairs=[pair("cookie:c1", "login:u1")])
    shown = [exposure("x1", "C1"), exposure("x2", "C2"), exposure("x3", "cookie:anon")]
    found = await conversions_from_graph(graph, shown, REWARDS)
    assert {(c.subject, c.type) for c in found} == {
        ("C1", "purchase"), ("C2", "purchase"), ("cookie:anon", "add_to_cart"),
    }  # fmt: skip

    log = ExposureLog(tmp_path / "exposures.sqlite3", background=False)
    for e in shown:
        log.append(e)
    report = await update(
        log, tmp_path / "models", catalogue, window_ms=WINDOW, now_ms=NOW + 48 * HOUR, store=graph
    )
    assert (report.rewarded, report.unrewarded, report.learned) == (2, 1, 3)
    assert {e.id: e.reward for e in log.closed_since(0)} == {"x1": 1.0, "x2": 0.0, "x3": 0.3}
    log.shutdown()
