"""How a count passes (protocol/rules.py ``Count``), checked against exact
integer cross-multiplication: quorum on everyone who voted (abstentions
included), share on FOR against FOR + AGAINST, and nothing passes when
nobody decided. Exactly at 90 %, 2/3 and 1/2 a count passes; one vote short
it does not."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.rules import Count, ProcessRules


def by_integers(f: int, a: int, ab: int, n: int, t: Fraction, q: Fraction) -> bool:
    cast, decided = f + a + ab, f + a
    quorum = cast * q.denominator >= q.numerator * n
    share = decided > 0 and f * t.denominator >= t.numerator * decided
    return quorum and share


shares = st.fractions(min_value=0, max_value=1, max_denominator=200)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 700),
    shares,
    shares,
)
def test_count_is_exact(f: int, a: int, ab: int, extra: int, t: Fraction, q: Fraction) -> None:
    n = f + a + ab + extra
    assert Count(f, a, ab, n).passes(t, q) == by_integers(f, a, ab, n, t, q)


R = ProcessRules()


@pytest.mark.parametrize(
    ("threshold", "f", "a", "passes"),
    [
        (R.temperature_threshold, 90, 10, True),  # exactly 90 %
        (R.temperature_threshold, 89, 10, False),  # 89.9 %
        (R.temperature_threshold, 135, 15, True),  # 150 members, exactly 90 %
        (R.temperature_threshold, 134, 15, False),
        (R.final_threshold, 100, 50, True),  # exactly 2/3
        (R.final_threshold, 99, 50, False),  # 66.4 %
        (R.final_threshold, 2, 1, True),
        (R.contention_threshold, 75, 75, True),  # exactly 1/2: support holds
        (R.contention_threshold, 74, 75, False),
    ],
)
def test_boundaries_with_the_quorum_met(threshold: Fraction, f: int, a: int, passes: bool) -> None:
    members = 2 * (f + a)  # exactly half voted: the 1/2 quorum is just met
    assert Count(f, a, 0, members).passes(threshold, R.quorum) is passes


@pytest.mark.parametrize("threshold", [R.temperature_threshold, R.final_threshold, Fraction(1, 2)])
def test_a_unanimous_count_fails_without_its_quorum(threshold: Fraction) -> None:
    assert not Count(74, 0, 0, 150).passes(threshold, R.quorum)  # 74 of 150 < 1/2
    assert Count(74, 0, 1, 150).passes(threshold, R.quorum)  # an abstention completes it
    assert not Count(0, 0, 150, 150).passes(threshold, R.quorum)  # nobody decided


def test_needed_is_the_smallest_count_meeting_a_share() -> None:
    for n in range(1, 160):
        for share in (Fraction(1, 2), Fraction(2, 3), Fraction(9, 10), Fraction(1, 100)):
            c = R.needed(share, n)
            assert c >= share * n and (c == 1 or c - 1 < share * n)
