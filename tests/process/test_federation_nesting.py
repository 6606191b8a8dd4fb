"""Nesting: Communities decide a Municipality's presenting proposal, the
Municipalities' verdicts combine into the Region's, all re-derived from
signed votes by the Region with only the federation's structure known."""

from __future__ import annotations

import dataclasses

import pytest

from protocol import canonical
from protocol.federation import Standing
from protocol.kinds import Outcome
from protocol.nesting import LevelProof, combine_levels, verify_level_proof
from protocol.rules import ProcessRules
from protocol.testing import nested_region
from protocol.verdict import FullProof, ProofError

SMALL = ProcessRules(min_constituent_size=5)
"""Test Communities have five members: the higher bodies let them count."""


def test_municipality_verdicts_combine_into_the_region() -> None:
    region, resolution, structure, proofs = nested_region(((5, 5, 5), (5, 5, 5)))
    v = verify_level_proof(
        proofs[0], higher_body=region.body, resolution=resolution, structure=structure, rules=SMALL
    )
    assert v.outcome == Outcome.PASSED and (v.votes_for, v.electorate) == (3, 3)
    result = combine_levels(region.body, resolution, proofs, structure, SMALL)
    assert result.standing == Standing.PASSED and result.count.votes_for == 2


def test_level_proofs_travel_as_bytes() -> None:
    region, resolution, structure, proofs = nested_region(((5, 5, 5), (5, 5, 5)))
    received = tuple(LevelProof.decode_untrusted(p.encode()) for p in proofs)
    assert received == proofs
    assert (
        combine_levels(region.body, resolution, received, structure, SMALL).standing
        == Standing.PASSED
    )
    nested = LevelProof(region.body, b"", (proofs[0],))
    assert LevelProof.decode_untrusted(nested.encode()) == nested
    for bad in (
        b"\x93\x00",
        canonical.encode((False, bytes(32), b"", ())),
        canonical.encode((0, bytes(32), b"", ((2, b""),))),
    ):
        with pytest.raises(ProofError):
            LevelProof.decode_untrusted(bad)


def test_one_failing_community_fails_its_municipality_and_so_the_region() -> None:
    # 2 of 3 Communities for is below the 9/10 temperature share
    region, resolution, structure, proofs = nested_region(((5, 5, 5), (5, 5, 0)))
    v = verify_level_proof(
        proofs[1], higher_body=region.body, resolution=resolution, structure=structure, rules=SMALL
    )
    assert v.outcome == Outcome.FAILED and (v.votes_for, v.votes_against) == (2, 1)
    result = combine_levels(region.body, resolution, proofs, structure, SMALL)
    assert result.standing == Standing.FAILED and result.count.votes_for == 1


def test_forged_or_misplaced_level_proofs_are_rejected_with_a_reason() -> None:
    region, resolution, structure, proofs = nested_region(((5, 5, 5), (5, 5, 5)))
    a, b = proofs

    def rejects(parts: tuple[FullProof | LevelProof, ...], reason: str) -> None:
        with pytest.raises(ProofError, match=reason):
            combine_levels(region.body, resolution, parts, structure, SMALL)

    # a Community of Municipality b smuggled into a
    rejects((dataclasses.replace(a, parts=(*a.parts[:2], b.parts[0])), b), "not a member")
    # the same Community twice (and one missing)
    rejects((dataclasses.replace(a, parts=(a.parts[0], a.parts[0], a.parts[1])),), "second proof")
    # a Municipality that withholds a failing member is undecided, not passed
    rejects((dataclasses.replace(a, parts=a.parts[:2]),), "undecided")
    # the presenting proposal of b offered as a's
    rejects((dataclasses.replace(a, presenting=b.presenting),), "presenting proposal is invalid")
    # a tampered presenting proposal
    bad = bytearray(a.presenting)
    bad[-3] ^= 1
    rejects((dataclasses.replace(a, presenting=bytes(bad)),), "presenting proposal is invalid")
    # a proof presented under another resolution
    with pytest.raises(ProofError, match="another resolution"):
        verify_level_proof(
            a, higher_body=region.body, resolution=bytes(32), structure=structure, rules=SMALL
        )
    # a body the verifier does not know
    with pytest.raises(ProofError, match="not a member"):
        verify_level_proof(
            a, higher_body=bytes(32), resolution=resolution, structure=structure, rules=SMALL
        )
