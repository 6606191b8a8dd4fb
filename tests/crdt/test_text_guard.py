"""The receiver's causal check on text ops (spec/text.md, "Origins and
causality"): honest ops always pass; forged origins are rejected the same
way on every replica, so replicas converge even with Byzantine authors."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.errors import RemoteCrdtError, TextOriginOutsidePast, TextOriginsNotAdjacent
from crdt.text import TextDocument, UnknownOrigin
from crdt.text_guard import check_ops

ROOT = hashlib.sha256(b"guarded proposal").digest()


def mid(tag: str) -> bytes:
    return hashlib.sha256(tag.encode()).digest()


def ids(d: TextDocument) -> list[tuple[bytes, int]]:
    return [(m, off + i) for m, off, n, _deleted in d.runs() for i in range(n)]


def test_neighbouring_origins_pass() -> None:
    d = TextDocument(ROOT, "abc")
    op = d.prepare_insert(1, "X").op
    check_ops(d, mid("m"), [op], set())
    check_ops(d, mid("m"), [d.prepare_insert(0, "X").op], set())
    check_ops(d, mid("m"), [d.prepare_insert(3, "X").op], set())
    check_ops(d, mid("m"), [(1, (ROOT, 0), 3)], set())


def test_origins_with_a_past_character_between_are_rejected() -> None:
    d = TextDocument(ROOT, "abc")
    with pytest.raises(TextOriginsNotAdjacent):
        check_ops(d, mid("m"), [(0, (ROOT, 0), (ROOT, 2), "X")], set())
    with pytest.raises(TextOriginsNotAdjacent):
        check_ops(d, mid("m"), [(0, None, (ROOT, 1), "X")], set())
    with pytest.raises(TextOriginsNotAdjacent):
        check_ops(d, mid("m"), [(0, (ROOT, 1), None, "X")], set())


def test_right_origin_before_left_is_rejected() -> None:
    d = TextDocument(ROOT, "abc")
    with pytest.raises(TextOriginsNotAdjacent):
        check_ops(d, mid("m"), [(0, (ROOT, 2), (ROOT, 1), "X")], set())
    with pytest.raises(TextOriginsNotAdjacent):
        check_ops(d, mid("m"), [(0, (ROOT, 1), (ROOT, 1), "X")], set())


def test_concurrent_characters_between_origins_are_allowed() -> None:
    """An honest author did not see a concurrent insert: it may lie between."""
    d = TextDocument(ROOT, "ab")
    honest = d.prepare_insert(1, "X").op  # made before "y" arrived
    d.apply(mid("y"), [d.prepare_insert(1, "y").op])
    check_ops(d, mid("x"), [honest], set())
    with pytest.raises(TextOriginsNotAdjacent):  # but not if "y" was in its past
        check_ops(d, mid("x"), [honest], {mid("y")})


def test_positions_outside_the_causal_past_are_rejected() -> None:
    d = TextDocument(ROOT, "ab")
    d.apply(mid("y"), [d.prepare_insert(1, "y").op])
    after_y = d.prepare_insert(2, "Z").op  # left origin is y's character
    with pytest.raises(TextOriginOutsidePast):
        check_ops(d, mid("z"), [after_y], set())
    check_ops(d, mid("z"), [after_y], {mid("y")})
    with pytest.raises(TextOriginOutsidePast):
        check_ops(d, mid("z"), [(1, (mid("y"), 0), 1)], set())
    with pytest.raises(TextOriginOutsidePast):  # its own characters: no author knows its id
        check_ops(d, mid("z"), [(1, (mid("z"), 0), 1)], {mid("z")})
    with pytest.raises(UnknownOrigin):
        check_ops(d, mid("z"), [(0, (mid("ghost"), 0), None, "q")], {mid("ghost")})


Message = tuple[bytes, list[Any], frozenset[bytes]]


def _forged_session(seed: int, n_base: int, n_forged: int) -> tuple[list[Message], list[Message]]:
    """A shared causal past of honest edits, then concurrent messages whose
    origins are arbitrary pairs of characters (some honest, most forged)."""
    rng = random.Random(seed)
    base = TextDocument(ROOT, "abcdef")
    past: list[Message] = []
    for s in range(n_base):
        m = mid(f"{seed}/base/{s}")
        if len(base) and rng.random() < 0.3:
            i = rng.randrange(len(base))
            ops: list[Any] = base.local_delete(i, rng.randint(1, min(2, len(base) - i)))
        else:
            ops = [base.local_insert(rng.randrange(len(base) + 1), "xy", m)]
        past.append((m, ops, frozenset(p[0] for p in past)))
    chars = ids(base)
    everything = frozenset(p[0] for p in past)
    forged: list[Message] = []
    for s in range(n_forged):
        m = mid(f"{seed}/forged/{s}")
        if rng.random() < 0.3:
            op = base.prepare_insert(rng.randrange(len(base) + 1), f"h{s}").op
        else:
            a, b = rng.sample(range(len(chars)), 2)
            op = (0, chars[a] if rng.random() < 0.9 else None, chars[b], f"f{s}")
        forged.append((m, [op], everything))
    return past, forged


@given(st.integers(0, 100_000), st.integers(0, 5), st.integers(2, 5))
@settings(max_examples=80, deadline=None)
def test_forged_origins_cannot_split_replicas(seed: int, n_base: int, n_forged: int) -> None:
    past, forged = _forged_session(seed, n_base, n_forged)
    outcomes = set()
    for t in range(4):
        d = TextDocument(ROOT, "abcdef")
        for m, ops, _ in past:
            check_ops(d, m, ops, _)
            d.apply(m, ops)
        order = forged[:]
        random.Random(t).shuffle(order)
        accepted = set()
        for m, ops, cut in order:
            try:
                check_ops(d, m, ops, cut)
            except RemoteCrdtError:
                continue
            d.apply(m, ops)
            accepted.add(m)
        outcomes.add((frozenset(accepted), d.text(), d.state_bytes()))
    assert len(outcomes) == 1


def test_malformed_ops_are_rejected_by_shape() -> None:
    from crdt.text import BadTextOp

    d = TextDocument(ROOT, "abc")
    for ops in (
        (),
        [[0, None, None, "a"]],  # an op is a tuple
        ((0, None, None, ""),),
        ((0, None, None),),
        ((1, (ROOT, 0), 0),),
        ((0, (ROOT,), None, "a"),),
        ((2, 0),),
        ((0, None, None, "\ud800"),),
        ((0, None, None, "a" * 4097),),
        tuple((0, None, None, "a") for _ in range(65)),
    ):
        with pytest.raises(BadTextOp):
            check_ops(d, mid("m"), ops, set())
    with pytest.raises(BadTextOp):
        check_ops(d, b"short", ((0, None, None, "a"),), set())


_position = st.one_of(
    st.none(),
    st.tuples(st.sampled_from([ROOT, mid("a"), mid("b"), b"x"]), st.integers(-1, 5)),
    st.integers(),
    st.text(max_size=2),
)
_op = st.one_of(
    st.tuples(st.sampled_from([0, 1, 2, True]), _position, _position, st.text(max_size=3)),
    st.tuples(st.sampled_from([0, 1]), _position, st.integers(-1, 4)),
    st.tuples(st.integers(0, 1)),
    st.lists(st.integers(), max_size=3),
    st.none(),
)


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.lists(_op, max_size=4).map(tuple)),
        max_size=6,
    )
)
@settings(max_examples=300, deadline=None)
def test_arbitrary_input_raises_only_crdt_errors(
    messages: list[tuple[str, tuple[Any, ...]]],
) -> None:
    """Whatever arrives, the guard then apply raise only the package's own
    remote errors, and a rejected message changes nothing."""
    d = TextDocument(ROOT, "abc")
    applied: set[bytes] = set()
    for tag, ops in messages:
        before = d.state_bytes()
        try:
            check_ops(d, mid(tag), ops, applied)
        except RemoteCrdtError:
            assert d.state_bytes() == before
            continue
        d.apply(mid(tag), ops)
        applied.add(mid(tag))


def test_the_spec_example_converges_once_checked() -> None:
    """spec/text.md: on "abcd", concurrent inserts with origins (a, b),
    (a, c), (a, d) diverge unchecked; checked, the two forged ones are
    rejected in every order and every replica reads "aAbcd"."""
    import itertools

    root = bytes(32)
    messages = [
        (mid("A"), ((0, (root, 0), (root, 1), "A"),)),
        (mid("B"), ((0, (root, 0), (root, 2), "B"),)),
        (mid("C"), ((0, (root, 0), (root, 3), "C"),)),
    ]
    outcomes = set()
    for order in itertools.permutations(messages):
        d = TextDocument(root, "abcd")
        rejected = set()
        for m, ops in order:
            try:
                check_ops(d, m, ops, set())
            except TextOriginsNotAdjacent:
                rejected.add(m)
                continue
            d.apply(m, ops)
        outcomes.add((d.text(), frozenset(rejected)))
    assert outcomes == {("aAbcd", frozenset({mid("B"), mid("C")}))}
