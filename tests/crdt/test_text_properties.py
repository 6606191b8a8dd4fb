"""Properties of the text CRDT (spec/text.md): it edits like a list, its
two-step API (prepare, sign, apply) gives the same result as local edits,
concurrent runs never interleave (typed forwards or backwards), run deletes
commute, honest messages always pass the causal check, and every causal
delivery order, with duplicates, gives the same text and state."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.errors import LocalCrdtError
from crdt.text import TextDocument
from crdt.text_guard import check_ops

ROOT = hashlib.sha256(b"a proposal").digest()


def mid(tag: str) -> bytes:
    return hashlib.sha256(tag.encode()).digest()


# --- like a list -----------------------------------------------------------------------

_edit = st.tuples(
    st.booleans(),
    st.integers(0, 10_000),
    st.integers(1, 5),
    st.text("abcé€😀", min_size=1, max_size=5),
)


@given(st.text("xyz", max_size=6), st.lists(_edit, max_size=40))
@settings(max_examples=300, deadline=None)
def test_local_edits_behave_like_a_list(
    initial: str, edits: list[tuple[bool, int, int, str]]
) -> None:
    """Local edits, and the same ops applied by a second replica through the
    two-step API, both read back exactly like splices on a Python list."""
    local = TextDocument(ROOT, initial)
    remote = TextDocument(ROOT, initial)
    model = list(initial)
    for n, (is_delete, at, length, text) in enumerate(edits):
        m = mid(f"edit {n}")
        if is_delete and model:
            i = at % len(model)
            n_del = min(length, len(model) - i)
            ops: list[Any] = local.local_delete(i, n_del)
            del model[i : i + n_del]
        else:
            i = at % (len(model) + 1)
            prep = remote.prepare_insert(i, text)
            ops = [local.local_insert(i, text, m)]
            assert ops == [prep.op]  # same origins from the same state
            model[i:i] = text
        check_ops(remote, m, ops, {mid(f"edit {k}") for k in range(n)})
        remote.apply(m, ops)
        assert local.text() == remote.text() == "".join(model)
        assert len(local) == len(model)
    assert local.state_bytes() == remote.state_bytes()


def test_bounds_are_local_errors() -> None:
    d = TextDocument(ROOT, "abc")
    for index, text in ((4, "x"), (-1, "x"), (0, "")):
        with pytest.raises(LocalCrdtError):
            d.prepare_insert(index, text)
    for index, length in ((0, 0), (2, 2), (-1, 1), (3, 1)):
        with pytest.raises(LocalCrdtError):
            d.local_delete(index, length)
    assert d.text() == "abc"


# --- no interleaving ---------------------------------------------------------------------


def _type(
    doc: TextDocument, who: str, word: str, at: int, backwards: bool
) -> list[tuple[bytes, list[Any]]]:
    """Type ``word`` at ``at`` one keystroke per message, forwards (each key
    after the last) or backwards (each key before the last, the caret kept
    at ``at``), so the word reads correctly either way."""
    out = []
    keys = reversed(word) if backwards else iter(word)
    for n, ch in enumerate(keys):
        m = mid(f"{who} {n}")
        op = doc.local_insert(at if backwards else at + n, ch, m)
        out.append((m, [op]))
    return out


def _merge(replicas: list[list[tuple[bytes, list[Any]]]], initial: str, seed: int) -> TextDocument:
    """Deliver every replica's chain to a fresh document, interleaving the
    chains at random (each chain stays in its causal order)."""
    rng = random.Random(seed)
    d = TextDocument(ROOT, initial)
    cursors = [0] * len(replicas)
    while any(c < len(r) for c, r in zip(cursors, replicas, strict=True)):
        i = rng.choice([i for i, r in enumerate(replicas) if cursors[i] < len(r)])
        m, ops = replicas[i][cursors[i]]
        d.apply(m, ops)
        cursors[i] += 1
    return d


@given(
    st.lists(st.text("abcdefgh", min_size=1, max_size=6), min_size=2, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.integers(0, 4),
    st.integers(0, 1000),
)
@settings(max_examples=300, deadline=None)
def test_concurrent_runs_at_one_place_stay_whole(
    words: list[str], backwards: list[bool], at: int, seed: int
) -> None:
    """Two or three members type a word each at the same place at the same
    time, keystroke by keystroke, forwards or backwards: every replica ends
    with the words side by side, whole, in one order (Fugue's property)."""
    initial = "[ | ]"
    chains = [
        _type(
            TextDocument(ROOT, initial), f"member {i}", w.upper() if i % 2 else w, at, backwards[i]
        )
        for i, w in enumerate(words)
    ]
    typed = [w.upper() if i % 2 else w for i, w in enumerate(words)]
    texts = {_merge(chains, initial, seed + k).text() for k in range(3)}
    assert len(texts) == 1
    text = texts.pop()
    middle = text[at : len(text) - (len(initial) - at)]
    assert any(middle == "".join(p) for p in _permutations(typed)), middle


def _permutations(items: list[str]) -> list[list[str]]:
    if len(items) <= 1:
        return [items]
    return [
        [items[i], *rest]
        for i in range(len(items))
        for rest in _permutations(items[:i] + items[i + 1 :])
    ]


def test_backward_typing_does_not_interleave() -> None:
    """The case YATA gets wrong and Fugue right: both type backwards."""
    a = _type(TextDocument(ROOT, "<>"), "a", "hello", 1, backwards=True)
    b = _type(TextDocument(ROOT, "<>"), "b", "WORLD", 1, backwards=True)
    assert _merge([a, b], "<>", 1).text() in ("<helloWORLD>", "<WORLDhello>")
    assert _merge([a, b], "<>", 1).state_bytes() == _merge([b, a], "<>", 7).state_bytes()


# --- deletes -------------------------------------------------------------------------------


def test_a_delete_across_messages_is_one_op_per_stretch() -> None:
    d = TextDocument(ROOT, "0123456789")
    d.local_insert(5, "abc", mid("x"))
    ops = d.local_delete(3, 6)  # "34abc5"
    assert [(op[1][0], op[1][1], op[2]) for op in ops] == [
        (ROOT, 3, 2),
        (mid("x"), 0, 3),
        (ROOT, 5, 1),
    ]
    assert d.text() == "0126789"


def test_concurrent_overlapping_deletes_commute() -> None:
    a, b = TextDocument(ROOT, "abcdefgh"), TextDocument(ROOT, "abcdefgh")
    da = a.local_delete(1, 4)  # bcde
    db = b.local_delete(3, 4)  # defg
    a.apply(mid("b"), db)
    b.apply(mid("a"), da)
    assert a.text() == b.text() == "ah"
    assert a.state_bytes() == b.state_bytes()


def test_an_insert_inside_a_concurrently_deleted_run_survives() -> None:
    a, b = TextDocument(ROOT, "abcdef"), TextDocument(ROOT, "abcdef")
    ins = a.local_insert(3, "XY", mid("ins"))
    dele = b.local_delete(1, 4)
    a.apply(mid("del"), dele)
    b.apply(mid("ins"), [ins])
    assert a.text() == b.text() == "aXYf"
    assert a.state_bytes() == b.state_bytes()


def test_typing_where_text_was_deleted_goes_after_the_tombstones() -> None:
    """After deleting "cd", typing at the gap takes the tombstone "d" as its
    left origin and "e" as its right (spec/text.md, "Operations"), and is
    placed identically on another replica."""
    a = TextDocument(ROOT, "abcdef")
    b = TextDocument(ROOT, "abcdef")
    dele = a.local_delete(2, 2)
    b.apply(mid("del"), dele)
    ins = a.local_insert(2, "Z", mid("z"))
    assert ins[1:3] == ((ROOT, 3), (ROOT, 4))
    check_ops(b, mid("z"), [ins], {mid("del")})
    b.apply(mid("z"), [ins])
    assert a.text() == b.text() == "abZef"
    assert a.state_bytes() == b.state_bytes()


# --- convergence with causal pasts --------------------------------------------------------

Message = tuple[bytes, list[Any], frozenset[bytes]]


def _session(seed: int, replicas: int, steps: int) -> list[Message]:
    """Members edit their replicas (runs of text, run deletes, one message
    each) and now and then pull another replica's messages. Each message
    records its causal past: every message its author had applied."""
    rng = random.Random(seed)
    docs = [TextDocument(ROOT, "shared base") for _ in range(replicas)]
    seen: list[list[bytes]] = [[] for _ in range(replicas)]
    log: dict[bytes, Message] = {}
    for step in range(steps):
        r = rng.randrange(replicas)
        doc = docs[r]
        m = mid(f"{seed} {step}")
        if len(doc) and rng.random() < 0.35:
            i = rng.randrange(len(doc))
            ops: list[Any] = doc.local_delete(i, rng.randint(1, min(6, len(doc) - i)))
        else:
            text = "".join(rng.choice("abcdxyz") for _ in range(rng.randint(1, 5)))
            ops = [doc.local_insert(rng.randrange(len(doc) + 1), text, m)]
        log[m] = (m, ops, frozenset(seen[r]))
        seen[r].append(m)
        if rng.random() < 0.4:
            other = rng.randrange(replicas)
            for m2 in seen[other]:
                if m2 not in seen[r]:
                    docs[r].apply(m2, log[m2][1])
                    seen[r].append(m2)
    return list(log.values())


@given(st.integers(0, 100_000), st.integers(2, 4), st.integers(1, 30))
@settings(max_examples=200, deadline=None)
def test_every_causal_order_with_duplicates_converges(seed: int, replicas: int, steps: int) -> None:
    log = _session(seed, replicas, steps)
    rng = random.Random(seed)
    outcomes = set()
    for _ in range(3):
        d = TextDocument(ROOT, "shared base")
        done: set[bytes] = set()
        pending = list(log)
        while pending:
            ready = [msg for msg in pending if msg[2] <= done]
            m, ops, past = rng.choice(ready)
            check_ops(d, m, ops, past, shapes=rng.random() < 0.5)  # honest ones always pass
            d.apply(m, ops)
            if rng.random() < 0.3:
                d.apply(m, ops)  # a duplicate changes nothing
            done.add(m)
            pending.remove((m, ops, past))
        outcomes.add((d.text(), d.state_bytes(), d.state_hash()))
    assert len(outcomes) == 1
