"""Set reconciliation (spec/reconcile.md): exact differences at any frame
size, bounded and robust against a peer that lies, stalls or sends garbage."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crdt.reconcile import (
    Done,
    HaveIds,
    NeedIds,
    PeerError,
    Session,
    SortedIds,
    reconcile_pair,
    separating_bound,
)
from protocol import canonical


def _ids(seed: int, n: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def _run(
    a_ids: list[bytes], b_ids: list[bytes], frame: int, **kw: int
) -> tuple[set[bytes], set[bytes], Session, Session]:
    a = Session(SortedIds(a_ids), max_frame=frame, **kw)
    b = Session(SortedIds(b_ids), max_frame=frame, **kw)
    ea, eb = reconcile_pair(a, b)
    assert not [e for e in ea + eb if isinstance(e, PeerError)]
    assert any(isinstance(e, Done) for e in ea) and any(isinstance(e, Done) for e in eb)
    assert a.closed and b.closed
    for f in a.frames_to_send() + b.frames_to_send():
        assert len(f) <= frame
    send_a = {i for e in ea if isinstance(e, HaveIds) for i in e.ids}
    send_b = {i for e in eb if isinstance(e, HaveIds) for i in e.ids}
    need_a = {i for e in ea if isinstance(e, NeedIds) for i in e.ids}
    need_b = {i for e in eb if isinstance(e, NeedIds) for i in e.ids}
    assert need_a <= set(b_ids) - set(a_ids) and need_b <= set(a_ids) - set(b_ids)
    return send_a, send_b, a, b


@given(
    st.integers(0, 400),
    st.integers(0, 40),
    st.integers(0, 40),
    st.sampled_from([120, 200, 383, 65536]),
    st.sampled_from([(2, 2), (8, 8), (16, 32)]),
    st.integers(0, 2**32),
)
@settings(max_examples=80, deadline=None)
def test_each_side_learns_exactly_what_the_other_lacks(
    common: int, only_a: int, only_b: int, frame: int, shape: tuple[int, int], seed: int
) -> None:
    ids = _ids(seed, common + only_a + only_b)
    a_ids = ids[: common + only_a]
    b_ids = ids[:common] + ids[common + only_a :]
    send_a, send_b, _, _ = _run(a_ids, b_ids, frame, branching=shape[0], idlist_threshold=shape[1])
    assert send_a == set(a_ids) - set(b_ids)
    assert send_b == set(b_ids) - set(a_ids)


def test_one_difference_in_100k_costs_little() -> None:
    ids = _ids(1, 100_001)
    send_a, send_b, a, b = _run(ids[:-1], ids[:-2] + ids[-1:], 65536)
    assert send_a == {ids[-2]} and send_b == {ids[-1]}
    assert a.bytes_sent + b.bytes_sent < 4096
    assert max(a.round_trips, b.round_trips) <= 6


def test_separating_bound_is_shortest_and_separates() -> None:
    prev, nxt = bytes([1, 2, 3]) + bytes(29), bytes([1, 2, 9]) + bytes(29)
    b = separating_bound(prev, nxt)
    assert b == bytes([1, 2, 9])
    assert prev < b.ljust(32, b"\0") <= nxt


GARBAGE = [
    b"",
    b"\xc1",
    b"\x95\x00\x01\xc0\x90",  # missing last flag... 4 elements
    canonical.encode((1, 1, None, (), True)),  # wrong version
    canonical.encode((0, 9, None, (), True)),  # unknown frame type
    canonical.encode((0, 1, None, ((None, 7, None),), True)),  # unknown mode
    canonical.encode((0, 1, None, ((None, 1, b"short"),), True)),  # bad fingerprint
    canonical.encode((0, 1, None, ((b"\x05", 0, None), (b"\x01", 0, None)), True)),  # descending
    canonical.encode(
        (0, 1, None, ((None, 2, (b"\x02" * 32, b"\x01" * 32)),), True)
    ),  # unsorted ids
    canonical.encode((0, 2, None, (b"\x01" * 32,), True)),  # asks for an id we never had
    canonical.encode((0, 1, None, ((b"\x80", 2, (b"\xff" * 32,)),), True)),  # id outside its range
    canonical.encode(
        (0, 1, None, ((None, 0, None), (b"\x01", 0, None)), True)
    ),  # nil bound not last
]


@pytest.mark.parametrize("frame", GARBAGE)
def test_garbage_frames_end_the_session_with_a_peer_error(frame: bytes) -> None:
    s = Session(SortedIds(_ids(3, 50)))
    s.receive_frame(frame, 1.0)
    (event,) = s.events()
    assert isinstance(event, PeerError) and event.code in ("malformed", "protocol")
    assert s.closed
    s.receive_frame(frame, 2.0)  # a closed session ignores further input
    assert s.events() == []


def test_oversize_frame_is_refused() -> None:
    s = Session(SortedIds([]), max_frame=200)
    s.receive_frame(bytes(201), 0.0)
    (event,) = s.events()
    assert isinstance(event, PeerError) and "exceeds" in event.reason


def test_a_stalling_peer_times_out() -> None:
    s = Session(SortedIds(_ids(4, 10)), timeout=30.0, now=100.0)
    s.initiate()
    assert s.get_timer() == 130.0
    s.handle_timer(129.0)
    assert s.events() == []
    s.handle_timer(130.0)
    (event,) = s.events()
    assert isinstance(event, PeerError) and event.code == "stalled"
    assert s.get_timer() is None


def test_a_peer_that_never_stops_is_cut_off() -> None:
    """A liar that answers every turn with a fresh mismatching fingerprint."""
    s = Session(SortedIds(_ids(5, 100)))
    s.initiate()
    s.frames_to_send()
    for i in range(200):
        fp = hashlib.sha256(bytes([i % 256])).digest()[:16]
        s.receive_frame(canonical.encode((0, 1, b"", ((None, 1, fp),), True)), float(i))
        s.frames_to_send()
        if s.closed:
            break
    assert s.closed
    assert any(isinstance(e, PeerError) for e in s.events())


def test_transcript_vectors_are_reproduced_frame_by_frame() -> None:
    import importlib.util
    import json
    from pathlib import Path

    vectors = Path(__file__).resolve().parents[2] / "spec" / "vectors"
    spec = importlib.util.spec_from_file_location("gen_reconcile", vectors / "gen_reconcile.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (vectors / "reconcile.json").read_text() == gen.render()
    # and replaying the peer's frames against b's set reproduces b's frames
    for case in json.loads((vectors / "reconcile.json").read_text())["tests"]:
        b = Session(SortedIds(bytes.fromhex(i) for i in case["b_ids"]), max_frame=case["max_frame"])
        sent: list[str] = []
        for f in case["frames"]:
            if f["from"] == "a":
                b.receive_frame(bytes.fromhex(f["frame"]), 0.0)
                sent += [x.hex() for x in b.frames_to_send()]
        assert sent == [f["frame"] for f in case["frames"] if f["from"] == "b"]


def test_a_frame_whose_version_is_false_is_malformed() -> None:
    s = Session(SortedIds(_ids(9, 5)))
    s.receive_frame(canonical.encode((False, 1, None, (), True)), 0.0)
    (event,) = s.events()
    assert isinstance(event, PeerError) and event.code == "malformed"


def test_a_nil_lower_bound_with_ranges_is_a_peer_error_not_a_crash() -> None:
    """A RANGES frame starting at nil (the end of the space) with ranges once
    raised OverflowError from the fingerprint of a negative span."""
    s = Session(SortedIds(_ids(5, 20)))
    s.receive_frame(canonical.encode((0, 1, None, ((b"\x40", 1, b"\x00" * 16),), True)), 1.0)
    (event,) = s.events()
    assert isinstance(event, PeerError) and event.code == "malformed"
    assert "nil lower bound" in event.reason


_BOUND = st.one_of(st.none(), st.binary(max_size=33))
_IDS = st.lists(st.binary(min_size=32, max_size=32), max_size=4, unique=True).map(
    lambda ids: tuple(sorted(ids))
)
_RANGE = st.one_of(
    st.tuples(_BOUND, st.just(0), st.none()),
    st.tuples(_BOUND, st.just(1), st.binary(min_size=16, max_size=16)),
    st.tuples(_BOUND, st.just(2), _IDS),
    st.tuples(
        _BOUND,
        st.integers(-1, 3),
        st.one_of(st.none(), st.binary(min_size=15, max_size=17), _IDS),
    ),
)
_FRAME = st.tuples(
    st.just(0),
    st.integers(0, 3),
    _BOUND,
    st.lists(st.one_of(_RANGE, st.binary(min_size=32, max_size=32)), max_size=5).map(tuple),
    st.booleans(),
)


@given(st.lists(_FRAME, min_size=1, max_size=6), st.booleans(), st.integers(0, 30))
@example([(0, 1, None, ((b"\x40", 1, b"\x00" * 16),), True)], False, 20)  # was OverflowError
@settings(max_examples=400, deadline=None)
def test_hostile_frames_never_raise(
    frames: list[tuple[object, ...]], initiate: bool, n: int
) -> None:
    """Any sequence of well-encoded but hostile frames ends, at worst, in a
    PeerError event: never an exception out of receive_frame."""
    s = Session(SortedIds(_ids(n, n)), max_frame=4096)
    if initiate:
        s.initiate()
        s.frames_to_send()
    for i, value in enumerate(frames):
        s.receive_frame(canonical.encode(value), float(i))
        s.frames_to_send()
    for event in s.events():
        if isinstance(event, PeerError):
            assert event.code in ("malformed", "protocol")
