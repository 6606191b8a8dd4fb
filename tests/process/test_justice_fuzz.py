"""Hostile but well-formed council messages never make the council's fold
raise, and any delivery order gives the same state: cases, plans, votes,
closes, charters and kinds a council does not take, from members and
outsiders, at honest and backdated claimed times, naming any id."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.log import Log
from protocol.justice import Council
from protocol.kinds import (
    Admit,
    Amendment,
    Case,
    Choice,
    Close,
    Comment,
    CouncilCharter,
    Grievance,
    Name,
    Payload,
    Plan,
    Stance,
    Vote,
)
from protocol.minutes import council_minutes, minutes
from protocol.rules import DAY
from protocol.testing import CouncilScenario, Scenario

PEOPLE = ("ana", "bea", "cruz", "dev", "eli")
NAMES = (*PEOPLE, "mallory")


def community() -> tuple[Scenario, bytes, dict[str, bytes]]:
    com = Scenario(PEOPLE)
    r = com.propose("eli", "Community Justice Council", "We elect a council.")
    com.close(r)
    com.votes(r, yes=PEOPLE)
    com.close(r)
    com.close(r)
    seats = {}
    for who, days in (("ana", 60), ("bea", 60), ("cruz", 2), ("dev", 60)):
        m = com.mandate("eli", r, who, com.now + days * DAY, "Community Justice Council")
        com.votes(m, yes=PEOPLE)
        com.close(m)
        seats[who] = m
    com.advance(10)
    return com, r, seats


def hostile(rng: random.Random, c: CouncilScenario, ids: list[bytes]) -> Payload:
    ref = rng.choice(ids)
    keys = tuple(sorted({c.key(rng.choice(NAMES)) for _ in range(rng.randint(1, 3))}))
    op = (0, (rng.choice(ids), rng.randint(0, 3)), None, "x")
    return rng.choice(
        [
            Case(keys, keys[:1], "s", c.community.body if rng.random() < 0.8 else ref),
            Plan(ref, "t", "Reparation: x", keys),
            Vote(ref, rng.choice(list(Choice))),
            Close(ref, rng.randint(0, 15)),
            Comment(ref, None, Stance.SUPPORT, "c"),
            Grievance(ref, "c", rng.random() < 0.5, ""),
            Amendment(ref, "c", "", (op,)),
            CouncilCharter(ref),
            Admit(keys[0], "n", ""),
            Name(keys[0], "n"),
        ]
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32))
def test_the_council_fold_never_raises_and_converges(seed: int) -> None:
    rng = random.Random(seed)
    com, r, seats = community()
    c = CouncilScenario(com, r, "ana")
    case = c.case("bea", ["eli"], ["dev"])
    c.plan("ana", case, ["eli"])
    for i in range(40):
        if i == 20 and rng.random() < 0.5:  # a recall part way through
            c.sync()
            for who in ("eli", "bea", "ana"):
                com.recall(who, seats[rng.choice(("ana", "bea", "dev"))])
        ids = c.log.order()
        parents = rng.sample(ids, k=min(len(ids), rng.randint(1, 3)))
        when = c.now + rng.choice((1, 60, 3 * DAY, -DAY))
        c.post(rng.choice(NAMES), hostile(rng, c, ids), parents=parents, time=max(0, when))
        c.now = max(c.now, when)
    a = c.assembly()
    assert isinstance(a, Council) and a.ignored
    for sid in a.subjects:
        minutes(a, sid)
        a.text(sid)
    council_minutes(a, c.now)
    msgs = list(c.messages)
    rng.shuffle(msgs)
    log = Log(c.body)
    for env in msgs:
        log.add(env)
    assert Council(c.body, com.assembly()).fold(log).state_hash() == a.state_hash()
