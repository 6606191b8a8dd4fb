"""Registers and sets resolved by causal order (spec/dag.md, "Registers")."""

from __future__ import annotations

from test_log import GENESIS, fresh, msg

from crdt.registers import CausalRegister, ObservedRemoveSet


def test_causally_latest_write_wins_without_conflict() -> None:
    log = fresh()
    a = msg(1, [GENESIS.id], 1)
    b = msg(1, [a.id], 2)
    for m in (a, b):
        log.add(m)
    reg: CausalRegister[str] = CausalRegister()
    for e in log.envelopes():
        if e.id in (a.id, b.id):
            reg.write(e.id, "against" if e.id == a.id else "for")
    r = reg.resolve(log.is_ancestor)
    assert r is not None and r.value == "for" and not r.conflict


def test_concurrent_writes_resolve_by_replay_order_and_report_the_conflict() -> None:
    log = fresh()
    a = msg(1, [GENESIS.id], 1, "a")
    b = msg(1, [GENESIS.id], 2, "b")
    for m in (a, b):
        log.add(m)
    reg: CausalRegister[bytes] = CausalRegister()
    for e in log.envelopes():
        if e.id in (a.id, b.id):
            reg.write(e.id, e.id)
    r = reg.resolve(log.is_ancestor)
    assert r is not None and r.conflict
    assert r.winner == log.order()[-1]
    assert set(r.concurrent) == {a.id, b.id}


def test_observed_remove_set_add_wins_over_concurrent_remove() -> None:
    log = fresh()
    add1 = msg(1, [GENESIS.id], 1)
    remove = msg(2, [add1.id], 1)
    add2 = msg(3, [add1.id], 1)  # concurrent with the removal
    for m in (add1, remove, add2):
        log.add(m)
    s: ObservedRemoveSet[str] = ObservedRemoveSet()
    s.add("dora", add1.id)
    s.remove("dora", remove.id)
    assert not s.contains("dora", log.is_ancestor)
    s.add("dora", add2.id)
    assert s.contains("dora", log.is_ancestor)
    assert s.live_adds("dora", log.is_ancestor) == [add2.id]
    assert s.elements(log.is_ancestor) == {"dora"}
