"""Hand counts (spec/process.md, "Hand counts"): a show of hands recorded
by the facilitator and witnesses counts like votes; nobody is counted both
by hand and digitally; contests lead to a recount or leave a count out; and
the verdict re-derives from the log like any other."""

from __future__ import annotations

import random

from crdt.log import Log
from protocol.assembly import Assembly
from protocol.kinds import Choice, HandCount
from protocol.stages import Stage
from protocol.testing import Scenario

MEMBERS = ("ana", "bea", "cruz", "dev", "eli", "fer")


def at_check() -> tuple[Scenario, bytes, str, list[str]]:
    """A proposal at its temperature check; its facilitator and the others."""
    sc = Scenario(MEMBERS)
    p = sc.to_first_check()
    fac = sc.facilitator(p)
    return sc, p, fac, [m for m in MEMBERS if m != fac]


def ignored_reason(sc: Scenario, mid: bytes) -> str | None:
    a = sc.assembly()
    return a.ignored_by_id[mid].reason if mid in a.ignored_by_id else None


def test_a_decision_partly_by_hand_partly_digital() -> None:
    sc, p, fac, others = at_check()
    room = [fac, *others[:3]]  # four in the square
    home = others[3:]  # two at home vote on their phones
    sc.votes(p, yes=home)
    hc = sc.hand_count(p, (4, 0, 0), room, others[:2])
    sc.close(p)
    a = sc.assembly()
    (check,) = [r for r in a.subject(p).history if r.stage == Stage.TEMPERATURE]
    assert check.hand == (hc,)
    assert (check.count.votes_for, check.count.votes_against) == (6, 0)
    assert a.stage(p) == Stage.PLANNING
    # the same messages in any order give the same state
    for seed in range(3):
        shuffled = list(sc.messages[1:])
        random.Random(seed).shuffle(shuffled)
        log = Log(sc.body)
        log.add(sc.messages[0])
        for env in shuffled:
            log.add(env)
        assert Assembly(sc.body, sc.rules).fold(log).state_hash() == a.state_hash()


def test_a_member_present_is_counted_by_hand_only() -> None:
    sc, p, fac, others = at_check()
    sc.vote(others[0], p, Choice.AGAINST)  # votes on the phone, then is in the room
    sc.hand_count(p, (2, 0, 0), [fac, others[0]], others[1:3])
    sc.close(p)
    a = sc.assembly()
    (check,) = [r for r in a.subject(p).history if r.stage == Stage.TEMPERATURE]
    assert (check.count.votes_for, check.count.votes_against) == (2, 0)
    assert [c.identity for c in a.subject(p).superseded] == [sc.key(others[0])]


def test_double_counting_by_two_hand_counts_is_left_out() -> None:
    sc, p, fac, others = at_check()
    first = sc.hand_count(p, (2, 0, 0), [fac, others[0]], others[1:3])
    second = sc.hand_count(p, (2, 0, 0), [others[0], others[3]], others[1:3])
    sc.close(p)
    a = sc.assembly()
    (check,) = [r for r in a.subject(p).history if r.stage == Stage.TEMPERATURE]
    assert check.hand == (first,)
    assert any(e.what == "double counting" and e.messages == (second,) for e in a.evidence)


def test_who_may_record_and_witness() -> None:
    sc, p, fac, others = at_check()
    not_fac = sc.hand_count(p, (1, 0, 0), [others[0]], others[1:3], by=others[0])
    assert ignored_reason(sc, not_fac) == "only the stage's facilitator records a hand count"
    one = sc.hand_count(p, (1, 0, 0), [others[0]], others[1:2])
    assert ignored_reason(sc, one) == "a hand count needs 2 witnesses, it has 1"
    self_witness = sc.hand_count(p, (1, 0, 0), [others[0]], [fac, others[1]])
    assert ignored_reason(sc, self_witness) == (
        "a witness is the facilitator or not in the electorate"
    )
    too_many = sc.hand_count(p, (3, 0, 0), [others[0], others[1]], others[2:4])
    assert ignored_reason(sc, too_many) == "3 hands counted but 2 members present"
    outsider = sc.hand_count(p, (1, 0, 0), ["zoe"], others[1:3])
    assert "is not in the electorate" in str(ignored_reason(sc, outsider))


def test_a_forged_witness_signature_is_evidence() -> None:
    sc, p, fac, others = at_check()
    present = (sc.key(others[0]),)
    unsigned = HandCount(p, int(Stage.TEMPERATURE), 1, 0, 0, present, None, ())
    forged = tuple(sorted((sc.key(w), bytes(64)) for w in others[1:3]))
    env = sc.post(fac, HandCount(p, 2, 1, 0, 0, present, None, forged))
    assert ignored_reason(sc, env.id) == "a witness signature does not verify"
    assert any(e.what == "bad witness signature" for e in sc.assembly().evidence)
    _ = unsigned


