"""A compact attestation must be signed by members of the Community it
speaks for. ``verify_attestation`` checks that when given the roster; the
``Federation`` keeps each member Community's roster (from its genesis, then
its verified proofs) and refuses attestations it cannot check."""

from __future__ import annotations

import pytest

from protocol.federation import Federation
from protocol.keys import public_key
from protocol.kinds import BodyKind, Proposal
from protocol.rules import ProcessRules
from protocol.stages import Stage
from protocol.testing import Scenario
from protocol.verdict import ProofError, attest, community_verdict, verify_attestation

SMALL = ProcessRules(min_constituent_size=5)
"""Test Communities have five members: the higher body lets them count."""

NAMES = ("ana", "bea", "cruz", "dev", "eli")


def decided_community() -> tuple[Scenario, Scenario, bytes]:
    muni = Scenario(
        ("mun1", "mun2", "mun3"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=SMALL
    )
    resolution = muni.propose("mun1", "Shared water plan", "Every community keeps a cistern.")
    sc = Scenario(NAMES, name="Community 0", parent=muni.body)
    p = sc.post("ana", Proposal("Shared water plan", "cistern", "", muni.body, resolution)).id
    for _ in range(8):
        a = sc.assembly()
        if a.verdict(p) is not None:
            break
        if a.stage(p) in (Stage.TEMPERATURE, Stage.MINOR_CHECK, Stage.FINAL_VOTE):
            sc.votes(p, yes=list(NAMES), no=[])
        sc.close(p)
    return muni, sc, resolution


STRANGERS = [bytes([0x40 + i]) * 32 for i in range(5)]


def test_verify_attestation_rejects_strangers_when_given_the_roster() -> None:
    muni, sc, resolution = decided_community()
    v = community_verdict(sc.assembly(), muni.body, resolution)
    assert v is not None
    forged = attest(v, STRANGERS)
    roster = frozenset(sc.key(n) for n in NAMES)
    with pytest.raises(ProofError, match="not a member"):
        verify_attestation(forged, 5, roster)
    assert verify_attestation(attest(v, [sc.seed(n) for n in NAMES]), 5, roster) == v


def test_federation_refuses_an_attestation_signed_by_non_members() -> None:
    muni, sc, resolution = decided_community()
    v = community_verdict(sc.assembly(), muni.body, resolution)
    assert v is not None
    assert not {public_key(s) for s in STRANGERS} & {sc.key(n) for n in NAMES}
    fed = Federation(muni.body, resolution, frozenset({sc.body}), rules=muni.rules)
    with pytest.raises(ProofError):
        fed.receive_attestation(attest(v, STRANGERS))
