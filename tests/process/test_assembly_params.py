"""Constitution parameters: numbered, exact, bounded; a genesis founds its body
with them and a Collective amends them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from protocol.errors import OutOfRange
from protocol.kinds import BodyKind, ConstitutionAmendment
from protocol.rules import PARAMETERS, ProcessRules, amend, from_params, to_params
from protocol.stages import Stage
from protocol.testing import Scenario

TEN = tuple(f"m{i}" for i in range(10))


def test_round_trip_through_params() -> None:
    rules = ProcessRules(
        temperature_threshold=Fraction(4, 5),
        size_cap=120,
        min_duration={"discussion": 3600, "vote": 60, "concerns": 0, "round": 0, "planning": 5},
    )
    params = to_params(rules)
    assert [p[0] for p in params] == sorted(PARAMETERS)
    assert from_params(params) == rules
    assert from_params(()) == ProcessRules()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (((99, 1, 1),), "unknown constitution parameter 99"),
        (((1, 2, 5),), "outside 1/2..1"),
        (((9, 301, 2),), "must be a whole number"),
        (((9, 0, 1),), "outside 1..100000"),
        (((17, 1, 1), (1, 6, 5)), "params[1]"),
    ],
)
def test_bad_parameters_are_rejected_with_the_reason(
    params: tuple[tuple[int, int, int], ...], message: str
) -> None:
    with pytest.raises(OutOfRange) as err:
        amend(ProcessRules(), params)
    assert message in str(err.value) or message == err.value.field


def test_a_genesis_founds_its_body_with_its_parameters() -> None:
    sc = Scenario(TEN, rules=ProcessRules(temperature_threshold=Fraction(3, 4)))
    from protocol.assembly import Assembly

    a = Assembly(sc.body).fold(sc.log)  # no rules given: read from the genesis
    assert a.rules.temperature_threshold == Fraction(3, 4)
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    assert Assembly(sc.body).fold(sc.log).stage(p) == Stage.PLANNING


def test_the_collective_amends_with_the_numbered_parameters() -> None:
    sc = Scenario(TEN, body_kind=BodyKind.COLLECTIVE)
    c = sc.post("m1", ConstitutionAmendment(2, ((1, 3, 4), (12, 86_400, 1)), "")).id
    sc.close(c)
    sc.votes(c, yes=TEN)
    sc.close(c)
    sc.close(c)
    version, rules = sc.assembly().rules_now()
    assert version == 2
    assert (rules.temperature_threshold, rules.mandate_cooling_off) == (Fraction(3, 4), 86_400)
