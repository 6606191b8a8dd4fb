"""Every branch of the Community process, as short scenarios (spec/process.md)."""

from __future__ import annotations

from crdt.text import TextDocument
from protocol.kinds import Choice, Outcome
from protocol.rules import DAY, ProcessRules
from protocol.stages import Event, Stage
from protocol.testing import Scenario

TEN = tuple(f"m{i}" for i in range(10))


def insert_op(proposal: bytes, text: str, index: int, new: str) -> tuple[object, ...]:
    return TextDocument(proposal, text).prepare_insert(index, new).op


def test_pass_at_the_first_temperature_check() -> None:
    sc = Scenario()
    p = sc.propose("ana")
    sc.comment("bea", p, "good idea")
    sc.close(p)
    sc.votes(p, yes=["ana", "bea", "cruz", "dev", "eli"])
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.PLANNING
    assert a.tallies(p)[Stage.TEMPERATURE].votes_for == 5
    assert a.verdict(p) is None  # planning still open
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.CARRIED
    v = a.verdict(p)
    assert v is not None and v.outcome == Outcome.PASSED
    assert v.deciding_stage == Stage.TEMPERATURE


def minor_round(sc: Scenario, p: bytes, text: str = "We plant it.") -> tuple[bytes, bytes]:
    """m8, m9 voted against; they file 'cost' (not a deal-breaker), elect m8,
    who pleads; members agree; m9 proposes an amendment that is adopted."""
    g8 = sc.grievance("m8", p, "cost", text="too expensive")
    sc.grievance("m9", p, "cost", text="seeds cost money")
    sc.close(p)
    assert sc.assembly().stage(p) == Stage.MINOR_ROUND
    sc.elect("m8", p, "cost", "m8")
    sc.elect("m9", p, "cost", "m8")
    sc.plea("m8", p, "cost", "we can share seeds")
    for n in TEN[:6]:
        sc.agree(n, g8)
    am = sc.amend("m9", p, "cost", [insert_op(p, text, len(text), " With shared seeds.")])
    for n in TEN[:7]:
        sc.amendment_vote(n, am, Choice.FOR)
    sc.amendment_vote("m7", am, Choice.AGAINST)
    sc.close(p)
    return g8, am


def test_pass_after_non_deal_breaker_amendments() -> None:
    sc = Scenario(TEN)
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:8], no=TEN[8:])  # 80 %
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.CONCERNS
    g8, _am = minor_round(sc, p)
    a = sc.assembly()
    assert a.stage(p) == Stage.MINOR_CHECK
    assert a.delegates(p) == {("cost", False): sc.key("m8")}
    assert [x.status for x in a.amendments(p)] == ["adopted"]
    assert a.subject(p).grievances[g8].agree == 6
    assert a.text(p) == "We plant it. With shared seeds."
    sc.votes(p, yes=TEN)
    sc.close(p)
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.CARRIED
    v = a.verdict(p)
    assert v is not None and v.deciding_stage == Stage.MINOR_CHECK


def to_major_round(sc: Scenario) -> bytes:
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:6], no=TEN[6:])
    sc.close(p)
    sc.grievance("m6", p, "cost")
    sc.grievance("m7", p, "cost")
    sc.grievance("m8", p, "harm", deal_breaker=True)
    sc.grievance("m9", p, "harm", deal_breaker=True)
    sc.close(p)
    minor = sc.assembly()
    assert minor.stage(p) == Stage.MINOR_ROUND
    sc.elect("m6", p, "cost", "m7")
    sc.close(p)
    sc.votes(p, yes=TEN[:7], no=TEN[7:])  # 70 %: the second check fails
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.MAJOR_ROUND
    assert a.subject(p).history[-1].event == Event.NOT_PASSED_MAJOR_PENDING
    sc.elect("m8", p, "harm", "m9")
    sc.plea("m9", p, "harm", "it floods the square")
    sc.close(p)
    assert sc.assembly().stage(p) == Stage.FINAL_VOTE
    return p


def test_pass_at_two_thirds_after_the_deal_breaker_round() -> None:
    sc = Scenario(TEN)
    p = to_major_round(sc)
    sc.votes(p, yes=TEN[:7], no=TEN[7:])  # 70 % >= 2/3
    sc.close(p)
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.CARRIED
    assert a.delegates(p) == {("cost", False): sc.key("m7"), ("harm", True): sc.key("m9")}
    v = a.verdict(p)
    assert v is not None and v.outcome == Outcome.PASSED and v.deciding_stage == Stage.FINAL_VOTE


