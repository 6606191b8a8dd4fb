"""Verdicts are bound to the text decided (spec/federation.md, "The
Community Verdict"): a Community that adopts a friendly amendment to a
Municipality's resolution passes *another* text; the Municipality counts it
not FOR its original but reports it as an amendment proposal."""

from __future__ import annotations

from crdt.text import TextDocument
from protocol.federal import text_hash
from protocol.federation import Federation, Standing
from protocol.kinds import BodyKind, Choice, Proposal
from protocol.rules import ProcessRules
from protocol.testing import Scenario
from protocol.verdict import CommunityVerdict, rederive

TEXT = "Every community keeps a cistern."
TEN = tuple(f"m{i}" for i in range(10))


def setting() -> tuple[Scenario, bytes]:
    muni = Scenario(
        ("mun1", "mun2"),
        body_kind=BodyKind.MUNICIPALITY,
        name="Valle",
        rules=ProcessRules(min_constituent_size=10),
    )
    return muni, muni.propose("mun1", "Cisterns", TEXT)


def as_presented(muni: Scenario, res: bytes, tag: str) -> CommunityVerdict:
    sc = Scenario(tuple(f"{tag}{i}" for i in range(10)), name=tag, parent=muni.body)
    sc.decide(muni.body, res, yes=tuple(f"{tag}{i}" for i in range(10)), text=TEXT)
    return rederive(sc.proof(muni.body, res), higher_body=muni.body, resolution=res)[0]


def amended(muni: Scenario, res: bytes) -> tuple[CommunityVerdict, str]:
    """Ten members: 8/2 at the first check, a cost grievance, an adopted
    friendly amendment, then all ten for the amended text."""
    sc = Scenario(TEN, name="amenders", parent=muni.body)
    p = sc.post("m0", Proposal("Cisterns", TEXT, "", muni.body, res)).id
    sc.close(p)
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    sc.grievance("m8", p, "cost")
    sc.grievance("m9", p, "cost")
    sc.close(p)
    op = TextDocument(p, TEXT).prepare_insert(len(TEXT), " Pumps are shared.").op
    am = sc.amend("m9", p, "cost", [op], "share pumps")
    for n in TEN[:6]:
        sc.amendment_vote(n, am, Choice.FOR)
    sc.close(p)
    sc.votes(p, yes=TEN)
    sc.close(p)
    sc.close(p)
    v = rederive(sc.proof(muni.body, res), higher_body=muni.body, resolution=res)[0]
    return v, sc.assembly().text(p)


def test_a_verdict_names_the_hash_of_the_text_it_decided() -> None:
    muni, res = setting()
    v = as_presented(muni, res, "a")
    assert v.text == text_hash(TEXT)
    w, text = amended(muni, res)
    assert text == TEXT + " Pumps are shared."
    assert w.text == text_hash(text) != v.text


def test_an_amended_text_is_not_counted_for_the_original_and_goes_up_as_an_amendment() -> None:
    muni, res = setting()
    v = as_presented(muni, res, "a")
    w, text = amended(muni, res)
    fed = Federation(
        muni.body,
        res,
        frozenset({v.community, w.community}),
        rules=muni.rules,
        text=text_hash(TEXT),
    )
    fed.take(v)
    fed.take(w)
    result = fed.combine()
    assert (result.count.votes_for, result.count.votes_against) == (1, 1)
    assert result.standing == Standing.FAILED  # 1/2 < 9/10 for the original text
    assert result.amendments == ((w.community, text_hash(text)),)
    # the same verdicts, combined without the text check, would pass 2 of 2
    loose = Federation(muni.body, res, frozenset({v.community, w.community}), rules=muni.rules)
    loose.take(v)
    loose.take(w)
    assert loose.combine().standing == Standing.PASSED


def test_a_community_that_decides_again_is_counted_by_its_latest_verdict() -> None:
    from protocol.verdict import community_verdict, presented

    muni, res = setting()
    sc = Scenario(tuple(f"a{i}" for i in range(10)), name="a", parent=muni.body)
    names = tuple(sc.seeds)
    first = sc.decide(muni.body, res, yes=(), no=names, text=TEXT)
    assert presented(sc.assembly(), muni.body, res) == first
    again = sc.post("a0", Proposal("Cisterns", TEXT, "", muni.body, res)).id
    # while the new presentation is undecided, the earlier verdict stands
    v = community_verdict(sc.assembly(), muni.body, res)
    assert v is not None and v.proposal == first
    sc.decide(muni.body, res, yes=names, text=TEXT)
    v = community_verdict(sc.assembly(), muni.body, res)
    assert v is not None and v.proposal not in (first, again)