def test_no_hand_count_in_discussion() -> None:
    sc = Scenario(MEMBERS)
    p = sc.propose("ana")
    fac = sc.facilitator(p)
    others = [m for m in MEMBERS if m != fac]
    hc = sc.hand_count(p, (1, 0, 0), [others[0]], others[1:3], stage=Stage.DISCUSSION)
    assert ignored_reason(sc, hc) == "hand_count is not taken in stage discussion"


def test_contest_recount_and_a_lone_objector() -> None:
    sc, p, fac, others = at_check()
    room = [fac, *others]
    first = sc.hand_count(p, (3, 3, 0), room, others[:2])
    sc.contest(others[4], first, "I counted four hands for")
    recount = sc.hand_count(p, (4, 2, 0), room, others[:2], replaces=first)
    sc.contest(others[4], recount, "still wrong")  # one objector: the recount stands
    sc.close(p)
    a = sc.assembly()
    (check,) = [r for r in a.subject(p).history if r.stage == Stage.TEMPERATURE]
    assert check.hand == (recount,)
    assert (check.count.votes_for, check.count.votes_against) == (4, 2)


def test_a_recount_contested_by_as_many_as_its_witnesses_is_left_out() -> None:
    sc, p, fac, others = at_check()
    room = [fac, *others]
    first = sc.hand_count(p, (3, 3, 0), room, others[:2])
    sc.contest(others[4], first)
    recount = sc.hand_count(p, (4, 2, 0), room, others[:2], replaces=first)
    sc.contest(others[4], recount)
    sc.contest(others[3], recount)
    sc.close(p)
    a = sc.assembly()
    (check,) = [r for r in a.subject(p).history if r.stage == Stage.TEMPERATURE]
    assert check.hand == ()
    assert check.count.cast == 0


def test_against_hands_let_those_present_file_grievances() -> None:
    sc, p, fac, others = at_check()
    sc.hand_count(p, (4, 2, 0), [fac, *others], others[:2])
    sc.close(p)
    g = sc.grievance(others[0], p, "cost")
    a = sc.assembly()
    assert a.stage(p) == Stage.CONCERNS and g not in a.ignored_by_id


def test_the_minutes_say_who_attested_the_hand_count() -> None:
    from protocol.minutes import minutes

    sc, p, fac, others = at_check()
    sc.hand_count(p, (6, 0, 0), [fac, *others], others[:2])
    sc.close(p)
    a = sc.assembly()
    names = {sc.key(n): n for n in MEMBERS}
    text = "\n".join(minutes(a, p, names))
    (line,) = [x for x in text.splitlines() if "records a hand count" in x]
    assert "hand count attested by" in line and all(w in line for w in others[:2])
    assert "with 1 hand count(s) attested by" in text


def test_a_verdict_decided_partly_by_hand_verifies_upward() -> None:
    """The Municipality re-derives a Community Verdict that rests on a hand
    count from the Community's full proof, like a digital one."""
    from protocol.federation import Federation, Standing
    from protocol.kinds import BodyKind, Founding, Proposal
    from protocol.rules import ProcessRules
    from protocol.stages import Stage as St

    muni = Scenario(
        ("m1", "m2"),
        body_kind=BodyKind.MUNICIPALITY,
        name="Valle",
        rules=ProcessRules(min_constituent_size=len(MEMBERS)),
    )
    sc = Scenario(MEMBERS, parent=muni.body)
    muni.post("m1", Founding((sc.body,)), parents=(muni.body,))
    r = muni.propose("m1", "Rain cisterns", "Every community keeps one.")
    p = sc.post(MEMBERS[0], Proposal("Rain cisterns", "As presented.", "", muni.body, r)).id
    sc.close(p)  # discussion
    fac = sc.facilitator(p)
    others = [m for m in MEMBERS if m != fac]
    sc.votes(p, yes=others[3:])
    sc.hand_count(p, (3, 0, 0), [fac, *others[:2]], others[:2])
    sc.close(p)
    assert sc.assembly().stage(p) == St.PLANNING
    sc.close(p)
    fed = Federation(muni.body, r, frozenset({sc.body}), rules=muni.rules)
    v = fed.receive_proof(sc.proof(muni.body, r))
    assert v.votes_for == 5 and fed.combine().standing == Standing.PASSED  # 3 hands + 2 phones
