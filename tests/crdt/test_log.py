"""The DAG log (spec/dag.md): insertion, pending, ancestry, replay order,
equivocation evidence, and convergence under any delivery order."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.errors import CrdtError
from crdt.log import Log, SelfReference, WrongBody
from crdt.sim import make_genesis, seed_for, simulate
from protocol import envelope, kinds
from protocol.envelope import Envelope
from protocol.errors import ProtocolError

SEEDS = [seed_for(f"m{i}") for i in range(4)]
GENESIS = make_genesis(SEEDS)
BODY = GENESIS.body


def msg(author: int, parents: list[bytes], seq: int, text: str = "x") -> Envelope:
    payload = kinds.Comment(BODY, None, kinds.Stance.NEUTRAL, text)
    return envelope.sign(
        SEEDS[author], BODY, payload, parents=parents, seq=seq, time=1_790_000_000 + seq
    )


def fresh() -> Log:
    log = Log(BODY)
    log.add(GENESIS)
    return log


def test_chain_heads_and_order() -> None:
    log = fresh()
    a = msg(1, [GENESIS.id], 1)
    b = msg(2, [GENESIS.id], 1)
    c = msg(3, [a.id, b.id], 1)
    for m in (a, b, c):
        assert log.add(m).accepted == (m,)
    assert log.heads() == (c.id,)
    assert log.order() == [GENESIS.id, *sorted([a.id, b.id]), c.id]
    assert log.is_ancestor(a.id, c.id) and log.is_ancestor(GENESIS.id, c.id)
    assert not log.is_ancestor(a.id, b.id) and not log.is_ancestor(c.id, a.id)
    assert not log.is_ancestor(a.id, a.id)
    assert log.causal_past(c.id) == {GENESIS.id, a.id, b.id}
    assert [e.id for e in log.envelopes()] == log.order()
    assert log.depth(c.id) == 2


def test_missing_parents_wait_and_are_released_in_one_call() -> None:
    log = fresh()
    a = msg(1, [GENESIS.id], 1)
    b = msg(1, [a.id], 2)
    c = msg(2, [b.id], 1)
    r = log.add(c)
    assert r.pending and r.missing == (b.id,)
    r = log.add(b)
    assert r.pending and r.missing == (a.id,)
    assert log.missing() == {a.id}
    r = log.add(a)
    assert {e.id for e in r.accepted} == {a.id, b.id, c.id}
    assert r.first_changed == 1
    assert log.missing() == frozenset() and log.pending_ids() == ()
    assert log.add(b).duplicate


def test_late_concurrent_message_reports_where_the_order_changed() -> None:
    log = fresh()
    chain = [GENESIS.id]
    for i in range(1, 6):
        m = msg(1, [chain[-1]], i)
        log.add(m)
        chain.append(m.id)
    late = msg(2, [GENESIS.id], 1)
    r = log.add(late)
    assert r.first_changed == log.index(late.id) < len(log) - 1


def test_other_bodies_and_second_genesis_are_rejected() -> None:
    log = fresh()
    other = make_genesis([seed_for("elsewhere")])
    with pytest.raises(WrongBody) as info:
        log.add(other)
    assert info.value.code == "wrong_body"
    foreign = envelope.sign(
        SEEDS[0],
        other.body,
        kinds.Comment(BODY, None, kinds.Stance.NEUTRAL, "x"),
        parents=[other.id],
        seq=2,
        time=1,
    )
    with pytest.raises(WrongBody):
        log.add(foreign)
    assert len(log) == 1


def test_self_parent_is_rejected() -> None:
    import dataclasses

    log = fresh()
    m = msg(1, [GENESIS.id], 1)
    forged = dataclasses.replace(m, parents=(m.id,))
    object.__setattr__(forged, "id", m.id)
    with pytest.raises(SelfReference):
        log.add(forged)


def test_equivocation_is_evidence_and_both_messages_are_kept() -> None:
    log = fresh()
    a = msg(1, [GENESIS.id], 1, "yes")
    b = msg(1, [GENESIS.id], 1, "no")
    log.add(a)
    log.add(b)
    (ev,) = log.equivocations()
    assert (ev.author, ev.seq) == (a.author, 1)
    assert {ev.first, ev.second} == {a.id, b.id} and ev.first < ev.second
    assert log.equivocators() == {a.author}
    assert a.id in log and b.id in log


def test_pending_area_is_bounded() -> None:
    log = Log(BODY, max_pending=3)
    log.add(GENESIS)
    ghosts = [msg(1, [hashlib.sha256(bytes([i])).digest()], i + 1) for i in range(5)]
    for g in ghosts:
        log.add(g)
    assert log.pending_ids() == tuple(g.id for g in ghosts[2:])
    assert log.statistics().evicted == 2


def test_pending_area_is_bounded_per_source_and_reports_evictions() -> None:
    """A source over its share loses its own oldest orphans, never another
    source's; every eviction is reported so a store can forget it too."""
    log = Log(BODY, max_pending=100, max_pending_per_source=3)
    log.add(GENESIS)
    honest = msg(2, [hashlib.sha256(b"late parent").digest()], 1)
    assert log.add(honest, source="peer b").pending
    ghosts = [msg(1, [hashlib.sha256(bytes([i])).digest()], i + 1) for i in range(5)]
    evicted: list[bytes] = []
    for g in ghosts:
        result = log.add(g, source="peer m")
        evicted += result.evicted
        assert result.pending
    assert evicted == [ghosts[0].id, ghosts[1].id]
    assert set(log.pending_ids()) == {honest.id, *(g.id for g in ghosts[2:])}
    assert log.pending_by_source() == {"peer b": 1, "peer m": 3}
    assert log.statistics().evicted == 2
    # a byte bound per source as well: the newcomer itself may be the one dropped
    small = Log(BODY, max_pending_bytes_per_source=len(ghosts[0].raw) - 1)
    small.add(GENESIS)
    result = small.add(ghosts[0], source="peer m")
    assert not result.pending and result.evicted == (ghosts[0].id,)
    assert small.pending_ids() == () and small.pending_by_source() == {}
    assert small.missing() == frozenset()


