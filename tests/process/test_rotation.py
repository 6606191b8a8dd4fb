"""Facilitation rotates through the members (spec/process.md §3): nobody
facilitates twice before everyone eligible has once, deterministically
from the log, and re-signing a proposal cannot redraw its facilitator."""

from __future__ import annotations

from collections import Counter

from protocol.kinds import Proposal
from protocol.testing import Scenario

TEN = tuple(f"m{i}" for i in range(10))


def test_twenty_decisions_visit_every_member() -> None:
    """Each facilitator is, among the eligible (all but the proposer), one
    who has facilitated least so far: nobody twice before everyone once."""
    sc = Scenario(TEN)
    served: Counter[str] = Counter()
    for i in range(20):
        author = TEN[(3 * i) % 10]
        p = sc.to_first_check(author, title=f"decision {i}")
        chosen = sc.facilitator(p)
        eligible = [n for n in TEN if n != author]
        assert chosen != author
        assert served[chosen] == min(served[n] for n in eligible)
        served[chosen] += 1
        sc.votes(p, yes=TEN)
        sc.close(p)
        sc.close(p)
    assert set(served) == set(TEN) and max(served.values()) - min(served.values()) <= 1
    a = sc.assembly()
    assert all(a.stage(sid).name == "CARRIED" for sid in a.proposals())


def test_re_signing_a_proposal_draws_the_same_facilitator() -> None:
    sc = Scenario(TEN)
    base = sc.heads()
    first = sc.post("m3", Proposal("Plant", "We plant.", "", None, None), parents=base).id
    again = sc.post("m3", Proposal("Plant", "We plant!", "x", None, None), parents=base).id
    assert first != again
    assert sc.facilitator(first) == sc.facilitator(again)


def test_the_rotation_follows_the_log_not_the_reader() -> None:
    sc = Scenario(TEN)
    for i in range(5):
        sc.propose(TEN[i], title=f"p{i}")
    fresh, live = sc.assembly(), sc.live
    assert {s: fresh.subject(s).facilitator for s in fresh.proposals()} == {
        s: live.subject(s).facilitator for s in live.proposals()
    }
