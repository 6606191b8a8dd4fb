"""Hostile but well-formed messages never make the fold raise: any message
of any kind, naming any id of the log, any stage number, from members and
outsiders, is folded or ignored with a reason."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.kinds import (
    Admit,
    Agreement,
    Amendment,
    AmendmentVote,
    Choice,
    Close,
    Comment,
    DelegateElect,
    Grievance,
    Leave,
    Mandate,
    Payload,
    Plea,
    RecallVote,
    RotateKey,
    Stance,
    Vote,
)
from protocol.minutes import minutes
from protocol.testing import Scenario

NAMES = ("ana", "bea", "cruz", "dev", "mallory")


def hostile(rng: random.Random, sc: Scenario, ids: list[bytes]) -> Payload:
    ref = rng.choice(ids)
    key = sc.key(rng.choice(NAMES))
    op = (0, (rng.choice(ids), rng.randint(0, 3)), None, "x")
    return rng.choice(
        [
            Vote(ref, rng.choice(list(Choice))),
            Close(ref, rng.randint(0, 255)),
            Comment(ref, None, Stance.OPPOSE, "no"),
            Grievance(ref, "c", rng.random() < 0.5, ""),
            DelegateElect(ref, "c", key),
            Plea(ref, "c", "p"),
            Agreement(ref, rng.random() < 0.5),
            Amendment(ref, "c", "", (op,)),
            AmendmentVote(ref, Choice.FOR),
            Mandate(ref, key, "s", rng.randint(0, 2**40)),
            RecallVote(ref, Choice.FOR),
            Admit(key, "n", ""),
            Leave(key, ""),
            RotateKey(sc.key(f"new{rng.randint(0, 3)}"), b"\x00" * 64),
        ]
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32))
def test_the_fold_never_raises(seed: int) -> None:
    rng = random.Random(seed)
    sc = Scenario(NAMES[:4])
    p = sc.to_first_check("ana")
    sc.votes(p, yes=["ana"], no=["bea", "cruz"])
    sc.close(p)
    for _ in range(40):
        ids = sc.log.order()
        parents = rng.sample(ids, k=min(len(ids), rng.randint(1, 3)))
        sc.post(rng.choice(NAMES), hostile(rng, sc, ids), parents=parents)
    a = sc.assembly()
    assert a.ignored  # most of it is rejected, each with a reason
    for sid in a.subjects:
        minutes(a, sid)
        if sid in a.proposals():
            a.text(sid)
