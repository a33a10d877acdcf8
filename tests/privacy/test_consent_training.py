"""The GNN training export leaves out customers and anonymous identifiers without
personalisation consent."""

from __future__ import annotations

import pytest

from gnn.dataset import export_graph
from graph.port import GraphStore
from privacy.consent import Decision
from privacy.consent_store import ConsentService
from tests.contract.query_cases import (
    apply,
    interaction,
    link,
    pair,
    seed_customers,
    seed_items,
    seed_records,
)
from tests.contract.query_cases_api import assign


async def shop(store: GraphStore) -> None:
    """C1 (login:u1, and cookie:c1 seen with it), C2 (login:u2), C3 (login:u3) and two
    anonymous cookies, each with purchases."""
    await seed_items(store, "A", "B", "C")
    await seed_records(store, "1", "2", "3")
    await seed_customers(store, "C1", "C2", "C3")
    for n in ("1", "2", "3"):
        await link(store, n, f"login:u{n}")
    await assign(store, **{"1": "C1", "2": "C2", "3": "C3"})
    rows = [
        interaction(key, item, first_at=t, last_at=t)
        for t, (key, item) in enumerate(
            [
                ("login:u1", "A"),
                ("cookie:c1", "B"),
                ("login:u2", "A"),
                ("login:u2", "C"),
                ("login:u3", "B"),
                ("cookie:anon-no", "C"),
                ("cookie:anon-yes", "A"),
            ]
        )
    ]
    await apply(store, 0, 1, interactions=rows, pairs=[pair("cookie:c1", "login:u1")])


def decision(subject: str, granted: bool, at: int) -> Decision:
    return Decision(subject, "personalisation", granted, "test", at)


async def test_the_export_excludes_customers_without_personalisation_consent(
    store: GraphStore, consent: ConsentService
) -> None:
    await shop(store)
    everyone, _ = await export_graph(store, consent)
    assert set(everyone.user_ids) == {
        "C1",
        "C2",
        "C3",
        "identifier:cookie:anon-no",
        "identifier:cookie:anon-yes",
    }
    await consent.record(
        [
            decision("cookie:c1", False, 5),  # a cookie seen only with C1's login: C1's
            decision("login:u2", False, 5),
            decision("C2", True, 9),  # the API, later: C2 consents again
            decision("login:u3", False, 7),
            decision("cookie:anon-no", False, 3),
        ],
        "test",
    )
    data, _ = await export_graph(store, consent)
    assert set(data.user_ids) == {"C2", "identifier:cookie:anon-yes"}
    assert sorted(data.item_ids) == ["A", "C"], "only consenting users' items"
    assert len(data) == 3


async def test_an_opt_in_default_trains_only_on_explicit_consent(store: GraphStore) -> None:
    await shop(store)
    opt_in = ConsentService(store, {"personalisation": False})
    await opt_in.record([decision("login:u3", True, 1)], "test")
    data, _ = await export_graph(store, opt_in)
    assert set(data.user_ids) == {"C3"}
    await opt_in.record([decision("login:u3", False, 2)], "test")
    with pytest.raises(ValueError, match="no customer with interactions consents"):
        await export_graph(store, opt_in)
