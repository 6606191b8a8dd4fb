"""The bridge's message set lists ids parents first whatever order the radio
brought them in, so history sent to a peer never arrives child first."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mesh.bridge import Messages
from protocol.kinds import Choice, Vote
from protocol.testing import Scenario


def _history() -> Scenario:
    sc = Scenario(("ana", "bea", "cruz", "dev"))
    p = sc.propose("ana")
    for name in ("bea", "cruz", "dev"):
        sc.post(name, Vote(p, Choice.FOR), parents=[p])
    sc.comment("ana", p, "thanks")  # child of the three votes (the heads)
    sc.close(p)
    return sc


def test_a_child_heard_before_its_parent_is_listed_after_it() -> None:
    sc = _history()
    msgs = sc.messages
    m = Messages()
    for env in (msgs[0], msgs[-1], msgs[1], *msgs[2:-1]):
        m.add(env.id, env.raw)
    order = list(m.ids())
    assert sorted(order) == sorted(e.id for e in msgs)
    for env in msgs:
        for parent in env.parents:
            assert order.index(parent) < order.index(env.id)


def test_a_parent_the_bridge_never_heard_does_not_hold_its_child_back() -> None:
    sc = _history()
    m = Messages()
    m.add(sc.messages[-1].id, sc.messages[-1].raw)
    assert list(m.ids()) == [sc.messages[-1].id]
    m.add(b"\xff" * 32, b"not a message")  # the node judges it; here it has no parents
    assert list(m.ids()) == [sc.messages[-1].id, b"\xff" * 32]


@given(st.randoms(use_true_random=False))
@settings(max_examples=50, deadline=None)
def test_any_arrival_order_lists_parents_first(rng: object) -> None:
    sc = _history()
    envs = list(sc.messages)
    rng.shuffle(envs)  # type: ignore[attr-defined]
    keep = envs[: max(1, len(envs) - rng.randrange(3))]  # type: ignore[attr-defined]
    m = Messages()
    for env in keep:
        m.add(env.id, env.raw)
    order = list(m.ids())
    assert sorted(order) == sorted(e.id for e in keep)
    for env in keep:
        for parent in env.parents:
            if parent in m:
                assert order.index(parent) < order.index(env.id)
