"""The bridge's messages: the node's log mirrored in a crdt.log.Log, heard
messages beside it until the node judges them. Ids are listed parents first
whatever order the radio brought them in, so history sent to a peer never
arrives child first."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mesh.bridge_messages import Messages
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
    m = Messages(sc.body)
    for env in (msgs[0], msgs[-1], msgs[1], *msgs[2:-1]):
        m.hold(env)
    order = list(m.ids())
    assert sorted(order) == sorted(e.id for e in msgs)
    for env in msgs:
        for parent in env.parents:
            assert order.index(parent) < order.index(env.id)


def test_a_parent_the_bridge_never_heard_does_not_hold_its_child_back() -> None:
    sc = _history()
    m = Messages(sc.body)
    m.hold(sc.messages[-1])
    assert list(m.ids()) == [sc.messages[-1].id]
    assert m.heads() == [sc.messages[-1].id]


def test_the_nodes_messages_are_its_log_and_heard_ones_join_it_once_confirmed() -> None:
    sc = _history()
    *earlier, last = sc.messages
    m = Messages(sc.body)
    for env in earlier:
        assert m.add(env)
    assert not m.add(earlier[1])  # known
    assert len(m.log) == len(earlier) and m.heads() == list(m.log.heads())
    assert m.hold(last) and not m.hold(last)
    assert m.raw_of(last.id) == last.raw and last.id not in m.log
    assert m.heads() == [last.id]
    assert m.causal_past([last.id]) == {e.id for e in sc.messages}
    m.confirm(last.id)
    assert last.id in m.log and m.log.heads() == (last.id,)
    assert m.with_prefix(last.id[:8]) == [last.id]


def test_a_rejected_heard_message_is_forgotten_and_the_log_is_untouched() -> None:
    sc = _history()
    *earlier, last = sc.messages
    m = Messages(sc.body)
    for env in earlier:
        m.add(env)
    before = m.log.state_hash()
    m.hold(last)
    m.forget(last.id)
    assert last.id not in m and m.raw_of(last.id) is None and m.with_prefix(last.id[:8]) == []
    assert m.log.state_hash() == before and len(m) == len(earlier)


def test_a_message_of_another_body_is_not_taken_into_the_log() -> None:
    sc, other = _history(), Scenario(("eli",), name="elsewhere")
    m = Messages(sc.body)
    assert not m.add(other.messages[0])
    assert len(m) == 0


@given(st.randoms(use_true_random=False))
@settings(max_examples=50, deadline=None)
def test_any_arrival_order_lists_parents_first(rng: object) -> None:
    sc = _history()
    envs = list(sc.messages)
    rng.shuffle(envs)  # type: ignore[attr-defined]
    keep = envs[: max(1, len(envs) - rng.randrange(3))]  # type: ignore[attr-defined]
    m = Messages(sc.body)
    for env in keep:
        if rng.random() < 0.5:  # type: ignore[attr-defined]
            m.add(env)  # from the node (pending in the log when a parent is missing)
        else:
            m.hold(env)  # heard, unconfirmed
    order = list(m.ids())
    assert sorted(order) == sorted(e.id for e in keep)
    for env in keep:
        for parent in env.parents:
            if parent in m:
                assert order.index(parent) < order.index(env.id)
