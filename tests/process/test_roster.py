"""Membership: genesis, admission and removal by vote, leaving, key rotation,
the size cap, and the roster at any causal cut."""

from __future__ import annotations

from protocol.kinds import BodyKind, Choice
from protocol.rotation import facilitator
from protocol.rules import ProcessRules
from protocol.stages import Stage
from protocol.testing import Scenario

FIVE = ("ana", "bea", "cruz", "dev", "eli")


def test_genesis_founds_the_roster_and_names_the_body() -> None:
    sc = Scenario(FIVE, body_kind=BodyKind.WORKPLACE, parent=b"\x07" * 32)
    a = sc.assembly()
    assert a.roster().identities() == {sc.key(n) for n in FIVE}
    assert a.body_kind == BodyKind.WORKPLACE and a.parent == b"\x07" * 32


def test_admission_is_a_decision_of_the_body() -> None:
    sc = Scenario(FIVE)
    m = sc.admit("ana", "fern")
    before = sc.heads()
    sc.votes(m, yes=["ana", "bea", "cruz"], no=["dev"])
    a = sc.assembly()
    assert sc.key("fern") not in a.roster()  # not until the motion closes
    close = sc.close(m)
    a = sc.assembly()
    assert a.stage(m) == Stage.ADOPTED
    assert sc.key("fern") in a.roster()
    assert sc.key("fern") not in a.roster_at(before)
    assert sc.key("fern") in a.roster_at([close])


def test_a_rejected_admission_changes_nothing() -> None:
    sc = Scenario(FIVE)
    m = sc.admit("ana", "fern")
    sc.votes(m, yes=["ana"], no=["dev", "eli", "bea"])
    sc.close(m)
    a = sc.assembly()
    assert a.stage(m) == Stage.REJECTED and sc.key("fern") not in a.roster()


def test_the_size_cap_blocks_admissions() -> None:
    sc = Scenario(FIVE, rules=ProcessRules(size_cap=5))
    m = sc.admit("ana", "fern")
    sc.votes(m, yes=FIVE)
    sc.close(m)
    a = sc.assembly()
    assert a.stage(m) == Stage.REJECTED and "size cap" in a.subject(m).note
    assert len(a.roster()) == 5


def test_leaving_is_immediate_and_later_votes_do_not_count() -> None:
    sc = Scenario(FIVE)
    p = sc.to_first_check("ana")
    sc.leave("eli")
    v = sc.vote("eli", p, Choice.AGAINST)
    a = sc.assembly()
    assert sc.key("eli") not in a.roster()
    assert any(i.message == v and "not a member" in i.reason for i in a.ignored)


def test_removal_is_a_motion() -> None:
    sc = Scenario(FIVE)
    m = sc.leave("ana", "eli")
    assert sc.key("eli") in sc.assembly().roster()
    sc.votes(m, yes=["ana", "bea", "cruz"])
    sc.close(m)
    assert sc.key("eli") not in sc.assembly().roster()


def test_key_rotation_keeps_one_vote_per_member() -> None:
    sc = Scenario(FIVE)
    p = sc.to_first_check("ana")
    sc.vote("eli", p, Choice.AGAINST)
    sc.rotate("eli", "eli2")
    sc.vote("eli2", p, Choice.FOR)  # the same member, new key: latest vote counts
    old = sc.vote("eli", p, Choice.AGAINST)  # the old key is retired
    sc.votes(p, yes=["ana", "bea"])
    sc.close(p)
    a = sc.assembly()
    t = a.tallies(p)[Stage.TEMPERATURE]
    assert (t.votes_for, t.votes_against) == (3, 0)
    assert a.roster().key_of(sc.key("eli")) == sc.key("eli2")
    assert any(i.message == old and "not a member" in i.reason for i in a.ignored)


def test_a_rotation_without_the_new_keys_proof_is_evidence() -> None:
    from protocol.kinds import RotateKey

    sc = Scenario(FIVE)
    r = sc.post("eli", RotateKey(sc.key("eve"), b"\x01" * 64)).id
    a = sc.assembly()
    assert a.roster().key_of(sc.key("eli")) == sc.key("eli")
    assert any(e.what == "bad rotation proof" and e.messages == (r,) for e in a.evidence)


def test_facilitator_rotation_is_verifiable_and_never_the_author() -> None:
    sc = Scenario(FIVE)
    keys = [sc.key(n) for n in FIVE]
    served: dict[bytes, int] = {}
    seen = []
    for _ in range(8):
        f = facilitator(sc.body, keys, sc.key("ana"), served)
        assert f != sc.key("ana") and f in keys
        assert f == facilitator(sc.body, reversed(keys), sc.key("ana"), served)
        served[f] = served.get(f, 0) + 1
        seen.append(f)
    assert sorted(seen[:4]) == sorted(seen[4:]) and len(set(seen)) == 4  # everyone else, in turn
    assert facilitator(sc.body, [sc.key("ana")], sc.key("ana"), {}) == sc.key("ana")


def test_a_proposal_after_an_admission_includes_the_newcomer() -> None:
    sc = Scenario(FIVE)
    m = sc.admit("ana", "fern")
    sc.votes(m, yes=["ana", "bea", "cruz"])
    sc.close(m)
    p = sc.to_first_check("fern")
    sc.votes(p, yes=["fern", "ana", "bea", "cruz", "dev", "eli"])
    sc.close(p)
    a = sc.assembly()
    assert len(a.subject(p).electorate) == 6
    assert a.tallies(p)[Stage.TEMPERATURE].votes_for == 6


def test_a_new_key_speaks_only_after_its_rotation() -> None:
    sc = Scenario(FIVE)
    p = sc.to_first_check("ana")
    base = sc.heads()
    sc.rotate("eli", "eli2")
    early = sc.vote("eli2", p, Choice.FOR, parents=base)  # has not seen the rotation
    a = sc.assembly()
    assert any(i.message == early and "not a member" in i.reason for i in a.ignored)
