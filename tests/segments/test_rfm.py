"""RFM quintile scores and named segments on hand-made purchase facts."""

from __future__ import annotations

import itertools

from segments.facts import CustomerFacts, InteractionFact
from segments.rfm import (
    RFM_SEGMENTS,
    RfmModel,
    band,
    named_segment,
    quintile_cuts,
    rfm_scores,
    rfm_values,
)

DAY = 86_400_000
NOW = 500 * DAY


def buyer(cid: str, days_ago: int, count: int, price: float | None = 10.0) -> CustomerFacts:
    """A customer with one purchase aggregate (and a view, which RFM ignores)."""
    purchase = InteractionFact(
        "i", "purchase", count, 0, NOW - days_ago * DAY, 5.0 * count, "c", price
    )
    view = InteractionFact("j", "product_view", 9, 0, NOW, 9.0, "c", 1.0)
    return CustomerFacts(cid, interactions=(purchase, view))


def test_quintile_cuts_and_bands() -> None:
    assert quintile_cuts([5, 1, 4, 2, 3]) == (1, 2, 3, 4)
    assert quintile_cuts([1] * 8 + [2, 7]) == (1, 1, 1, 1)
    assert quintile_cuts([]) == ()
    assert [band(v, (1, 2, 3, 4)) for v in (0, 1, 2.5, 4, 9)] == [1, 1, 3, 4, 5]
    assert [band(v, (1, 2, 3, 4), higher_is_better=False) for v in (0, 1, 2.5, 4, 9)] == [
        5,
        5,
        3,
        2,
        1,
    ]


def test_scores_on_a_hand_computed_population() -> None:
    population = [
        buyer("a", 1, 5),
        buyer("b", 10, 4),
        buyer("c", 20, 3),
        buyer("d", 40, 2),
        buyer("e", 80, 1),
        CustomerFacts("nothing bought", interactions=buyer("x", 1, 1).interactions[1:]),
    ]
    scores = rfm_scores(population, NOW)
    assert set(scores) == {"a", "b", "c", "d", "e"}, "no purchases: no score"
    got = {cid: (s.r, s.f, s.m, s.segment) for cid, s in scores.items()}
    assert got == {
        "a": (5, 5, 5, "champions"),
        "b": (4, 4, 4, "loyal"),
        "c": (3, 3, 3, "need_attention"),
        "d": (2, 2, 2, "hibernating"),
        "e": (1, 1, 1, "hibernating"),
    }
    assert (scores["a"].recency_days, scores["a"].frequency, scores["a"].monetary) == (1, 5, 50)
    assert scores["a"].code == 555


def test_monetary_falls_back_to_weight_without_a_price() -> None:
    assert rfm_values(buyer("p", 2, 3, price=None), NOW) == (2.0, 3, 15.0)
    assert rfm_values(buyer("p", 2, 3, price=4.0), NOW) == (2.0, 3, 12.0)


def test_a_fitted_model_scores_a_newcomer_against_the_population() -> None:
    model = RfmModel.fit([buyer(str(n), 10 * n + 1, n + 1) for n in range(5)], NOW)
    newcomer = model.score(buyer("new", 0, 1), NOW)
    assert newcomer is not None
    assert (newcomer.r, newcomer.f, newcomer.segment) == (5, 1, "new")


def test_every_score_triple_has_a_named_segment() -> None:
    names = {named_segment(r, f, m) for r, f, m in itertools.product(range(1, 6), repeat=3)}
    assert names == set(RFM_SEGMENTS)
    assert named_segment(4, 1, 1) == "promising"
    assert named_segment(5, 2, 3) == "potential_loyalists"
    assert named_segment(3, 1, 2) == "about_to_sleep"
    assert named_segment(1, 5, 5) == "cant_lose_them"
    assert named_segment(2, 3, 4) == "at_risk"
    assert named_segment(3, 5, 4) == "loyal"