# --- convergence -----------------------------------------------------------------


def _pool() -> list[Envelope]:
    """A random DAG of 40 messages by 4 authors, with one equivocation and
    one message citing a parent that never exists."""
    rng = random.Random(7)
    made: list[Envelope] = [GENESIS]
    seq = [1, 0, 0, 0]
    for i in range(38):
        author = rng.randrange(4)
        seq[author] += 1
        parents = rng.sample([m.id for m in made], k=min(len(made), rng.randint(1, 3)))
        made.append(msg(author, parents, seq[author], f"m{i}"))
    twin = msg(2, [made[5].id], seq[2], "equivocating twin")
    ghost = msg(3, [hashlib.sha256(b"ghost").digest()], 99)
    return [*made, twin, ghost]


POOL = _pool()


@given(st.permutations(POOL[1:]), st.lists(st.integers(0, len(POOL) - 2), max_size=20))
@settings(max_examples=60, deadline=None)
def test_any_delivery_order_with_duplicates_converges(
    order: list[Envelope], dups: list[int]
) -> None:
    reference = fresh()
    for m in POOL[1:]:
        reference.add(m)
    log = fresh()
    delivery = list(order)
    for i in dups:
        delivery.insert(i % (len(delivery) + 1), POOL[1 + i])
    for m in delivery:
        log.add(m)
    assert log.order() == reference.order()
    assert log.heads() == reference.heads()
    assert log.equivocations() == reference.equivocations()
    assert log.state_hash() == reference.state_hash()
    assert log.missing() == reference.missing() == {hashlib.sha256(b"ghost").digest()}
    order_ids = log.order()
    position = {m: i for i, m in enumerate(order_ids)}
    for mid in order_ids:
        for p in log.get(mid).parents:
            assert position[p] < position[mid]


@pytest.mark.parametrize("seed", range(4))
def test_simulated_network_converges_after_partitions_heal(seed: int) -> None:
    net = simulate(random.Random(seed), replicas=8, rounds=60, partitions=3)
    logs = [r.log for r in net.replicas]
    assert len({log.state_hash() for log in logs}) == 1
    assert len({log.equivocations() for log in logs}) == 1
    assert all(len(log.equivocations()) == 1 for log in logs)
    assert len({log.missing() for log in logs}) == 1
    assert all(len(log.missing()) == 1 for log in logs)  # the liar's ghost parent
    assert len(logs[0]) >= 60


def test_dag_vectors() -> None:
    import importlib.util
    import json
    from pathlib import Path

    vectors = Path(__file__).resolve().parents[2] / "spec" / "vectors"
    spec = importlib.util.spec_from_file_location("gen_dag", vectors / "gen_dag.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (vectors / "dag.json").read_text() == gen.render()
    for case in json.loads((vectors / "dag.json").read_text())["tests"]:
        body = bytes.fromhex(case["body"])
        if "error" in case:  # the message at case["index"] is refused with that code
            raws = [case["genesis"], *case["deliver"]]
            log = Log(body)
            for raw in raws[: case["index"]]:
                log.add(envelope.open_untrusted(bytes.fromhex(raw), body))
            with pytest.raises((ProtocolError, CrdtError)) as refused:
                log.add(envelope.open_untrusted(bytes.fromhex(raws[case["index"]]), body))
            assert refused.value.code == case["error"]
            assert (refused.value.field, refused.value.offset) == (case["field"], case["offset"])
            continue
        # any delivery order gives the same result: replay them reversed
        for delivery in (case["deliver"], case["deliver"][::-1]):
            log = Log(body)
            log.add(envelope.open_untrusted(bytes.fromhex(case["genesis"]), None))
            for raw in delivery:
                log.add(envelope.open_untrusted(bytes.fromhex(raw), body))
            assert [i.hex() for i in log.order()] == case["order"]
            assert [h.hex() for h in log.heads()] == case["heads"]
            assert sorted(x.hex() for x in log.missing()) == case["missing"]
            assert log.state_hash().hex() == case["state_hash"]
            assert len(log.equivocations()) == len(case["equivocations"])
