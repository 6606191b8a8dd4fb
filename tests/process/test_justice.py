"""Community Justice Councils (protocol/justice.py, spec/justice.md): seats
from the Community's mandates (elected, expired, recalled), cases, plans
decided by the council's own process, and what does not count."""

from __future__ import annotations

from collections.abc import Sequence

from protocol.justice import Council
from protocol.kinds import BodyKind, Choice, CouncilCharter, Genesis, Outcome, Proposal
from protocol.minutes import council_minutes, minutes
from protocol.rules import DAY
from protocol.stages import Stage
from protocol.testing import CouncilScenario, Scenario

PEOPLE = ("ana", "bea", "cruz", "dev", "eli", "fay", "gus")
COUNCIL = ("ana", "bea", "cruz", "dev")


def carry(kit: Scenario, pid: bytes, yes: Sequence[str]) -> None:
    """Run a proposal (or plan) from discussion to carried, all ``yes`` FOR."""
    kit.close(pid)  # discussion
    kit.votes(pid, yes=yes)
    kit.close(pid)  # temperature check: passes
    kit.close(pid)  # planning
    assert kit.live.stage(pid) == Stage.CARRIED, kit.live.stage(pid)


def elect(com: Scenario, resolution: bytes, who: str, days: int = 60) -> bytes:
    m = com.mandate("gus", resolution, who, com.now + days * DAY, "Community Justice Council")
    com.votes(m, yes=PEOPLE)
    com.close(m)
    assert com.live.stage(m) == Stage.ADOPTED
    return m


def founded(members: Sequence[str] = COUNCIL) -> tuple[Scenario, bytes, dict[str, bytes]]:
    com = Scenario(PEOPLE)
    r = com.propose("eli", "Community Justice Council", "We elect a council to hear cases.")
    carry(com, r, PEOPLE)
    mandates = {who: elect(com, r, who) for who in members}
    return com, r, mandates


def council_kit(com: Scenario, r: bytes, founder: str = "ana") -> CouncilScenario:
    com.advance(10)
    return CouncilScenario(com, r, founder)


def test_members_are_the_communitys_mandates_on_the_chartered_resolution() -> None:
    com, r, mandates = founded()
    c = council_kit(com, r)
    a = c.assembly()
    assert isinstance(a, Council)
    assert a.problem is None and a.charter == c.charter and a.resolution == r
    assert set(a.roster()) == {com.key(n) for n in COUNCIL}
    assert {s.mandate for s in a.seats} == set(mandates.values())
    assert all(s.status(c.now) == "in force" for s in a.seats)
    # an unelected Community member's message is ignored with the reason
    case = c.case("eli", ["fay"], ["gus"])
    a = c.assembly()
    assert case not in a.cases
    assert "holds no mandate from the Community" in a.ignored_by_id[case].reason


def test_membership_is_not_self_declared() -> None:
    com, r, _ = founded()
    c = council_kit(com, r)
    # founders of the council's genesis hold no seat by being founders;
    # ADMIT/NAME/PROPOSAL in a council are ignored with reasons
    from protocol.kinds import Admit

    admit = c.post("ana", Admit(c.key("eli"), "Eli", "")).id
    prop = c.post("ana", Proposal("Something else", "text", "", None, None)).id
    a = c.assembly()
    assert "elected by its Community's mandates" in a.ignored_by_id[admit].reason
    assert "not proposals" in a.ignored_by_id[prop].reason
    assert com.key("eli") not in set(a.roster())


def test_a_charter_by_someone_without_a_seat_founds_no_council() -> None:
    com, r, _ = founded()
    com.advance(10)
    c = CouncilScenario(com, r, "eli")  # eli was never elected
    a = c.assembly()
    assert a.charter is None and a.problem is not None
    assert "founded by one of its elected members" in a.problem
    case = c.case("ana", ["fay"], ["gus"])
    assert case not in c.assembly().cases


def test_a_charter_must_name_a_community_proposal() -> None:
    com, _, _ = founded()
    com.advance(10)
    c = CouncilScenario(com, b"\x07" * 32, "ana")
    assert "names no proposal of the Community" in (c.assembly().problem or "")