def test_fail_at_the_final_vote() -> None:
    sc = Scenario(TEN)
    p = to_major_round(sc)
    sc.votes(p, yes=TEN[:6], no=TEN[6:])  # 60 % < 2/3
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.FAILED
    v = a.verdict(p)
    assert v is not None and v.outcome == Outcome.FAILED and v.count.votes_for == 6


def test_no_grievances_goes_to_the_final_vote() -> None:
    sc = Scenario(TEN)
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    sc.close(p)
    assert sc.assembly().stage(p) == Stage.FINAL_VOTE


def test_tabled_when_support_falls_below_half_in_planning() -> None:
    sc = Scenario(TEN)
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN)
    sc.close(p)
    assert sc.assembly().stage(p) == Stage.PLANNING
    *_, fifth, sixth = sc.votes(p, no=TEN[:6])  # six change their minds
    a = sc.assembly()
    assert a.stage(p) == Stage.TABLED  # at once, without a close
    assert a.subject(p).history[-1].closed_by == sixth
    assert a.stage_of(p, fifth) == Stage.PLANNING
    later = sc.close(p)
    a = sc.assembly()
    assert any(i.message == later and "stage tabled" in i.reason for i in a.ignored)
    v = a.verdict(p)
    assert v is not None and v.outcome == Outcome.TABLED
    assert (v.count.votes_for, v.count.votes_against) == (4, 6)


def carried(sc: Scenario) -> bytes:
    p = sc.to_first_check("ana")
    sc.votes(p, yes=["ana", "bea", "cruz", "dev", "eli"])
    sc.close(p)
    sc.close(p)
    assert sc.assembly().stage(p) == Stage.CARRIED
    return p


def test_mandate_election_expiry_and_recall() -> None:
    sc = Scenario()
    p = carried(sc)
    expires = sc.now + 30 * DAY
    m = sc.mandate("ana", p, "bea", expires, scope="buy seeds, at most 40")
    sc.votes(m, yes=["ana", "cruz", "dev"], no=["eli"])
    assert sc.assembly().mandates(sc.now)[0].status == "nominated"
    sc.close(m)
    a = sc.assembly()
    (view,) = a.mandates(sc.now)
    assert view.status == "active" and view.delegate == sc.key("bea")
    assert a.mandates(expires)[0].status == "expired"
    sc.recall("cruz", m)
    sc.recall("dev", m)
    sc.recall("eli", m, Choice.AGAINST)
    assert sc.assembly().mandates(sc.now)[0].status == "active"  # 2 of 5 < 1/2
    last = sc.recall("eli", m)  # eli changes her mind: 3 of 5
    a = sc.assembly()
    assert a.mandates(sc.now)[0].status == "recalled"
    assert a.mandates(sc.now)[0].recalled_by == last


def test_mandate_needs_a_carried_resolution() -> None:
    sc = Scenario()
    p = sc.to_first_check("ana")
    sc.mandate("ana", p, "bea", sc.now + DAY)
    a = sc.assembly()
    assert not a.mandates(sc.now)
    assert any("not taken in stage temperature" in i.reason for i in a.ignored)


def test_a_vanished_facilitator_cannot_block_the_stage() -> None:
    rules = ProcessRules(deadline={k: DAY for k in ProcessRules().deadline})
    sc = Scenario(rules=rules)
    p = sc.propose("ana")
    fac = sc.facilitator(p)
    others = [n for n in ("ana", "bea", "cruz", "dev", "eli") if n != fac]
    early = sc.close(p, by=others[0])  # before the deadline: not a co-signature
    assert sc.assembly().stage(p) == Stage.DISCUSSION
    sc.advance(DAY)
    sc.close(p, by=others[0])
    sc.close(p, by=others[1])
    assert sc.assembly().stage(p) == Stage.DISCUSSION  # 2 of 5 < 1/2
    third = sc.close(p, by=others[2])
    a = sc.assembly()
    assert a.stage(p) == Stage.TEMPERATURE
    rec = a.subject(p).history[0]
    assert rec.closed_by == third and len(rec.cosigners) == 3
    assert any(i.message == early and "deadline" in i.reason for i in a.ignored)


