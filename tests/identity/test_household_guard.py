"""The household guard: different first name and birth date is never an automatic match."""

from __future__ import annotations

from identity.evidence import ComparisonEvidence, ScoredPair, guard

NAMES = ("first_name", "date_of_birth")


def _pair(**gammas: int) -> ScoredPair:
    evidence = tuple(ComparisonEvidence(name, "", gamma, 1.0) for name, gamma in gammas.items())
    return ScoredPair("a", "b", 20.0, 0.99999, evidence)


def test_parent_and_child_sharing_everything_else_are_not_linked() -> None:
    [guarded] = guard([_pair(first_name=0, date_of_birth=0, location=5, email=2)], NAMES)
    assert guarded.match_probability == 0.0
    assert guarded.match_weight == 20.0  # the evidence is kept for explanation
    [missing_birth] = guard([_pair(first_name=0, date_of_birth=-1, location=5)], NAMES)
    assert missing_birth.match_probability == 0.0


def test_agreement_on_either_or_a_national_id_lifts_the_guard() -> None:
    kept = guard(
        [
            _pair(first_name=2, date_of_birth=0),  # a typo'd first name still agrees a bit
            _pair(first_name=0, date_of_birth=5),
            _pair(first_name=-1, date_of_birth=-1),  # nothing to compare
            _pair(first_name=0, date_of_birth=0, national_id=1),
        ],
        NAMES,
    )
    assert [p.match_probability for p in kept] == [0.99999] * 4
