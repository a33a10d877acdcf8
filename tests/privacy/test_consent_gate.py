"""The ingestion gate's cache: consent changes count at once (its own, and others' through the
consent clock), identity changes after the TTL or at once for what the pipeline writes."""

from __future__ import annotations

from graph.port import GraphStore
from privacy.consent import Decision
from privacy.consent_gate import AnalyticsGate
from privacy.consent_store import ConsentService
from tests.contract.query_cases import link, seed_customers, seed_records
from tests.contract.query_cases_api import assign


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def withdraw(subject: str, at: int) -> Decision:
    return Decision(subject, "analytics", False, "test", at)


def grant(subject: str, at: int) -> Decision:
    return Decision(subject, "analytics", True, "test", at)


async def test_consent_changes_count_at_once_identity_changes_after_the_ttl(
    store: GraphStore, consent: ConsentService
) -> None:
    await seed_records(store, "1", "2")
    await seed_customers(store, "C1", "C2")
    await link(store, "1", "login:a")
    await link(store, "2", "login:b")
    await assign(store, **{"1": "C1", "2": "C2"})
    clock = Clock()
    gate = AnalyticsGate(consent, identity_ttl=30, clock=clock)
    keys = ["login:a", "login:b", "cookie:x"]
    assert (await gate.state(keys)).withdrawn == set()

    await gate.record([withdraw("login:a", 10)], "ingestion", "its own decision")
    assert (await gate.state(keys)).withdrawn == {"login:a"}, "folded in at once"

    other = ConsentService(store)  # the API, or another consumer
    await other.record([withdraw("C2", 11), withdraw("cookie:x", 12)], "api", "elsewhere")
    assert (await gate.state(keys)).withdrawn == set(keys), "seen through the consent clock"
    await other.record([grant("login:a", 20)], "api", "back")
    assert (await gate.state(keys)).withdrawn == {"login:b", "cookie:x"}

    # A resolution run moves record 2 (login:b) to C1: seen once the TTL has passed.
    await assign(store, **{"2": "C1"})
    assert (await gate.state(keys)).withdrawn == {"login:b", "cookie:x"}, "cached identity"
    clock.now = 31
    assert (await gate.state(keys)).withdrawn == {"cookie:x"}, "login:b is C1's now"

    # What the pipeline itself writes is read again at once.
    await link(store, "1", "cookie:x")
    gate.forget(["cookie:x"])
    assert (await gate.state(keys)).withdrawn == set(), "cookie:x is C1's (granted, newest)"


async def test_suppression_is_never_cached(store: GraphStore, consent: ConsentService) -> None:
    gate = AnalyticsGate(consent)
    assert (await gate.state(["cookie:a"])).suppressed == set()
    await consent.suppression.add(["cookie:a"], "erasure")
    state = await gate.state(["cookie:a"])
    assert state.suppressed == {"cookie:a"}
    assert state.untied == {"cookie:a"}
    assert (await gate.state([], frozenset({"cookie:z"}))).suppressed == {"cookie:z"}
