"""A Community may found itself with local constitution values within the
bounds (spec/constitution.md). Its verdict on a higher resolution is then
what its own rules make of its votes. Re-deriving it under the *higher*
body's rules gives another result: today the honest full proof is rejected
("does not contain a finished decision") and the Community's attestation is
never confirmed (were it re-derived to a different verdict, its signers
would be named as evidence). Found in review:
``Federation`` passes its own rules to ``verify_full_proof``, which folds
the Community under them instead of under the Community's genesis.
Fixed: the Federation re-derives each Community under its own genesis rules."""

from __future__ import annotations

from fractions import Fraction

from protocol.federation import Federation
from protocol.kinds import BodyKind, Outcome, Proposal
from protocol.rules import ProcessRules
from protocol.stages import Stage
from protocol.testing import Scenario
from protocol.verdict import attest, community_verdict, make_full_proof, verify_full_proof

SMALL = ProcessRules(min_constituent_size=5)
"""Test Communities have five members: the higher body lets them count."""

NAMES = ("ana", "bea", "cruz", "dev", "eli")
LOCAL = ProcessRules(temperature_threshold=Fraction(1, 2))  # within bounds and the charter


def setup() -> tuple[Scenario, bytes, Scenario]:
    muni = Scenario(
        ("mun1", "mun2", "mun3"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=SMALL
    )
    resolution = muni.propose("mun1", "Shared water plan", "Every community keeps a cistern.")
    sc = Scenario(NAMES, name="Community L", parent=muni.body, rules=LOCAL)
    p = sc.post("ana", Proposal("Shared water plan", "cisterns", "", muni.body, resolution)).id
    for _ in range(8):
        a = sc.assembly()
        if a.verdict(p) is not None:
            break
        if a.stage(p) in (Stage.TEMPERATURE, Stage.MINOR_CHECK, Stage.FINAL_VOTE):
            sc.votes(p, yes=list(NAMES[:4]), no=list(NAMES[4:]))  # 4 of 5: 80 %
        sc.close(p)
    return muni, resolution, sc


def test_the_community_passes_it_under_its_own_rules() -> None:
    muni, resolution, sc = setup()
    v = community_verdict(sc.assembly(), muni.body, resolution)
    assert v is not None and v.outcome == Outcome.PASSED
    # a verifier folding under the genesis rules agrees
    proof = make_full_proof(sc.log, v)
    assert verify_full_proof(proof, higher_body=muni.body, resolution=resolution) == v


def test_an_honest_attestation_under_local_rules_is_not_refuted() -> None:
    muni, resolution, sc = setup()
    v = community_verdict(sc.assembly(), muni.body, resolution)
    assert v is not None
    fed = Federation(muni.body, resolution, frozenset({sc.body}), rules=muni.rules)
    fed.learn_genesis(sc.messages[0])
    fed.receive_attestation(attest(v, [sc.seed(n) for n in NAMES]))
    assert fed.receive_proof(make_full_proof(sc.log, v)) == v
    assert not fed.evidence
