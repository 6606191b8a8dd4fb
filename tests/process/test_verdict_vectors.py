"""spec/vectors/verdicts.json: every full proof and attestation yields exactly
the recorded verdict or is rejected for the recorded reason; refutations name
the recorded signers; and the committed file is what the generator produces."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from crdt.log import Log
from protocol import envelope
from protocol.rules import ProcessRules
from protocol.verdict import (
    Attestation,
    FullProof,
    ProofError,
    confront,
    verify_attestation,
    verify_full_proof,
)

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "verdicts.json"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_verdicts", VECTORS.parent / "gen_verdicts.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = generator()
DOC: dict[str, Any] = json.loads(VECTORS.read_text())


@pytest.mark.parametrize("case", DOC["proofs"], ids=[str(c["tcId"]) for c in DOC["proofs"]])
def test_proof_vector(case: dict[str, Any]) -> None:
    def run() -> Any:
        proof = FullProof.decode_untrusted(bytes.fromhex(case["proof"]))
        return verify_full_proof(
            proof,
            higher_body=bytes.fromhex(case["higher_body"]),
            resolution=bytes.fromhex(case["resolution"]),
        )

    if "error" in case["expect"]:
        with pytest.raises(ProofError, match=case["expect"]["error"]) as info:
            run()
        assert info.value.code == "bad_proof"
    else:
        assert GEN.statement_json(run()) == case["expect"]["verdict"]


@pytest.mark.parametrize(
    "case", DOC["attestations"], ids=[str(c["tcId"]) for c in DOC["attestations"]]
)
def test_attestation_vector(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["attestation"])
    assert len(data) == case["bytes"] <= 1024
    att = Attestation.decode_untrusted(data)
    if "error" in case["expect"]:
        with pytest.raises(ProofError, match=case["expect"]["error"]):
            verify_attestation(att, case["k"])
    else:
        assert GEN.statement_json(verify_attestation(att, case["k"])) == case["expect"]["verdict"]


@pytest.mark.parametrize(
    "case", DOC["refutations"], ids=[str(c["tcId"]) for c in DOC["refutations"]]
)
def test_refutation_vector(case: dict[str, Any]) -> None:
    att = Attestation.decode_untrusted(bytes.fromhex(case["attestation"]))
    verify_attestation(att, 5)
    proven = verify_full_proof(
        FullProof.decode_untrusted(bytes.fromhex(case["proof"])),
        higher_body=bytes.fromhex(case["higher_body"]),
        resolution=bytes.fromhex(case["resolution"]),
    )
    refuted = confront(att, proven)
    signers = [] if refuted is None else sorted(k.hex() for k in refuted.signers)
    assert signers == case["refuted_signers"]


@pytest.mark.parametrize(
    "case", DOC["constituencies"], ids=[str(c["tcId"]) for c in DOC["constituencies"]]
)
def test_constituency_vector(case: dict[str, Any]) -> None:
    """A higher body's log and its constituents' proofs give exactly the
    recorded constituents, admissions, ignored messages and reasons."""
    envs = [envelope.open_untrusted(bytes.fromhex(m), None) for m in case["higher_messages"][:1]]
    log = Log(envs[0].id)
    log.add(envs[0])
    for m in case["higher_messages"][1:]:
        log.add(envelope.open_untrusted(bytes.fromhex(m), envs[0].id))
    proofs = [FullProof.decode_untrusted(bytes.fromhex(p)) for p in case["proofs"]]
    got = GEN.constituency_from(log, proofs)
    bodies = [bytes.fromhex(b) for b in case["expect"]["why_not"]]
    assert GEN.constituency_json(got, bodies) == case["expect"]


@pytest.mark.parametrize("case", DOC["one_person"], ids=[str(c["tcId"]) for c in DOC["one_person"]])
def test_one_person_vector(case: dict[str, Any]) -> None:
    """Constituents' proofs give exactly the recorded duplicates, the
    constituents that do not count and why, and the standing."""
    proofs = [FullProof.decode_untrusted(bytes.fromhex(p)) for p in case["proofs"]]
    rules = ProcessRules(min_constituent_size=case["rules"]["min_constituent_size"])
    got = GEN.one_person_from(
        bytes.fromhex(case["higher_body"]), bytes.fromhex(case["resolution"]), rules, proofs
    )
    assert GEN.one_person_json(got) == case["expect"]


@pytest.mark.parametrize("case", DOC["people"], ids=[str(c["tcId"]) for c in DOC["people"]])
def test_people_vector(case: dict[str, Any]) -> None:
    """The Collective's log and the Regions' level proofs ratify exactly
    the recorded version, or refuse it for the recorded reason."""
    from protocol.nesting import LevelProof

    parts = [LevelProof.decode_untrusted(bytes.fromhex(p)) for p in case["parts"]]
    structure = {
        bytes.fromhex(b): frozenset(bytes.fromhex(m) for m in ms)
        for b, ms in case["structure"].items()
    }
    rules = ProcessRules(min_constituent_size=case["rules"]["min_constituent_size"])
    got = GEN.people_from(
        [bytes.fromhex(r) for r in case["collective_log"]],
        bytes.fromhex(case["ratification"]),
        parts,
        structure,
        rules,
    )
    assert got == case["expect"]


def test_founding_constitution_vector() -> None:
    """Version 1's digest and an initiative's text and resulting digest
    follow from the values in the vector alone."""
    from protocol.federal import FederalConstitution, amended, initiative_text
    from protocol.kinds import ConstitutionInitiative

    (doc,) = DOC["people_founding"]
    founding = FederalConstitution(
        doc["version"],
        tuple(tuple(p) for p in doc["params"]),  # type: ignore[misc]
        tuple(tuple(a) for a in doc["articles"]),  # type: ignore[misc]
    )
    assert founding.digest().hex() == doc["digest"]
    i = doc["initiative"]
    init = ConstitutionInitiative(
        i["version"],
        tuple(tuple(p) for p in i["params"]),  # type: ignore[misc]
        tuple(tuple(a) for a in i["articles"]),  # type: ignore[misc]
        "",
    )
    assert initiative_text(init) == i["text"]
    assert amended(founding, init).digest().hex() == i["digest_after"]


def test_vectors_are_generated() -> None:
    assert GEN.render() == VECTORS.read_text(), "run spec/vectors/gen_verdicts.py"
