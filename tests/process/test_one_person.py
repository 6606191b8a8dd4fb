"""One person, one Community (spec/federation.md): a key admitted to a
second constituent of the same higher body — the same key, or one of the
keys it rotated through — is found by whoever holds both verdicts' proofs,
recorded as evidence, and the later membership does not count upward: the
later constituent's size leaves the person out, and its verdict does not
count when the person's vote decided it."""

from __future__ import annotations

from fractions import Fraction

from protocol.federation import Federation, Standing
from protocol.kinds import BodyKind, Founding
from protocol.one_person import duplicates, memberships
from protocol.rules import ProcessRules
from protocol.testing import Scenario

SMALL = ProcessRules(min_constituent_size=4)


def municipality(rules: ProcessRules = SMALL) -> Scenario:
    return Scenario(("m1", "m2", "m3"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=rules)


def community(tag: str, parent: bytes, rules: ProcessRules | None = None) -> Scenario:
    names = tuple(f"{tag}{n}" for n in range(1, 5))
    kw = {"rules": rules} if rules is not None else {}
    return Scenario(names, name=f"Community {tag}", parent=parent, **kw)


def admit(sc: Scenario, newcomer: str) -> None:
    """The whole community admits ``newcomer`` (same name: same key)."""
    members = [n for n in sc.seeds if n != newcomer]
    m = sc.admit(members[0], newcomer)
    sc.votes(m, yes=members)
    sc.close(m)


def federation(muni: Scenario, *bodies: Scenario) -> Federation:
    muni.post("m1", Founding(tuple(sorted(b.body for b in bodies))), parents=(muni.body,))
    return Federation(muni.body, b"", frozenset(b.body for b in bodies), rules=muni.rules)


def decide_all(muni: Scenario, resolution: bytes, fed: Federation, *bodies: Scenario) -> None:
    for b in bodies:
        fed.receive_proof(b.proof(muni.body, resolution))


def test_a_person_in_two_communities_is_found_and_counted_once() -> None:
    muni = municipality()
    a, b = community("a", muni.body), community("b", muni.body)
    admit(b, "a1")  # a1, a founder of a, is admitted to b later with the same key
    r = muni.propose("m1", "Rain cisterns", "Every community keeps one.")
    fed = federation(muni, a, b)
    fed.resolution = r
    a.decide(muni.body, r, yes=tuple(a.seeds))
    b.decide(muni.body, r, yes=tuple(b.seeds))
    decide_all(muni, r, fed, a, b)
    combined = fed.combine()
    (d,) = fed.duplicates
    assert d.key == a.key("a1")
    assert (d.first.body, d.second.body) == (a.body, b.body)  # a's founding came first
    assert d.second.since > d.first.since
    assert "one person in two bodies" in d.describe()
    # b has 4 members besides a1 and passed without a1's vote: it counts
    assert fed.doubled == {} and combined.standing == Standing.PASSED
    assert combined.count.votes_for == 2


def test_the_later_membership_does_not_make_a_body_big_enough() -> None:
    muni = municipality(ProcessRules(min_constituent_size=5))
    a = Scenario(tuple(f"a{n}" for n in range(1, 6)), name="a", parent=muni.body)
    b = community("b", muni.body)
    admit(b, "a1")  # b reaches 5 members only by counting a1 twice
    r = muni.propose("m1", "Rain cisterns", "Every community keeps one.")
    fed = federation(muni, a, b)
    fed.resolution = r
    a.decide(muni.body, r, yes=tuple(a.seeds))
    b.decide(muni.body, r, yes=tuple(b.seeds))
    decide_all(muni, r, fed, a, b)
    combined = fed.combine()
    assert "too small to count: 4 members once 1 counted first" in fed.doubled[b.body]
    assert combined.members == 1 and combined.standing == Standing.PASSED


def test_a_verdict_decided_by_the_doubled_vote_does_not_count() -> None:
    muni = municipality()
    a = community("a", muni.body)
    # b passes its temperature check at 3/4: with a1's vote 3 for, 1 against
    b = community("b", muni.body, ProcessRules(temperature_threshold=Fraction(3, 4)))
    admit(b, "a1")
    r = muni.propose("m1", "Rain cisterns", "Every community keeps one.")
    fed = federation(muni, a, b)
    fed.resolution = r
    a.decide(muni.body, r, yes=tuple(a.seeds))
    b.decide(muni.body, r, yes=("a1", "b2", "b3"), no=("b1",))
    decide_all(muni, r, fed, a, b)
    assert fed.proven[b.body].votes_for == 3
    combined = fed.combine()
    assert "rests on the votes of 1 member(s) counted first" in fed.doubled[b.body]
    assert combined.members == 1  # b is left out, not counted against


def test_across_key_rotation() -> None:
    muni = municipality()
    a, b = community("a", muni.body), community("b", muni.body)
    a.rotate("a1", "a1-new")  # a1 moves to a new key in a ...
    admit(b, "a1-new")  # ... and joins b with it
    found = duplicates({a.body: memberships(a.assembly()), b.body: memberships(b.assembly())})
    (d,) = found
    assert d.key == a.key("a1-new")
    assert d.first.identity == a.key("a1") and a.key("a1") in d.first.keys
    assert d.second.body == b.body


def test_members_who_are_not_shared_are_not_evidence() -> None:
    muni = municipality()
    a, b = community("a", muni.body), community("b", muni.body)
    assert duplicates({a.body: memberships(a.assembly()), b.body: memberships(b.assembly())}) == ()
