"""Generate spec/vectors/verdicts.json: Community Verdict proofs and
attestations (spec/federation.md) and exactly what a verifier must make of
them.

Each proof case holds the higher body and resolution, the full proof's wire
bytes (hex) and either the verdict statement it proves or a fragment of the
reason it must be rejected for (error code ``bad_proof``). Each attestation
case holds the attestation's wire bytes, ``k``, and the verdict or the
rejection reason; refutation cases pair an attestation with a full proof
and list the signers it names. Deterministic (fixed seeds and claimed
times), so the committed file is checked byte for byte by
tests/process/test_verdict_vectors.py. Run after any change to the process
or the proof formats:

    .venv/bin/python spec/vectors/gen_verdicts.py
"""

from __future__ import annotations

import dataclasses
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from interop.federation_json import (
    constituency_from,
    constituency_json,
    one_person_from,
    one_person_json,
    people_from,
)
from protocol.federal import FOUNDING, amended, initiative_text
from protocol.kinds import (
    BodyKind,
    ConstituentAdmit,
    ConstitutionInitiative,
    Founding,
    Proposal,
    Ratification,
)
from protocol.nesting import LevelProof
from protocol.rules import ProcessRules
from protocol.stages import Stage
from protocol.testing import Scenario
from protocol.verdict import (
    CommunityVerdict,
    FullProof,
    attest,
    community_verdict,
    make_full_proof,
    statement_json,
)

SMALL = ProcessRules(min_constituent_size=5)
"""The Municipalities of the constituency cases let five-member Communities count."""
OUT = Path(__file__).resolve().parent / "verdicts.json"
NAMES = ("ana", "bea", "cruz", "dev", "eli")


def municipality() -> tuple[Scenario, bytes]:
    muni = Scenario(("mun1", "mun2", "mun3"), body_kind=BodyKind.MUNICIPALITY, name="Valle")
    return muni, muni.propose("mun1", "Shared water plan", "Every community keeps a cistern.")


def community(tag: str, parent: bytes, resolution: bytes, yes: int) -> tuple[Scenario, bytes]:
    names = tuple(f"{tag}{n}" for n in NAMES)
    sc = Scenario(names, name=f"Community {tag}", parent=parent)
    p = sc.post(names[0], Proposal("Shared water plan", "cisterns", "", parent, resolution)).id
    for _ in range(8):
        a = sc.assembly()
        if a.verdict(p) is not None:
            break
        if a.stage(p) in (Stage.TEMPERATURE, Stage.MINOR_CHECK, Stage.FINAL_VOTE):
            sc.votes(p, yes=list(names[:yes]), no=list(names[yes:]))
        sc.close(p)
    return sc, p


def verdict_of(sc: Scenario, higher: bytes, resolution: bytes) -> CommunityVerdict:
    v = community_verdict(sc.assembly(), higher, resolution)
    assert v is not None
    return v