def test_concurrent_co_signatures_close_at_the_first_close_that_sees_a_quorum() -> None:
    rules = ProcessRules(deadline={k: 0 for k in ProcessRules().deadline})
    sc = Scenario(rules=rules)
    p = sc.propose("ana")
    fac = sc.facilitator(p)
    others = [n for n in ("ana", "bea", "cruz", "dev", "eli") if n != fac]
    base = sc.heads()
    c = [sc.close(p, by=n, parents=base) for n in others[:3]]  # three concurrent co-signatures
    assert sc.assembly().stage(p) == Stage.DISCUSSION  # none sees the others
    final = sc.close(p, by=others[3])
    a = sc.assembly()
    assert a.stage(p) == Stage.TEMPERATURE
    assert a.subject(p).history[0].closed_by == final
    assert set(c) <= sc.log.causal_past(final)


def test_late_votes_are_kept_and_shown_not_counted() -> None:
    sc = Scenario()
    p = sc.to_first_check("ana")
    sc.votes(p, yes=["ana", "bea", "cruz"])
    before = sc.heads()
    close = sc.close(p)
    late = sc.vote("dev", p, Choice.AGAINST, parents=before)  # concurrent with the close
    a = sc.assembly()
    assert a.tallies(p)[Stage.TEMPERATURE].votes_against == 0
    assert [(st, c.message) for st, c in a.late_votes(p)] == [(Stage.TEMPERATURE, late)]
    assert not sc.log.is_ancestor(late, close)
    # a vote that has seen the close belongs to the next stage (planning)
    sc.vote("eli", p, Choice.AGAINST)
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.CARRIED
    assert a.tallies(p)[Stage.PLANNING].votes_against == 1


def test_the_latest_vote_of_a_member_counts() -> None:
    sc = Scenario()
    p = sc.to_first_check("ana")
    sc.votes(p, yes=["ana", "bea", "cruz", "dev"], no=["eli"])
    sc.vote("eli", p, Choice.FOR)
    sc.close(p)
    a = sc.assembly()
    assert a.tallies(p)[Stage.TEMPERATURE].votes_for == 5
    assert a.stage(p) == Stage.PLANNING


def test_an_equivocating_voter_is_discarded_and_flagged() -> None:
    sc = Scenario()
    p = sc.to_first_check("ana")
    # the equivocator is not the facilitator (whose close would reuse the seq)
    cheat = next(n for n in ("eli", "dev", "cruz") if n != sc.facilitator(p))
    sc.votes(p, yes=[n for n in ("ana", "bea", "cruz", "dev", "eli") if n != cheat])
    base = sc.heads()
    seq = sc.seq.get(cheat, 0) + 1
    x = sc.vote(cheat, p, Choice.FOR, parents=base, seq=seq)
    y = sc.vote(cheat, p, Choice.AGAINST, parents=base, seq=seq)
    sc.close(p)
    a = sc.assembly()
    t = a.tallies(p)[Stage.TEMPERATURE]
    assert (t.votes_for, t.votes_against) == (4, 0)
    (ev,) = a.evidence
    assert ev.what == "equivocation" and ev.author == sc.key(cheat)
    assert set(ev.messages) == {x, y}


def test_a_non_member_vote_is_ignored() -> None:
    sc = Scenario()
    p = sc.to_first_check("ana")
    v = sc.vote("mallory", p, Choice.AGAINST)
    sc.votes(p, yes=["ana", "bea", "cruz"])
    sc.close(p)
    a = sc.assembly()
    assert a.tallies(p)[Stage.TEMPERATURE].votes_against == 0
    assert any(i.message == v and "not a member" in i.reason for i in a.ignored)


def test_grievances_only_from_against_voters() -> None:
    sc = Scenario(TEN)
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    g = sc.grievance("m0", p, "cost")
    a = sc.assembly()
    assert any(i.message == g and "against" in i.reason for i in a.ignored)


def test_concurrent_amendments_from_two_nodes_merge_in_the_text() -> None:
    sc = Scenario(TEN)
    text = "Plant trees."
    p = sc.propose("m0", text=text)
    sc.close(p)
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    sc.grievance("m8", p, "species")
    sc.grievance("m9", p, "species")
    sc.close(p)
    base = sc.heads()
    # two nodes: m8 and m9 edit the same place without seeing each other
    a1 = sc.amend("m8", p, "species", [insert_op(p, text, 6, "oak ")], parents=base)
    a2 = sc.amend("m9", p, "species", [insert_op(p, text, 6, "pine ")], parents=base)
    for n in TEN[:6]:
        sc.amendment_vote(n, a1, Choice.FOR)
        sc.amendment_vote(n, a2, Choice.FOR)
    sc.close(p)
    a = sc.assembly()
    assert {x.status for x in a.amendments(p)} == {"adopted"}
    merged = a.text(p)
    assert merged in ("Plant oak pine trees.", "Plant pine oak trees.")
    # the same messages delivered to another node in reverse order: same text
    from crdt.log import Log
    from protocol.assembly import Assembly

    other = Log(sc.body)
    for env in reversed(sc.messages):
        other.add(env)
    b = Assembly(sc.body, sc.rules).fold(other)
    assert b.text(p) == merged and b.state_hash() == a.state_hash()