def test_expired_member_stops_being_a_member() -> None:
    com = Scenario(PEOPLE)
    r = com.propose("eli", "Community Justice Council", "We elect a council.")
    carry(com, r, PEOPLE)
    short = elect(com, r, "dev", days=3)
    for who in ("ana", "bea", "cruz"):
        elect(com, r, who)
    c = council_kit(com, r)
    before = c.case("dev", ["fay"], ["gus"])
    seat = next(s for s in c.assembly().seats if s.mandate == short)
    c.now = seat.until + 5
    after = c.case("dev", ["eli"], ["gus"])
    a = c.assembly()
    assert before in a.cases
    assert after not in a.cases
    assert "the council mandate ended (expiry)" in a.ignored_by_id[after].reason
    assert seat.status(c.now) == "expired"
    assert com.key("dev") not in set(a.members_at(c.now))


def test_recalled_member_stops_being_a_member_from_the_recall_on() -> None:
    com, r, mandates = founded()
    c = council_kit(com, r)
    early = c.case("cruz", ["fay"], ["gus"])
    c.sync()
    for who in ("eli", "fay", "gus", "dev"):
        com.recall(who, mandates["cruz"])
    assert com.live.subject(mandates["cruz"]).recalled_by is not None
    c.sync()
    late = c.case("cruz", ["eli"], ["gus"])
    a = c.assembly()
    assert early in a.cases and late not in a.cases
    assert "ended (recall)" in a.ignored_by_id[late].reason
    seat = next(s for s in a.seats if s.mandate == mandates["cruz"])
    assert seat.ended == "recall" and seat.status(c.now) == "recalled"


def test_a_case_and_a_plan_decided_by_the_council() -> None:
    com, r, _ = founded()
    c = council_kit(com, r)
    case = c.case("ana", ["eli"], ["fay"])
    plan = c.plan("bea", case, ["eli"])
    a = c.assembly()
    assert a.case_status(case) == "deciding"
    s = a.subject(plan)
    assert set(s.electorate) == {com.key(n) for n in COUNCIL}
    carry(c, plan, COUNCIL)
    a = c.assembly()
    v = a.verdict(plan)
    assert v is not None and v.outcome == Outcome.PASSED
    assert (v.count.votes_for, v.count.electorate) == (4, 4)
    assert a.case_status(case) == "decided"
    (outcome,) = a.plan_outcomes(case)
    assert outcome.stage == Stage.CARRIED and outcome.repairs == (com.key("eli"),)
    # the minutes record the case and the plan's outcome
    text = "\n".join(council_minutes(a, c.now))
    assert f"case {case.hex()[:8]}" in text and "decided" in text
    assert "Mend the fence" in text and "passed" in text
    assert "A fence was broken" not in text  # summaries stay out of the overview
    plan_text = "\n".join(minutes(a, plan))
    assert "Reparation: mend the fence" in plan_text and "Verdict: passed" in plan_text


def test_non_members_and_parties_votes_do_not_count() -> None:
    com, r, _ = founded()
    c = council_kit(com, r)
    case = c.case("ana", ["eli"], ["dev"])  # dev, a council member, did harm
    plan = c.plan("bea", case, ["eli"])
    a = c.assembly()
    assert com.key("dev") not in set(a.subject(plan).electorate)
    c.close(plan)
    outsider = c.vote("gus", plan, Choice.AGAINST)
    party = c.vote("dev", plan, Choice.AGAINST)
    c.votes(plan, yes=("ana", "bea", "cruz"))
    c.close(plan)
    a = c.assembly()
    assert "not a council member" in a.ignored_by_id[outsider].reason
    assert "party to the case" in a.ignored_by_id[party].reason
    assert a.stage(plan) == Stage.PLANNING
    assert a.tallies(plan)[Stage.TEMPERATURE].votes_against == 0
    # a party does not move a plan either
    moved = c.plan("dev", case, ["eli"])
    assert "party to the case" in c.assembly().ignored_by_id[moved].reason


