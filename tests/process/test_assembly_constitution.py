"""A body amends its constitution by the same process; once carried, the
new rules govern the subjects opened after (in whose past it is). Every
body revises its own procedures; the federation-level parameters (size cap,
minimum constituent size) only the Collective (spec/process.md §8a)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from protocol.errors import OutOfRange
from protocol.kinds import BodyKind, ConstitutionAmendment
from protocol.rules import ProcessRules
from protocol.rules import amend as real_amend
from protocol.stages import Stage
from protocol.testing import Scenario

TEN = tuple(f"m{i}" for i in range(10))


def amend(rules: ProcessRules, params: tuple[tuple[int, int, int], ...]) -> ProcessRules:
    """Parameter 1 is the temperature threshold (a stand-in numbering for
    this test; protocol.constitution defines the real one)."""
    for number, num, den in params:
        if number != 1 or not 0 < num <= den:
            raise OutOfRange(f"parameter {number} = {num}/{den} is not allowed", field="params")
        rules = replace(rules, temperature_threshold=Fraction(num, den))
    return rules


def test_a_carried_amendment_changes_later_thresholds() -> None:
    sc = Scenario(TEN, body_kind=BodyKind.COLLECTIVE, amend_rules=amend)
    old = sc.to_first_check("m0")  # opened under 9/10
    c = sc.post("m1", ConstitutionAmendment(2, ((1, 3, 4),), "90 % is too strict")).id
    assert sc.assembly().stage(c) == Stage.DISCUSSION
    sc.close(c)
    sc.votes(c, yes=TEN)
    sc.close(c)
    sc.close(c)
    a = sc.assembly()
    assert a.stage(c) == Stage.CARRIED
    assert a.rules_now() == (2, amend(ProcessRules(), ((1, 3, 4),)))
    new = sc.to_first_check("m2")
    for p in (old, new):
        sc.votes(p, yes=TEN[:8], no=TEN[8:])  # 80 %
        sc.close(p)
    a = sc.assembly()
    assert a.stage(old) == Stage.CONCERNS  # still under 9/10
    assert a.stage(new) == Stage.PLANNING  # under 3/4


def test_versions_follow_in_order() -> None:
    sc = Scenario(TEN, body_kind=BodyKind.COLLECTIVE, amend_rules=amend)
    skip = sc.post("m1", ConstitutionAmendment(3, ((1, 3, 4),), "")).id
    bad = sc.post("m1", ConstitutionAmendment(2, ((7, 1, 2),), "")).id
    a = sc.assembly()
    reasons = {i.message: i.reason for i in a.ignored}
    assert "version 1 is in force" in reasons[skip]
    assert "parameters rejected" in reasons[bad]


def _carry(sc: Scenario, amendment: bytes) -> None:
    sc.close(amendment)
    sc.votes(amendment, yes=TEN)
    sc.close(amendment)
    sc.close(amendment)


def test_a_community_changes_its_own_quorum_within_the_bounds() -> None:
    sc = Scenario(TEN)  # a Community, the real parameter table
    c = sc.post("m1", ConstitutionAmendment(2, ((7, 2, 5),), "two in five suffice")).id
    _carry(sc, c)
    a = sc.assembly()
    assert a.stage(c) == Stage.CARRIED
    version, rules = a.rules_now()
    assert (version, rules.quorum) == (2, Fraction(2, 5))
    later = sc.propose("m2")
    assert sc.assembly().subject(later).rules.quorum == Fraction(2, 5)


def test_a_community_is_refused_outside_the_bounds_and_the_federal_parameters() -> None:
    sc = Scenario(TEN)
    over = sc.post("m1", ConstitutionAmendment(2, ((7, 3, 5),), "")).id  # charter: <= 1/2
    cap = sc.post("m1", ConstitutionAmendment(2, ((9, 500, 1),), "")).id  # size cap
    small = sc.post("m1", ConstitutionAmendment(2, ((10, 1, 1),), "")).id  # min size
    a = sc.assembly()
    reasons = {i.message: i.reason for i in a.ignored}
    assert "absent majority" in reasons[over]
    assert "size_cap" in reasons[cap] and "people's constitution" in reasons[cap]
    assert "min_constituent_size" in reasons[small] and "Community" in reasons[small]
    assert not {over, cap, small} & set(a.subjects)
    assert a.rules_now()[0] == 1


def test_not_even_the_collective_amends_the_federal_parameters_by_its_own_vote() -> None:
    # they belong to the people's constitution: a ratified initiative only
    sc = Scenario(TEN, body_kind=BodyKind.COLLECTIVE, amend_rules=real_amend)
    c = sc.post("m1", ConstitutionAmendment(2, ((10, 40, 1),), "forty")).id
    a = sc.assembly()
    assert c not in a.subjects
    assert "ratified from the Communities' verdicts" in a.ignored_by_id[c].reason
    assert a.rules_now()[1].min_constituent_size == 50