def cases() -> dict[str, list[dict[str, Any]]]:
    muni, res = municipality()
    proofs: list[dict[str, Any]] = []
    atts: list[dict[str, Any]] = []
    refutations: list[dict[str, Any]] = []

    def proof_case(comment: str, proof: FullProof, expect: dict[str, Any], **kw: bytes) -> None:
        proofs.append(
            {
                "tcId": len(proofs) + 1,
                "comment": comment,
                "higher_body": kw.get("higher", muni.body).hex(),
                "resolution": kw.get("resolution", res).hex(),
                "proof": proof.encode().hex(),
                "expect": expect,
            }
        )

    yes, _ = community("y", muni.body, res, 5)
    vy = verdict_of(yes, muni.body, res)
    good = make_full_proof(yes.log, vy)
    proof_case("5 of 5 for at every vote: passed", good, {"verdict": statement_json(vy)})
    no, _ = community("n", muni.body, res, 0)
    vn = verdict_of(no, muni.body, res)
    proof_case(
        "0 of 5 for at the temperature check: failed",
        make_full_proof(no.log, vn),
        {"verdict": statement_json(vn)},
    )
    votes = [i for i, raw in enumerate(good.messages) if raw[1] == 7]
    msgs = good.messages
    proof_case(
        "a counted vote removed: the cut is not causally closed",
        dataclasses.replace(good, messages=msgs[: votes[0]] + msgs[votes[0] + 1 :]),
        {"error": "causally closed"},
    )
    bad = bytearray(msgs[votes[1]])
    bad[-5] ^= 1
    proof_case(
        "a vote's signature altered",
        dataclasses.replace(good, messages=(*msgs[: votes[1]], bytes(bad), *msgs[votes[1] + 1 :])),
        {"error": "invalid"},
    )
    proof_case(
        "cut before the decision",
        dataclasses.replace(good, messages=msgs[: votes[0]]),
        {"error": "finished decision"},
    )
    proof_case(
        "a proof about another resolution",
        good,
        {"error": "finished decision"},
        resolution=bytes(32),
    )
    proof_case(
        "a community whose genesis names another parent",
        good,
        {"error": "not a member of the higher body"},
        higher=bytes(32),
    )
    later, lp = community("l", muni.body, res, 5)
    vl = verdict_of(later, muni.body, res)
    later.comment("lana", lp, "written after the decision")
    proof_case(
        "messages beyond the deciding close",
        FullProof(later.body, tuple(later.log.get(m).raw for m in later.log.order())),
        {"error": "beyond the deciding close"},
    )
    _ = vl
    proof_case("an empty proof", FullProof(yes.body, ()), {"error": "empty proof"})

    seeds = [yes.seed(f"y{n}") for n in NAMES]
    for comment, att, k, expect in (
        ("five members co-sign, k = 5", attest(vy, seeds), 5, {"verdict": statement_json(vy)}),
        ("three members co-sign, k = 5", attest(vy, seeds[:3]), 5, {"error": "require 5"}),
        (
            "a signature over another statement",
            dataclasses.replace(attest(vy, seeds), verdict=dataclasses.replace(vy, votes_for=4)),
            5,
            {"error": "does not verify"},
        ),
    ):
        data = att.encode()
        atts.append(
            {
                "tcId": len(atts) + 1,
                "comment": comment,
                "k": k,
                "attestation": data.hex(),
                "bytes": len(data),
                "expect": expect,
            }
        )
    lie = dataclasses.replace(vn, outcome=vy.outcome, votes_for=5, votes_against=0)
    liar_seeds = [no.seed(f"n{n}") for n in NAMES]
    refutations.append(
        {
            "tcId": 1,
            "comment": "five members attest PASSED; their full proof proves FAILED",
            "attestation": attest(lie, liar_seeds).encode().hex(),
            "proof": make_full_proof(no.log, vn).encode().hex(),
            "higher_body": muni.body.hex(),
            "resolution": res.hex(),
            "refuted_signers": sorted(no.key(f"n{n}").hex() for n in NAMES),
        }
    )
    refutations.append(
        {
            "tcId": 2,
            "comment": "an honest attestation confirmed by its full proof",
            "attestation": attest(vy, seeds).encode().hex(),
            "proof": good.encode().hex(),
            "higher_body": muni.body.hex(),
            "resolution": res.hex(),
            "refuted_signers": [],
        }
    )
    return {"proofs": proofs, "attestations": atts, "refutations": refutations}