def test_a_close_claiming_a_time_before_its_past_is_evidence() -> None:
    # no minimum discussion, so the close's claimed time alone is at stake
    sc = Scenario(rules=ProcessRules(min_duration={k: 0 for k in ProcessRules().min_duration}))
    p = sc.propose("ana")
    sc.comment("bea", p, "my clock runs fast", time=sc.now + 1000)
    c = sc.close(p, time=sc.now + 1)  # after the proposal, before the comment it has seen
    a = sc.assembly()
    assert a.stage(p) == Stage.TEMPERATURE
    assert [e.messages for e in a.evidence if e.what.startswith("close claims")] == [(c,)]


def test_a_facilitator_cannot_close_before_the_minimum_duration() -> None:
    rules = ProcessRules(min_duration={k: DAY for k in ProcessRules().min_duration})
    sc = Scenario(rules=rules)
    p = sc.propose("ana")
    early = sc.close(p, wait=False)
    assert sc.assembly().stage(p) == Stage.DISCUSSION
    sc.advance(DAY)
    sc.close(p)
    a = sc.assembly()
    assert a.stage(p) == Stage.TEMPERATURE
    assert any(i.message == early and "minimum duration" in i.reason for i in a.ignored)


def test_a_second_facilitator_close_of_a_stage_is_evidence() -> None:
    sc = Scenario()
    p = sc.propose("ana")
    base = sc.heads()
    first = sc.close(p, Stage.DISCUSSION, parents=base)
    second = sc.close(p, Stage.DISCUSSION, parents=base)
    a = sc.assembly()
    assert a.stage(p) == Stage.TEMPERATURE
    (ev,) = [e for e in a.evidence if e.what == "conflicting close"]
    assert set(ev.messages) == {first, second}


def test_amendments_made_on_two_partitioned_nodes_converge_after_merging() -> None:
    from crdt.log import Log
    from protocol.assembly import Assembly

    sc = Scenario(TEN)
    text = "Plant trees."
    p = sc.propose("m0", text=text)
    sc.close(p)
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    sc.grievance("m8", p, "species")
    sc.grievance("m9", p, "species")
    sc.close(p)
    common = list(sc.messages)
    sides: dict[str, list[bytes]] = {}
    for node, author, word in (("A", "m8", "oak "), ("B", "m9", "pine ")):
        last = [common[-1].id]  # both nodes start from the closed concerns stage
        start = len(sc.messages)
        am = sc.amend(author, p, "species", [insert_op(p, text, 6, word)], parents=last)
        last = [am]
        for n in TEN[:6]:
            last = [sc.amendment_vote(n, am, Choice.FOR, parents=last)]
        sides[node] = [e.id for e in sc.messages[start:]]
    nodes = {}
    for node in ("A", "B"):
        log = Log(sc.body)
        for env in common + [e for e in sc.messages if e.id in sides[node]]:
            log.add(env)
        nodes[node] = (log, Assembly(sc.body, sc.rules).fold(log))
    # partitioned: each node sees only its own amendment
    assert [a.id for a in nodes["A"][1].amendments(p)] == [sides["A"][0]]
    assert [a.id for a in nodes["B"][1].amendments(p)] == [sides["B"][0]]
    # the partition heals; the facilitator closes the round on the merged log
    close = sc.close(p)
    for log, _ in nodes.values():
        for env in sc.messages:
            log.add(env)
    a, b = (Assembly(sc.body, sc.rules).fold(log) for log, _ in nodes.values())
    assert a.state_hash() == b.state_hash() == sc.assembly().state_hash()
    assert a.subject(p).history[-1].closed_by == close
    assert {x.status for x in a.amendments(p)} == {"adopted"}
    assert a.text(p) == b.text(p) in ("Plant oak pine trees.", "Plant pine oak trees.")
