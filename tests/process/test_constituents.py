"""Constituents are admitted by the higher body's decision, never
self-declared (spec/federation.md, "Constituents"): founding constituents
named at the founding, admission combined from the constituents' verdicts,
leaving by the constituent's own verdict, and a proof from anyone else
refused with the reason and kept as evidence."""

from __future__ import annotations

import pytest

from protocol.constituents import read_constituency, verdict_map
from protocol.federation import Federation, Standing
from protocol.kinds import BodyKind, ConstituentAdmit, Founding, Outcome
from protocol.rules import ProcessRules
from protocol.testing import Scenario
from protocol.verdict import ProofError, rederive

SMALL = ProcessRules(min_constituent_size=5)
"""The test Communities have 5 or 10 members; the Municipality lets 5 count."""


def municipality(rules: ProcessRules = SMALL) -> Scenario:
    return Scenario(
        ("mun1", "mun2", "mun3"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=rules
    )


def community(tag: str, parent: bytes, size: int) -> Scenario:
    return Scenario(tuple(f"{tag}{i}" for i in range(size)), name=f"C {tag}", parent=parent)


def found(muni: Scenario, *constituents: Scenario) -> bytes:
    ids = tuple(sorted(c.body for c in constituents))
    return muni.post("mun1", Founding(ids), parents=(muni.body,)).id


def verified(muni: Scenario, *communities: tuple[Scenario, bytes]) -> dict[bytes, dict]:
    vs = []
    for sc, res in communities:
        vs.append(rederive(sc.proof(muni.body, res), higher_body=muni.body, resolution=res)[0])
    return verdict_map(vs)


def test_nine_self_founded_bodies_do_not_outvote_one_admitted_community() -> None:
    """The issue's example: nine one-member bodies naming the Municipality as
    parent and passing a resolution; one admitted ten-member Community
    rejects it. Only the admitted Community counts: the resolution fails."""
    muni = municipality()
    real = community("r", muni.body, 10)
    found(muni, real)
    res = muni.propose("mun1", "Sell the river", "The river is sold.")
    names = tuple(f"r{i}" for i in range(10))
    real.decide(muni.body, res, yes=names[:3], no=names[3:])
    fakes = [community(f"f{i}x", muni.body, 1) for i in range(9)]
    for f in fakes:
        f.decide(muni.body, res, yes=(f"f{fakes.index(f)}x0",))
    cons = read_constituency(muni.log, {})
    assert cons.members() == {real.body}
    fed = Federation(muni.body, res, cons.members(), rules=muni.rules, why_not=cons.why_not)
    assert fed.receive_proof(real.proof(muni.body, res)).outcome == Outcome.FAILED
    for f in fakes:
        with pytest.raises(ProofError, match="never admitted"):
            fed.receive_proof(f.proof(muni.body, res))
    assert [r.community for r in fed.refused] == [f.body for f in fakes]
    assert all(r.proof.messages for r in fed.refused)  # kept as evidence
    result = fed.combine()
    assert (result.standing, result.count.votes_for, result.members) == (Standing.FAILED, 0, 1)


def test_a_body_is_admitted_by_the_constituents_verdicts() -> None:
    muni = municipality()
    a, b = community("a", muni.body, 5), community("b", muni.body, 5)
    newcomer = community("n", muni.body, 5)
    found(muni, a, b)
    admit = muni.post("mun2", ConstituentAdmit(newcomer.body, "the river valley")).id
    names = {c: tuple(f"{t}{i}" for i in range(5)) for c, t in ((a, "a"), (b, "b"))}
    a.decide(muni.body, admit, yes=names[a])
    before = read_constituency(muni.log, verified(muni, (a, admit)))
    assert newcomer.body not in before.members()
    assert "still being decided (1 of 2" in (before.why_not(newcomer.body) or "")
    b.decide(muni.body, admit, yes=names[b])
    after = read_constituency(muni.log, verified(muni, (a, admit), (b, admit)))
    assert after.members() == {a.body, b.body, newcomer.body}
    (record,) = after.admissions
    assert record.electorate == {a.body, b.body}


def test_an_admission_the_constituents_reject_fails() -> None:
    muni = municipality()
    a = community("a", muni.body, 5)
    outsider = community("o", muni.body, 5)
    found(muni, a)
    admit = muni.post("mun2", ConstituentAdmit(outsider.body, "")).id
    a.decide(muni.body, admit, yes=(), no=tuple(f"a{i}" for i in range(5)))
    cons = read_constituency(muni.log, verified(muni, (a, admit)))
    assert cons.members() == {a.body}
    assert "admission failed" in (cons.why_not(outsider.body) or "")


def test_a_constituent_leaves_by_its_own_verdict() -> None:
    muni = municipality()
    a, b = community("a", muni.body, 5), community("b", muni.body, 5)
    found(muni, a, b)
    b.decide(muni.body, muni.body, yes=tuple(f"b{i}" for i in range(5)), title="Leave Valle")
    cons = read_constituency(muni.log, verified(muni, (b, muni.body)))
    assert cons.members() == {a.body}
    assert "left" in (cons.why_not(b.body) or "")


def test_a_founding_by_anyone_else_or_later_is_ignored() -> None:
    muni = municipality()
    a, b = community("a", muni.body, 5), community("b", muni.body, 5)
    muni.post("mun2", Founding((b.body,)), parents=(muni.body,))  # not the genesis author
    late = muni.propose("mun1")
    muni.post("mun1", Founding((b.body,)), parents=(late,))  # not at the founding
    assert read_constituency(muni.log, {}).members() == frozenset()
    found(muni, a)
    cons = read_constituency(muni.log, {})
    assert cons.members() == {a.body}
    assert len(cons.ignored) == 2


def test_an_admission_by_a_non_member_is_ignored() -> None:
    muni = municipality()
    a, b = community("a", muni.body, 5), community("b", muni.body, 5)
    found(muni, a)
    stranger = muni.post("zed", ConstituentAdmit(b.body, "")).id
    cons = read_constituency(muni.log, {})
    assert cons.admissions == []
    assert (stranger, "the mover is not a member of the higher body") in cons.ignored


def test_an_undersized_constituent_does_not_count_even_toward_the_total() -> None:
    """Equal power: with the default minimum of 50 members, an admitted
    10-member Community's verdict is refused (and kept), and the others
    decide without it."""
    muni = municipality(ProcessRules())
    big = community("b", muni.body, 50)
    small = community("s", muni.body, 10)
    found(muni, big, small)
    res = muni.propose("mun1")
    big.decide(muni.body, res, yes=tuple(f"b{i}" for i in range(50)))
    small.decide(muni.body, res, yes=(), no=tuple(f"s{i}" for i in range(10)))
    fed = Federation(muni.body, res, frozenset({big.body, small.body}), rules=muni.rules)
    fed.receive_proof(big.proof(muni.body, res))
    with pytest.raises(
        ProofError, match="too small to count: 10 members, the constitution requires 50"
    ):
        fed.receive_proof(small.proof(muni.body, res))
    assert [r.community for r in fed.refused] == [small.body]
    result = fed.combine()
    assert (result.standing, result.count.votes_for, result.members) == (Standing.PASSED, 1, 1)


def test_workplace_councils_concur_in_their_own_chamber() -> None:
    """Communities and Workplace Councils each one vote in their own chamber;
    a resolution passes only when both pass."""
    muni = municipality()
    comm = community("c", muni.body, 5)
    work = Scenario(
        tuple(f"w{i}" for i in range(5)),
        name="Bakery",
        parent=muni.body,
        body_kind=BodyKind.WORKPLACE,
    )
    found(muni, comm, work)
    res = muni.propose("mun1")
    comm.decide(muni.body, res, yes=tuple(f"c{i}" for i in range(5)))
    work.decide(muni.body, res, yes=(), no=tuple(f"w{i}" for i in range(5)))
    fed = Federation(muni.body, res, frozenset({comm.body, work.body}), rules=muni.rules)
    fed.receive_proof(comm.proof(muni.body, res))
    assert fed.combine().standing == Standing.PENDING  # the workplaces have not spoken
    fed.receive_proof(work.proof(muni.body, res))
    result = fed.combine()
    assert result.standing == Standing.FAILED
    assert result.count.votes_for == 1 and result.workplaces is not None
    assert (result.workplaces.votes_for, result.workplaces.votes_against) == (0, 1)