def constituencies() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def five(tag: str, parent: bytes) -> Scenario:
        return Scenario(tuple(f"{tag}{n}" for n in NAMES), name=f"Community {tag}", parent=parent)

    def case(comment: str, muni: Scenario, proofs: list[FullProof], bodies: list[bytes]) -> None:
        out.append(
            {
                "tcId": len(out) + 1,
                "comment": comment,
                "higher_messages": [m.raw.hex() for m in muni.messages],
                "proofs": [p.encode().hex() for p in proofs],
                "expect": constituency_json(constituency_from(muni.log, proofs), bodies),
            }
        )

    def setting() -> tuple[Scenario, Scenario, Scenario, Scenario, bytes]:
        muni = Scenario(
            ("mun1", "mun2", "mun3"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=SMALL
        )
        a, b, n = five("a", muni.body), five("b", muni.body), five("n", muni.body)
        muni.post("mun1", Founding(tuple(sorted((a.body, b.body)))), parents=(muni.body,))
        return muni, a, b, n, muni.post("mun2", ConstituentAdmit(n.body, "the valley")).id

    def everyone(tag: str) -> tuple[str, ...]:
        return tuple(f"{tag}{n}" for n in NAMES)

    muni, a, b, n, admit = setting()
    case("founded with a and b; n asks by its genesis only", muni, [], [a.body, n.body])
    a.decide(muni.body, admit, yes=everyone("a"))
    case(
        "n's admission: 1 of 2 constituents decided: pending",
        muni,
        [a.proof(muni.body, admit)],
        [n.body],
    )
    b.decide(muni.body, admit, yes=everyone("b"))
    proofs = [a.proof(muni.body, admit), b.proof(muni.body, admit)]
    case("both constituents pass n's admission: n is a constituent", muni, proofs, [n.body])
    muni, a, b, n, admit = setting()
    a.decide(muni.body, admit, yes=(), no=everyone("a"))
    b.decide(muni.body, admit, yes=everyone("b"))
    proofs = [a.proof(muni.body, admit), b.proof(muni.body, admit)]
    case("one of two constituents rejects: 1/2 < 9/10, admission failed", muni, proofs, [n.body])
    muni, a, b, n, admit = setting()
    b.decide(muni.body, muni.body, yes=everyone("b"), title="Leave Valle")
    case(
        "b decides to leave: no longer a constituent",
        muni,
        [b.proof(muni.body, muni.body)],
        [b.body],
    )
    muni = Scenario(("mun1", "mun2"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=SMALL)
    a = five("a", muni.body)
    muni.post("mun2", Founding((a.body,)), parents=(muni.body,))
    muni.post("zed", ConstituentAdmit(a.body, ""))
    case(
        "a FOUNDING not by the genesis author is ignored, so no admission can follow it",
        muni,
        [],
        [a.body],
    )
    return out


def one_person() -> list[dict[str, Any]]:
    """A person in two Communities (spec/federation.md, "One person, one
    Community"): found from the proofs, the later membership not counted."""
    out: list[dict[str, Any]] = []

    def setting(
        floor: int, b_rules: ProcessRules | None = None
    ) -> tuple[Scenario, Scenario, Scenario, bytes]:
        rules = ProcessRules(min_constituent_size=floor)
        muni = Scenario(
            ("mun1", "mun2"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=rules
        )
        a = Scenario(("a1", "a2", "a3", "a4", "a5"), name="A", parent=muni.body)
        kw = {} if b_rules is None else {"rules": b_rules}
        b = Scenario(("b1", "b2", "b3", "b4"), name="B", parent=muni.body, **kw)
        m = b.admit("b1", "a1")  # a1, a founder of A, joins B later with the same key
        b.votes(m, yes=("b1", "b2", "b3", "b4"))
        b.close(m)
        return muni, a, b, muni.propose("mun1", "Rain cisterns", "Every community keeps one.")

    def case(comment: str, muni: Scenario, proofs: list[FullProof], resolution: bytes) -> None:
        fed = one_person_from(muni.body, resolution, muni.rules, proofs)
        out.append(
            {
                "tcId": len(out) + 1,
                "comment": comment,
                "higher_body": muni.body.hex(),
                "resolution": resolution.hex(),
                "rules": {"min_constituent_size": muni.rules.min_constituent_size},
                "proofs": [p.encode().hex() for p in proofs],
                "expect": one_person_json(fed),
            }
        )

    muni, a, b, r = setting(4)
    a.decide(muni.body, r, yes=tuple(a.seeds))
    b.decide(muni.body, r, yes=tuple(b.seeds))
    case(
        "a1 is in A and B: evidence; B keeps 4 others and passed without a1: both count",
        muni,
        [a.proof(muni.body, r), b.proof(muni.body, r)],
        r,
    )
    muni, a, b, r = setting(5)
    a.decide(muni.body, r, yes=tuple(a.seeds))
    b.decide(muni.body, r, yes=tuple(b.seeds))
    case(
        "B reaches the minimum of 5 only by counting a1 twice: B does not count",
        muni,
        [a.proof(muni.body, r), b.proof(muni.body, r)],
        r,
    )
    muni, a, b, r = setting(4, ProcessRules(temperature_threshold=Fraction(3, 4)))
    a.decide(muni.body, r, yes=tuple(a.seeds))
    b.decide(muni.body, r, yes=("a1", "b2", "b3"), no=("b1",))
    case(
        "B passed 3 to 1 at 3/4 only with a1's vote: B's verdict does not count",
        muni,
        [a.proof(muni.body, r), b.proof(muni.body, r)],
        r,
    )
    return out


COMMONS = ConstitutionInitiative(
    2,
    ((10, 40, 1),),
    ((8, "Care of the commons", "Rivers, forests and soil are held in common."),),
    "the commons deserve an article",
)


def people() -> list[dict[str, Any]]:
    """An initiative in the Collective's log (by a non-member), presented
    down to the Communities, ratified or not by the Regions' verdicts
    (spec/constitution.md, "The people's constitution")."""
    out: list[dict[str, Any]] = []

    def case(comment: str, votes: tuple[tuple[bool, ...], ...]) -> None:
        top = Scenario(("c1", "c2", "c3"), body_kind=BodyKind.COLLECTIVE, name="Collective")
        init = top.post("a stranger", COMMONS).id
        text = initiative_text(COMMONS)
        structure: dict[bytes, frozenset[bytes]] = {}
        parts: list[LevelProof] = []
        for r, yeses in enumerate(votes):
            region = Scenario((f"r{r}a", f"r{r}b"), body_kind=BodyKind.REGION, parent=top.body)
            rp = region.post(f"r{r}a", Proposal("The commons", text, "", top.body, init)).id
            muni = Scenario(
                (f"m{r}a", f"m{r}b"), body_kind=BodyKind.MUNICIPALITY, parent=region.body
            )
            mp = muni.post(f"m{r}a", Proposal("The commons", text, "", region.body, rp)).id
            proofs = []
            for i, yes in enumerate(yeses):
                names = tuple(f"r{r}c{i}{n}" for n in NAMES)
                sc = Scenario(names, name=f"Community {r}.{i}", parent=muni.body, rules=SMALL)
                sc.decide(
                    muni.body,
                    mp,
                    yes=names if yes else (),
                    no=() if yes else names,
                    title="The commons",
                    text=text,
                )
                proofs.append(sc.proof(muni.body, mp))
            structure[muni.body] = frozenset(p.community for p in proofs)
            structure[region.body] = frozenset({muni.body})
            inner = LevelProof(muni.body, muni.log.get(mp).raw, tuple(proofs))
            parts.append(LevelProof(region.body, region.log.get(rp).raw, (inner,)))
        structure[top.body] = frozenset(p.body for p in parts)
        after = amended(FOUNDING, COMMONS)
        rat = top.post("c1", Ratification(init, 2, after.digest())).id
        raws = [top.log.get(m).raw for m in top.log.order()]
        out.append(
            {
                "tcId": len(out) + 1,
                "comment": comment,
                "collective_log": [r.hex() for r in raws],
                "ratification": rat.hex(),
                "initiative_text": text,
                "parts": [p.encode().hex() for p in parts],
                "structure": {b.hex(): sorted(m.hex() for m in ms) for b, ms in structure.items()},
                "rules": {"min_constituent_size": SMALL.min_constituent_size},
                "expect": people_from(raws, rat, parts, structure, SMALL),
            }
        )

    yes, no = (True, True, True), (False, False, False)
    case("2 of 3 Regions passed the text: 2/3 of all, ratified as version 2", (yes, yes, no))
    case("1 of 3 Regions passed: refused", (yes, no, no))
    case(
        "a Municipality split 2 to 1 fails at 9/10, so its Region: 1 of 3",
        (yes, (True, True, False), no),
    )
    return out


def founding_constitution() -> list[dict[str, Any]]:
    """Version 1 of the people's constitution, as every federation starts,
    with its digest and an initiative's text (spec/constitution.md)."""
    return [
        {
            "tcId": 1,
            "comment": "version 1 and the commons initiative",
            "version": FOUNDING.version,
            "params": [list(p) for p in FOUNDING.params],
            "articles": [list(a) for a in FOUNDING.articles],
            "digest": FOUNDING.digest().hex(),
            "initiative": {
                "version": COMMONS.version,
                "params": [list(p) for p in COMMONS.params],
                "articles": [list(a) for a in COMMONS.articles],
                "text": initiative_text(COMMONS),
                "digest_after": amended(FOUNDING, COMMONS).digest().hex(),
            },
        }
    ]


def render() -> str:
    doc = {
        "description": "Community Verdict proofs and attestations (spec/federation.md)",
        "generator": "spec/vectors/gen_verdicts.py",
        **cases(),
        "constituencies": constituencies(),
        "one_person": one_person(),
        "people": people(),
        "people_founding": founding_constitution(),
    }
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def main() -> int:
    OUT.write_text(render())
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
