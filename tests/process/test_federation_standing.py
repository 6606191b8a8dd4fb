"""The combined standing (spec/federation.md, "Combining") against brute
force: a resolution is *passed* when every way the undecided member
Communities could still decide leaves it passing, *failed* when none does,
and *pending* otherwise; exactly at 9 of 10 it passes."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.federation import Federation, Standing
from protocol.kinds import Outcome
from protocol.rules import Count, ProcessRules
from protocol.verdict import CommunityVerdict

OUTCOMES = (Outcome.PASSED, Outcome.FAILED, Outcome.TABLED)


def federation(decided: list[Outcome | None], rules: ProcessRules) -> Federation:
    members = [bytes([i]) * 32 for i in range(len(decided))]
    fed = Federation(bytes(32), b"\x01" * 32, frozenset(members), rules=rules)
    for m, o in zip(members, decided, strict=True):
        if o is not None:
            fed.proven[m] = CommunityVerdict(m, bytes(32), b"\x01" * 32, m, m, o, 1, 0, 0, 1)
    return fed


def finally_passes(outcomes: list[Outcome], rules: ProcessRules) -> bool:
    f = sum(o == Outcome.PASSED for o in outcomes)
    return Count(f, len(outcomes) - f, 0, len(outcomes)).passes(
        rules.temperature_threshold, rules.quorum
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([*OUTCOMES, None]), min_size=1, max_size=9),
    st.sampled_from([Fraction(9, 10), Fraction(2, 3), Fraction(1, 2), Fraction(3, 4)]),
    st.sampled_from([Fraction(0), Fraction(1, 3), Fraction(1, 2)]),
)
def test_standing_is_what_every_completion_agrees_on(
    decided: list[Outcome | None], t: Fraction, q: Fraction
) -> None:
    rules = ProcessRules(temperature_threshold=t, quorum=q)
    undecided = [i for i, o in enumerate(decided) if o is None]
    results = set()
    for fill in itertools.product((Outcome.PASSED, Outcome.FAILED), repeat=len(undecided)):
        full = list(decided)
        for i, o in zip(undecided, fill, strict=True):
            full[i] = o
        results.add(finally_passes([o for o in full if o is not None], rules))
    want = (
        Standing.PASSED
        if results == {True}
        else Standing.FAILED
        if results == {False}
        else Standing.PENDING
    )
    assert federation(decided, rules).combine().standing == want


def test_exactly_nine_of_ten_passes_and_eight_of_ten_fails() -> None:
    rules = ProcessRules()
    nine = [Outcome.PASSED] * 9 + [Outcome.TABLED]
    eight = [Outcome.PASSED] * 8 + [Outcome.FAILED] * 2
    assert federation(list(nine), rules).combine().standing == Standing.PASSED
    assert federation(list(eight), rules).combine().standing == Standing.FAILED
    assert federation([*nine[:9], None], rules).combine().standing == Standing.PASSED
    assert federation([*eight[:8], None, None], rules).combine().standing == Standing.PENDING
