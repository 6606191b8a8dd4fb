"""The constitution as a versioned, typed value (protocol/constitution.py):
local values within bounds at genesis, amendments at the Collective only,
the charter checked on every path."""

from __future__ import annotations

from fractions import Fraction

import pytest

from protocol.constitution import MAX_ATTESTATION_K, PARAMETER_TABLE, Constitution
from protocol.errors import OutOfRange
from protocol.kinds import BodyKind, Outcome
from protocol.rules import ProcessRules, charter_violations
from protocol.verdict import CommunityVerdict, attest


def test_the_table_numbers_every_parameter_with_its_default_inside_its_bounds() -> None:
    numbers = [p.number for p in PARAMETER_TABLE]
    assert numbers == sorted(set(numbers))
    for p in PARAMETER_TABLE:
        assert p.low <= p.default <= p.high, p.name
        if p.kind != "share":
            assert p.default.denominator == 1
    by_name = {p.name: p.default for p in PARAMETER_TABLE}
    assert by_name["temperature_threshold"] == Fraction(9, 10)
    assert by_name["final_threshold"] == Fraction(2, 3)
    assert by_name["contention_threshold"] == Fraction(1, 2)
    assert by_name["size_cap"] == 150


def test_local_values_within_bounds_found_a_body() -> None:
    c = Constitution.local(((2, 3, 4), (9, 40, 1)))
    assert c.version == 1
    assert c.rules.final_threshold == Fraction(3, 4) and c.rules.size_cap == 40
    assert c.value(2) == Fraction(3, 4) and c.value(1) == Fraction(9, 10)
    assert Constitution.local(c.params()) == c


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (((1, 1, 3),), "temperature_threshold"),  # a third is not a majority
        (((2, 11, 10),), "final_threshold"),  # above 1
        (((9, 0, 1),), "size_cap"),  # below 1
        (((9, 3, 2),), "whole number"),
        (((99, 1, 2),), "unknown constitution parameter 99"),
        (((1, 1, 0),), "denominator 0"),
        (((6, 2, 3),), "right to recall"),
        (((7, 3, 4),), "absent majority"),
    ],
)
def test_values_outside_the_bounds_or_the_charter_are_rejected(
    params: tuple[tuple[int, int, int], ...], reason: str
) -> None:
    with pytest.raises(OutOfRange, match=reason):
        Constitution.local(params)


def test_every_body_amends_its_procedures_and_each_amendment_is_a_new_version() -> None:
    c = Constitution()
    for level in (BodyKind.COMMUNITY, BodyKind.MUNICIPALITY, BodyKind.REGION):
        assert c.apply_amendment(((1, 4, 5),), level=level).version == 2
        for number in (9, 10):  # the size cap, the minimum constituent size
            with pytest.raises(OutOfRange, match=r"people.s constitution") as err:
                c.apply_amendment(((1, 4, 5), (number, 60, 1)), level=level)
            assert err.value.field == "params[1]"
    c2 = c.apply_amendment(((1, 4, 5),), level=BodyKind.COLLECTIVE)
    c3 = c2.apply_amendment(((6, 1, 3),), level=BodyKind.COLLECTIVE)
    assert (c.version, c2.version, c3.version) == (1, 2, 3)
    assert c3.rules.temperature_threshold == Fraction(4, 5)
    assert c3.rules.recall_threshold == Fraction(1, 3)
    with pytest.raises(OutOfRange, match="right to recall"):
        c3.apply_amendment(((6, 3, 5),), level=BodyKind.COLLECTIVE)


def test_settings_outside_the_wire_table_are_checked_too() -> None:
    with pytest.raises(OutOfRange, match="attestation k"):
        Constitution(attestation_k=0)
    with pytest.raises(OutOfRange, match="attestation k"):
        Constitution(rules=ProcessRules(size_cap=4), attestation_k=5)
    with pytest.raises(OutOfRange, match="fit 1 KB"):
        Constitution(attestation_k=MAX_ATTESTATION_K + 1)
    with pytest.raises(OutOfRange, match="combining"):
        Constitution(combining="weighted by population")
    bad = ProcessRules(quorum=Fraction(3, 4))
    assert charter_violations(bad)
    with pytest.raises(OutOfRange, match="charter"):
        Constitution(rules=bad)


def test_the_largest_attestation_k_allows_fits_a_kilobyte() -> None:
    big = 100_000  # the largest counts the size cap's bound allows
    a, b, c, d, e = (bytes([i]) * 32 for i in range(5))
    v = CommunityVerdict(a, b, c, d, e, Outcome.PASSED, big, big, big, big)
    seeds = [bytes([0x10 + i]) * 32 for i in range(MAX_ATTESTATION_K)]
    assert len(attest(v, seeds).encode()) <= 1024
