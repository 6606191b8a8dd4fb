"""A Collective amends its constitution by the same process; once carried,
the new rules govern the subjects opened after (in whose past it is)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from protocol.errors import OutOfRange
from protocol.kinds import BodyKind, ConstitutionAmendment
from protocol.rules import ProcessRules
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


def test_only_the_collective_amends_and_versions_follow_in_order() -> None:
    sc = Scenario(TEN, amend_rules=amend)
    c = sc.post("m1", ConstitutionAmendment(2, ((1, 3, 4),), "")).id
    a = sc.assembly()
    assert c not in a.subjects
    assert any(i.message == c and "Collective" in i.reason for i in a.ignored)
    sc = Scenario(TEN, body_kind=BodyKind.COLLECTIVE, amend_rules=amend)
    skip = sc.post("m1", ConstitutionAmendment(3, ((1, 3, 4),), "")).id
    bad = sc.post("m1", ConstitutionAmendment(2, ((7, 1, 2),), "")).id
    a = sc.assembly()
    reasons = {i.message: i.reason for i in a.ignored}
    assert "version 1 is in force" in reasons[skip]
    assert "parameters rejected" in reasons[bad]
