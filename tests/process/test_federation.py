"""A Municipality of 10 Communities decides a resolution end to end: each
Community on its own log, full proofs verified at the Municipality, compact
attestations confirmed or refuted, forged verdicts rejected with a reason."""

from __future__ import annotations

import dataclasses

import pytest

from protocol.federation import Federation, Standing
from protocol.kinds import BodyKind, Choice, Outcome, Proposal
from protocol.rules import ProcessRules
from protocol.stages import Stage
from protocol.testing import Scenario
from protocol.verdict import (
    Attestation,
    FullProof,
    ProofError,
    attest,
    community_verdict,
    make_full_proof,
    verify_full_proof,
)

SMALL = ProcessRules(min_constituent_size=5)
"""Test Communities have five members: the higher body lets them count."""

NAMES = ("ana", "bea", "cruz", "dev", "eli")


def municipality() -> tuple[Scenario, bytes]:
    muni = Scenario(
        ("mun1", "mun2", "mun3"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=SMALL
    )
    resolution = muni.propose("mun1", "Shared water plan", "Every community keeps a cistern.")
    return muni, resolution


def community(i: int, muni: Scenario, resolution: bytes, yes: int) -> Scenario:
    """A Community presents the resolution; ``yes`` of its 5 members vote for."""
    names = tuple(f"c{i}{n}" for n in NAMES)
    sc = Scenario(names, name=f"Community {i}", parent=muni.body)
    p = sc.post(
        names[0],
        Proposal(
            "Shared water plan", "Every community keeps a cistern.", "", muni.body, resolution
        ),
    ).id
    for _ in range(8):  # walk the process to its end, voting where votes are taken
        a = sc.assembly()
        if a.verdict(p) is not None:
            break
        if a.stage(p) in (Stage.TEMPERATURE, Stage.MINOR_CHECK, Stage.FINAL_VOTE):
            sc.votes(p, yes=list(names[:yes]), no=list(names[yes:]))
        sc.close(p)
    return sc


def decide(sc: Scenario, muni: Scenario, resolution: bytes):  # type: ignore[no-untyped-def]
    v = community_verdict(sc.assembly(), muni.body, resolution)
    assert v is not None
    return v


def test_ten_communities_decide_and_the_municipality_verifies_every_proof() -> None:
    muni, resolution = municipality()
    communities = [community(i, muni, resolution, yes=5 if i < 9 else 0) for i in range(10)]
    fed = Federation(
        muni.body, resolution, frozenset(sc.body for sc in communities), rules=muni.rules
    )
    for sc in communities:
        v = decide(sc, muni, resolution)
        proof = make_full_proof(sc.log, v)
        # over the wire and back
        received = FullProof.decode_untrusted(proof.encode())
        assert fed.receive_proof(received) == v
        assert len(proof.messages) < len(sc.log) + 1
    outcome = fed.combine()
    assert outcome.decided == 10 and outcome.count.votes_for == 9
    assert outcome.standing == Standing.PASSED  # 9 of 10 = 90 %, exactly the threshold


def test_standing_stays_pending_until_it_is_decided_either_way() -> None:
    muni, resolution = municipality()
    communities = [community(i, muni, resolution, yes=5 if i < 5 else 0) for i in range(10)]
    fed = Federation(
        muni.body, resolution, frozenset(sc.body for sc in communities), rules=muni.rules
    )
    for sc in communities[:5]:
        fed.receive_proof(make_full_proof(sc.log, decide(sc, muni, resolution)))
    assert fed.combine().standing == Standing.PENDING
    fed.receive_proof(make_full_proof(communities[5].log, decide(communities[5], muni, resolution)))
    assert fed.combine().standing == Standing.PENDING  # 9 of 10 could still pass
    fed.receive_proof(make_full_proof(communities[6].log, decide(communities[6], muni, resolution)))
    assert fed.combine().standing == Standing.FAILED  # at best 8 of 10 < 90 %


def test_forged_and_inconsistent_proofs_are_rejected_with_a_reason() -> None:
    muni, resolution = municipality()
    sc = community(0, muni, resolution, yes=5)
    v = decide(sc, muni, resolution)
    proof = make_full_proof(sc.log, v)
    outsider = community(7, muni, resolution, yes=5)
    fed = Federation(muni.body, resolution, frozenset({sc.body}), rules=muni.rules)

    def rejects(p: FullProof, reason: str) -> None:
        with pytest.raises(ProofError, match=reason):
            fed.receive_proof(p)

    # a vote dropped from the proof: the cut is no longer causally closed
    votes = [i for i, raw in enumerate(proof.messages) if raw[1] == 7]
    rejects(
        dataclasses.replace(
            proof, messages=proof.messages[: votes[0]] + proof.messages[votes[0] + 1 :]
        ),
        "causally closed",
    )
    # a tampered vote
    bad = bytearray(proof.messages[votes[1]])
    bad[-5] ^= 1
    rejects(
        dataclasses.replace(
            proof,
            messages=(*proof.messages[: votes[1]], bytes(bad), *proof.messages[votes[1] + 1 :]),
        ),
        "invalid",
    )
    # a proof cut before the decision
    rejects(dataclasses.replace(proof, messages=proof.messages[: votes[0]]), "finished decision")
    # a community that is not a member
    rejects(make_full_proof(outsider.log, decide(outsider, muni, resolution)), "not a member")
    # about another resolution
    with pytest.raises(ProofError, match="finished decision"):
        verify_full_proof(proof, higher_body=muni.body, resolution=bytes(32), rules=muni.rules)
    # garbage bytes
    with pytest.raises(ProofError):
        FullProof.decode_untrusted(b"\x93\x00")
    assert len(fed.rejected) == 4 and not fed.proven


def test_compact_attestation_fits_a_kilobyte_and_is_confirmed_or_refuted() -> None:
    muni, resolution = municipality()
    honest = community(0, muni, resolution, yes=5)
    liars = community(1, muni, resolution, yes=0)
    fed = Federation(muni.body, resolution, frozenset({honest.body, liars.body}), rules=muni.rules)
    for sc in (honest, liars):
        fed.learn_genesis(sc.messages[0])
    v = decide(honest, muni, resolution)
    att = attest(v, [honest.seed(n) for n in honest.names.values()][:5])
    data = att.encode()
    assert len(data) <= 1024
    assert fed.receive_attestation(Attestation.decode_untrusted(data)) == v
    assert fed.combine().provisional
    fed.receive_proof(make_full_proof(honest.log, v))
    assert not fed.evidence
    # the liars attest PASSED although they failed it
    real = decide(liars, muni, resolution)
    assert real.outcome == Outcome.FAILED
    lie = dataclasses.replace(real, outcome=Outcome.PASSED, votes_for=5, votes_against=0)
    signers = [liars.seed(n) for n in list(liars.names.values())[:5]]
    fed.receive_attestation(attest(lie, signers))
    assert fed.combine().count.votes_for == 2  # provisionally believed
    fed.receive_proof(make_full_proof(liars.log, real))
    (refuted,) = fed.evidence
    assert set(refuted.signers) == {liars.key(n) for n in list(liars.names.values())[:5]}
    assert fed.combine().count.votes_for == 1


def test_attestations_with_too_few_or_bad_signatures_are_rejected() -> None:
    muni, resolution = municipality()
    sc = community(0, muni, resolution, yes=5)
    v = decide(sc, muni, resolution)
    fed = Federation(muni.body, resolution, frozenset({sc.body}), rules=muni.rules)
    seeds = [sc.seed(n) for n in sc.names.values()]
    with pytest.raises(ProofError, match="no roster"):
        fed.receive_attestation(attest(v, seeds[:5]))
    fed.learn_genesis(sc.messages[0])
    with pytest.raises(ProofError, match="require 5"):
        fed.receive_attestation(attest(v, seeds[:3]))
    att = attest(v, seeds[:5])
    forged = Attestation(dataclasses.replace(v, votes_for=4), att.signatures)
    with pytest.raises(ProofError, match="does not verify"):
        fed.receive_attestation(forged)
    _ = Choice


def test_a_proof_whose_version_is_false_is_refused() -> None:
    from protocol import canonical

    with pytest.raises(ProofError):
        FullProof.decode_untrusted(canonical.encode((False, bytes(32), ())))
    with pytest.raises(ProofError):
        Attestation.decode_untrusted(canonical.encode((False, (), ())))