def test_a_plan_repairs_only_those_harmed() -> None:
    com, r, _ = founded()
    c = council_kit(com, r)
    case = c.case("ana", ["eli"], ["fay"])
    bad = c.plan("bea", case, ["gus"])
    a = c.assembly()
    assert bad not in a.subjects
    assert "repairs those the case names as harmed" in a.ignored_by_id[bad].reason
    wrong = c.post("ana", CouncilCharter(r)).id  # a second charter
    assert "charter" in c.assembly().ignored_by_id[wrong].reason


def test_votes_count_only_for_members_in_force_at_the_close() -> None:
    com, r, mandates = founded()
    c = council_kit(com, r)
    case = c.case("ana", ["eli"], ["fay"])
    plan = c.plan("bea", case, ["eli"])
    c.close(plan)
    c.votes(plan, yes=COUNCIL)
    c.sync()
    for who in ("eli", "fay", "gus", "dev"):
        com.recall(who, mandates["cruz"])
    c.sync()
    c.close(plan)
    a = c.assembly()
    count = a.tallies(plan)[Stage.TEMPERATURE]
    assert (count.votes_for, count.electorate) == (3, 3)
    cruz_vote = next(e.id for e in c.log.envelopes() if e.author == com.key("cruz") and e.kind == 7)
    assert "mandate ended" in a.ignored_by_id[cruz_vote].reason
    assert com.key("cruz") not in set(a.subject(plan).electorate)


def test_a_case_names_its_own_community() -> None:
    com, r, _ = founded()
    c = council_kit(com, r)
    from protocol.kinds import Case

    p = Case((c.key("eli"),), (c.key("fay"),), "elsewhere", b"\x01" * 32)
    mid = c.post("ana", p).id
    assert "this council serves" in c.assembly().ignored_by_id[mid].reason


def test_same_state_in_any_delivery_order() -> None:
    import random

    from crdt.log import Log

    com, r, _ = founded()
    c = council_kit(com, r)
    case = c.case("ana", ["eli"], ["fay"])
    plan = c.plan("bea", case, ["eli"])
    carry(c, plan, COUNCIL)
    want = c.assembly().state_hash()
    rng = random.Random(4)
    for _ in range(3):
        msgs = list(c.messages)
        rng.shuffle(msgs)
        log = Log(c.body)
        for env in msgs:
            log.add(env)
        assert Council(c.body, com.live).fold(log).state_hash() == want


def test_genesis_kind_and_parent() -> None:
    com, r, _ = founded()
    c = council_kit(com, r)
    g = c.log.get(c.body).payload
    assert isinstance(g, Genesis)
    assert g.body_kind == BodyKind.JUSTICE_COUNCIL and g.parent == com.body


def test_a_plan_counted_by_hand_at_a_council_meeting() -> None:
    com, r, _ = founded()
    c = council_kit(com, r)
    case = c.case("ana", ["eli"], ["fay"])
    plan = c.plan("bea", case, ["eli"])
    c.close(plan)
    witnesses = [n for n in COUNCIL if n != c.facilitator(plan)][:2]
    c.hand_count(plan, (4, 0, 0), COUNCIL, witnesses)
    c.close(plan)
    a = c.assembly()
    assert a.stage(plan) == Stage.PLANNING and not a.ignored
    assert a.tallies(plan)[Stage.TEMPERATURE].votes_for == 4


def test_a_plan_text_is_amended_in_its_grievance_round() -> None:
    com, r, _ = founded()
    c = council_kit(com, r)
    case = c.case("ana", ["eli"], ["fay"])
    text = "Reparation: mend the fence."
    plan = c.plan("bea", case, ["eli"], text=text)
    c.close(plan)
    c.votes(plan, yes=("ana", "bea", "dev"), no=("cruz",))
    c.close(plan)
    c.grievance("cruz", plan, "apology", text="Eli asked for an apology too.")
    c.close(plan)  # concerns: the minor round opens
    am = c.amend("cruz", plan, "apology", [(0, (plan, len(text) - 1), None, " And apologise.")])
    for n in COUNCIL:
        c.amendment_vote(n, am, Choice.FOR)
    c.close(plan)  # the round: the amendment is adopted
    a = c.assembly()
    assert [x.status for x in a.amendments(plan)] == ["adopted"]
    assert a.text(plan) == "Reparation: mend the fence. And apologise."
