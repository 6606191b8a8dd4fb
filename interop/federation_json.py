"""The reference readings of the federation vectors (spec/federation.md,
spec/constitution.md) in the JSON form vectors/verdicts.json records and
the harness's ``constituency``, ``one_person`` and ``people_ratify`` answer
(spec/harness.md). The generator and the harness share them."""

from __future__ import annotations

from typing import Any

from crdt.log import Log
from protocol import envelope
from protocol.assembly import Assembly
from protocol.constituents import Constituency, read_constituency, verdict_map
from protocol.federation import Federation
from protocol.nesting import LevelProof
from protocol.ratification import verify
from protocol.rules import ProcessRules
from protocol.verdict import FullProof, ProofError, decided_resolution, rederive


def constituency_json(c: Constituency, bodies: list[bytes]) -> dict[str, Any]:
    """What a verifier must make of a higher body's log and its proofs."""
    return {
        "constituents": sorted(m.hex() for m in c.members()),
        "admissions": [
            {
                "message": a.message.hex(),
                "constituent": a.constituent.hex(),
                "standing": a.result.standing.value,
            }
            for a in c.admissions
        ],
        "ignored": sorted([m.hex(), why] for m, why in c.ignored),
        "why_not": {b.hex(): c.why_not(b) for b in bodies},
    }


def constituency_from(higher_log: Any, proofs: list[FullProof]) -> Constituency:
    """The reference reading of a constituency vector (also used by its test)."""
    vs = []
    for proof in proofs:
        higher, resolution = decided_resolution(proof)
        vs.append(rederive(proof, higher_body=higher, resolution=resolution)[0])
    return read_constituency(higher_log, verdict_map(vs))


def one_person_from(
    higher: bytes, resolution: bytes, rules: ProcessRules, proofs: list[FullProof]
) -> Federation:
    """The reference reading of a one-person vector (also used by its test):
    the constituents' proofs combined by the higher body's rules."""
    fed = Federation(higher, resolution, frozenset(p.community for p in proofs), rules=rules)
    for proof in proofs:
        fed.receive_proof(proof)
    fed.combine()
    return fed


def one_person_json(fed: Federation) -> dict[str, Any]:
    c = fed.combine()
    return {
        "duplicates": [
            {
                "key": d.key.hex(),
                "first": {"body": d.first.body.hex(), "since": d.first.since},
                "second": {"body": d.second.body.hex(), "since": d.second.since},
            }
            for d in fed.duplicates
        ],
        "not_counting": {b.hex(): why for b, why in sorted(fed.doubled.items())},
        "standing": c.standing.value,
        "counting": c.members,
    }


def people_from(
    collective_log: list[bytes],
    ratification: bytes,
    parts: list[LevelProof],
    structure: dict[bytes, frozenset[bytes]],
    rules: ProcessRules,
) -> dict[str, Any]:
    """The reference reading of a people's-constitution vector (also used
    by its test): fold the Collective's log, take the RATIFICATION's claim
    and re-derive the combination from the Regions' level proofs."""
    log = Log(envelope.decode_untrusted(collective_log[0], None).body)
    for raw in collective_log:
        log.add(envelope.open_untrusted(raw, log.body))
    claim = Assembly(log.body, rules).fold(log).claims[ratification]
    try:
        result = verify(claim, log.body, tuple(parts), structure, rules)
    except ProofError as exc:
        return {"ratified": False, "reason": str(exc)}
    return {
        "ratified": True,
        "version": claim.after.version,
        "constitution": claim.after.digest().hex(),
        "for": result.count.votes_for,
        "counting": result.members,
    }
