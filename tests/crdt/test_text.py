"""The text CRDT (spec/text.md): convergence in any causal order, no
interleaving of concurrent runs, run deletes, all-or-nothing operations."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.text import TextDocument, UnknownOrigin

ROOT = hashlib.sha256(b"proposal").digest()


def mid(tag: str) -> bytes:
    return hashlib.sha256(tag.encode()).digest()


def test_local_edits_read_back() -> None:
    d = TextDocument(ROOT, "hello world")
    d.local_insert(5, ",", mid("a"))
    d.local_delete(0, 1)
    d.local_insert(0, "H", mid("b"))
    assert d.text() == "Hello, world" and len(d) == 12
    ops = d.local_delete(3, 6)
    assert d.text() == "Helrld"
    assert all(op[0] == 1 for op in ops)


def test_typing_on_extends_one_run() -> None:
    d = TextDocument(ROOT, "")
    m = mid("typing")
    for i, ch in enumerate("a sentence typed key by key"):
        d.local_insert(i, ch, m, i)
    assert d.text() == "a sentence typed key by key"
    assert len(list(d.runs())) == 1


def test_concurrent_runs_at_one_place_do_not_interleave() -> None:
    a, b = TextDocument(ROOT, "ab"), TextDocument(ROOT, "ab")
    ma, mb = mid("A"), mid("B")
    ops_a = [a.local_insert(1 + i, ch, ma, i) for i, ch in enumerate("XXXX")]
    ops_b = [b.local_insert(1 + i, ch, mb, i) for i, ch in enumerate("yyyy")]
    a.apply(mb, ops_b)
    b.apply(ma, ops_a)
    assert a.text() == b.text()
    assert a.text() in ("aXXXXyyyyb", "ayyyyXXXXb")
    assert a.state_bytes() == b.state_bytes()


def test_operations_with_unknown_origins_change_nothing() -> None:
    d = TextDocument(ROOT, "abc")
    before = d.state_bytes()
    with pytest.raises(UnknownOrigin):
        d.apply(mid("x"), [(0, (mid("ghost"), 0), None, "zz")])
    with pytest.raises(UnknownOrigin):
        d.apply(mid("y"), [(1, (ROOT, 1), 5)])  # runs past the end of the root's text
    assert d.state_bytes() == before


def test_apply_is_idempotent() -> None:
    a, b = TextDocument(ROOT, "abc"), TextDocument(ROOT, "abc")
    m = mid("m")
    op = a.local_insert(1, "Q", m)
    b.apply(m, [op])
    b.apply(m, [op])
    a.apply(m, [op])
    assert a.text() == b.text() == "aQbc"


# --- convergence ---------------------------------------------------------------------


def _session(
    seed: int, replicas: int, steps: int
) -> tuple[list[tuple[bytes, list[Any], set[bytes]]], str]:
    """Random concurrent editing. Each replica edits locally and sometimes
    syncs; every message is recorded with the messages it depended on."""
    rng = random.Random(seed)
    docs = [TextDocument(ROOT, "base text") for _ in range(replicas)]
    seen: list[set[bytes]] = [set() for _ in range(replicas)]
    log: list[tuple[bytes, list[Any], set[bytes]]] = []
    for step in range(steps):
        r = rng.randrange(replicas)
        doc = docs[r]
        m = mid(f"{seed}/{step}")
        ops: list[Any] = []
        if len(doc) and rng.random() < 0.3:
            i = rng.randrange(len(doc))
            ops = doc.local_delete(i, rng.randint(1, min(3, len(doc) - i)))
        else:
            i = rng.randrange(len(doc) + 1)
            text = "".join(rng.choice("abcxyz") for _ in range(rng.randint(1, 4)))
            ops = [doc.local_insert(i, text, m)]
        log.append((m, ops, set(seen[r])))
        seen[r].add(m)
        if rng.random() < 0.3:  # r pulls everything from another replica
            other = rng.randrange(replicas)
            for m2, ops2, _deps in log:
                if m2 in seen[other] and m2 not in seen[r]:
                    doc.apply(m2, ops2)
                    seen[r].add(m2)
    return log, docs[0].text()


def _causal_orders(log: list[tuple[bytes, list[Any], set[bytes]]], rng: random.Random) -> list[int]:
    done: set[bytes] = set()
    order: list[int] = []
    remaining = list(range(len(log)))
    while remaining:
        ready = [i for i in remaining if log[i][2] <= done]
        pick = rng.choice(ready)
        order.append(pick)
        done.add(log[pick][0])
        remaining.remove(pick)
    return order


@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(5, 40))
@settings(max_examples=60, deadline=None)
def test_any_causal_delivery_order_converges(seed: int, replicas: int, steps: int) -> None:
    log, _ = _session(seed, replicas, steps)
    rng = random.Random(seed + 1)
    results = set()
    for _ in range(3):
        d = TextDocument(ROOT, "base text")
        order = _causal_orders(log, rng)
        for i in order:
            m, ops, _deps = log[i]
            d.apply(m, ops)
            if rng.random() < 0.2:  # duplicates change nothing
                d.apply(m, ops)
        results.add((d.text(), d.state_bytes()))
    assert len(results) == 1


def test_vectors() -> None:
    import importlib.util
    import json
    from pathlib import Path

    vectors = Path(__file__).resolve().parents[2] / "spec" / "vectors"
    spec = importlib.util.spec_from_file_location("gen_text", vectors / "gen_text.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (vectors / "text.json").read_text() == gen.render()
    for case in json.loads((vectors / "text.json").read_text())["tests"]:
        for order in case["orders"]:
            d = TextDocument(bytes.fromhex(case["root"]), case["initial"])
            for i in order:
                msg = case["messages"][i]
                d.apply(bytes.fromhex(msg["id"]), gen.ops_from_json(msg["ops"]))
            assert d.text() == case["text"]
