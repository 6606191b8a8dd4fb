"""Thresholds exactly at 90 %, 2/3 and 50 %, with the quorum met and not met."""

from __future__ import annotations

from fractions import Fraction

import pytest

from protocol.rules import Count, ProcessRules
from protocol.stages import Stage
from protocol.testing import Scenario

TEN = tuple(f"m{i}" for i in range(10))


def first_check(yes: int, no: int, abstain: int = 0, members: int = 10) -> Stage:
    names = tuple(f"m{i}" for i in range(members))
    sc = Scenario(names)
    p = sc.to_first_check("m0")
    sc.votes(
        p, yes=names[:yes], no=names[yes : yes + no], abstain=names[yes + no : yes + no + abstain]
    )
    sc.close(p)
    return sc.assembly().stage(p)


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "stage"),
    [
        (9, 1, 0, Stage.PLANNING),  # exactly 90 %
        (8, 1, 0, Stage.CONCERNS),  # 88.9 %
        (9, 0, 0, Stage.PLANNING),
        (5, 0, 0, Stage.PLANNING),  # quorum: 5 of 10 is exactly 1/2
        (4, 0, 0, Stage.CONCERNS),  # quorum not met
        (4, 0, 1, Stage.PLANNING),  # abstentions count toward the quorum
        (0, 0, 5, Stage.CONCERNS),  # quorum met, but nobody decided
    ],
)
def test_temperature_check_boundaries(yes: int, no: int, abstain: int, stage: Stage) -> None:
    assert first_check(yes, no, abstain) == stage


def final_vote(yes: int, no: int, members: int = 9) -> Stage:
    names = tuple(f"m{i}" for i in range(members))
    sc = Scenario(names)
    p = sc.to_first_check("m0")
    sc.votes(p, yes=names[:1], no=names[1:2])
    sc.close(p)  # 50 %: concerns
    sc.close(p)  # no grievances: final vote
    assert sc.assembly().stage(p) == Stage.FINAL_VOTE
    sc.votes(p, yes=names[:yes], no=names[yes : yes + no])
    sc.close(p)
    return sc.assembly().stage(p)


@pytest.mark.parametrize(
    ("yes", "no", "stage"),
    [
        (6, 3, Stage.PLANNING),  # exactly 2/3
        (5, 3, Stage.FAILED),  # 62.5 %
        (4, 2, Stage.PLANNING),  # 2/3 with 6 of 9 cast
        (3, 1, Stage.FAILED),  # 75 % but 4 of 9 < 1/2: quorum not met
    ],
)
def test_final_vote_boundaries(yes: int, no: int, stage: Stage) -> None:
    assert final_vote(yes, no) == stage


@pytest.mark.parametrize(
    ("against", "stage"),
    [(5, Stage.CARRIED), (6, Stage.TABLED), (4, Stage.CARRIED)],
)
def test_contention_boundary_at_half(against: int, stage: Stage) -> None:
    sc = Scenario(TEN)
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN)
    sc.close(p)
    sc.votes(p, no=TEN[:against])
    sc.close(p)
    assert sc.assembly().stage(p) == stage


def test_count_arithmetic_is_exact() -> None:
    nine = Fraction(9, 10)
    assert Count(9, 1, 0, 10).passes(nine, Fraction(1, 2))
    assert not Count(8, 1, 0, 10).passes(nine, Fraction(1, 2))
    assert Count(2, 1, 0, 3).passes(Fraction(2, 3), Fraction(1, 2))
    assert not Count(199, 101, 0, 300).passes(Fraction(2, 3), Fraction(1, 2))
    assert Count(200, 100, 0, 300).passes(Fraction(2, 3), Fraction(1, 2))
    assert not Count(1, 0, 0, 3).quorum_met(Fraction(1, 2))
    assert Count(2, 0, 0, 3).quorum_met(Fraction(1, 2))
    rules = ProcessRules()
    assert rules.needed(Fraction(1, 2), 5) == 3
    assert rules.needed(Fraction(1, 2), 4) == 2
    assert rules.needed(Fraction(2, 3), 3) == 2
    assert rules.needed(Fraction(1, 2), 0) == 1
