"""The radio frame codec (spec/mesh.md): a vote in one frame, abbreviation
rebuilt to the exact signed bytes, fragments reassembled through 20 % loss,
and every frame parsed as untrusted input."""

from __future__ import annotations

import contextlib
import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.log import Log
from crdt.sim import make_genesis, seed_for
from mesh import frames
from mesh.errors import MeshError, RemoteMeshError, Unexpandable
from protocol import envelope, kinds
from protocol.verdict import CommunityVerdict, attest

SEEDS = [seed_for(f"frames{i}") for i in range(150)]
GENESIS = make_genesis(SEEDS)
LOG = Log(GENESIS.body)
LOG.add(GENESIS)
PROPOSAL = envelope.sign(
    SEEDS[0],
    GENESIS.body,
    kinds.Proposal("Fix the well", "Replace the pump.", "", None, None),
    parents=[GENESIS.id],
    seq=2,
    time=1_790_000_000,
)
LOG.add(PROPOSAL)
VOTE = envelope.sign(
    SEEDS[77],
    GENESIS.body,
    kinds.Vote(PROPOSAL.id, kinds.Choice.FOR),
    parents=[GENESIS.id, PROPOSAL.id],
    seq=300,
    time=1_790_000_100,
)
CTX = frames.Context(
    GENESIS.body,
    sorted(GENESIS.payload.founders),
    lambda p: [m for m in LOG.ids() if m.startswith(p)],  # type: ignore[attr-defined]
)
MESHTASTIC_MTU = 233


def test_a_vote_travels_in_one_meshtastic_frame_full_or_abbreviated() -> None:
    full = frames.encode_msg(CTX.ctx, VOTE.raw)
    short = frames.encode_msg(CTX.ctx, frames.abbreviate(VOTE.raw, CTX), abbreviated=True)
    assert len(full) <= MESHTASTIC_MTU and len(short) < 150
    for data in (full, short):
        (frame,) = frames.fragment(data, MESHTASTIC_MTU)
        msg = frames.decode_untrusted(frame)
        assert isinstance(msg, frames.Msg)
        raw = frames.expand_untrusted(msg.body, CTX) if msg.abbreviated else msg.body
        assert envelope.open_untrusted(raw, GENESIS.body) == VOTE


def test_unexpandable_abbreviations_ask_for_the_full_form() -> None:
    short = frames.abbreviate(VOTE.raw, CTX)
    stranger = frames.Context(GENESIS.body, [], lambda p: [])
    with pytest.raises(Unexpandable):
        frames.expand_untrusted(short, stranger)
    req = frames.encode(frames.ExpandReq(CTX.ctx, frames.handle_of(short)))
    assert frames.decode_untrusted(req) == frames.ExpandReq(CTX.ctx, frames.handle_of(short))


def _attestation_frame() -> bytes:
    v = CommunityVerdict(
        GENESIS.body,
        bytes(32),
        PROPOSAL.id,
        PROPOSAL.id,
        VOTE.id,
        kinds.Outcome.PASSED,
        140,
        5,
        2,
        150,
    )
    return frames.encode_msg(CTX.ctx, attest(v, SEEDS[:5]).encode())


def test_an_attestation_needs_few_frames() -> None:
    data = _attestation_frame()
    assert len(frames.fragment(data, MESHTASTIC_MTU)) <= 4
    assert len(frames.fragment(data, 383)) <= 2  # Reticulum's single packet


@pytest.mark.parametrize("seed", range(20))
def test_reassembly_survives_20_percent_loss_by_asking_only_for_what_is_missing(seed: int) -> None:
    rng = random.Random(seed)
    data = _attestation_frame() + bytes(rng.randrange(256) for _ in range(400))
    sender = frames.Fragmenter(mtu=120)
    receiver = frames.Reassembler(timeout=5)
    in_flight = sender.split(data)
    total = len(in_flight)
    sent = 0
    now = 0.0
    got = None
    for _round in range(40):
        for f in in_flight:
            sent += 1
            if rng.random() < 0.2:
                continue  # lost on the air
            frame = frames.decode_untrusted(f)
            assert isinstance(frame, frames.Frag)
            got = receiver.receive(frame, now) or got
        if got is not None:
            break
        now += 10
        in_flight = []
        for r in receiver.requests(now, wait=5):
            if rng.random() < 0.2:
                continue  # the request itself was lost
            req = frames.decode_untrusted(r)
            assert isinstance(req, frames.FragReq)
            in_flight += sender.resend(req)
    assert got == data
    assert sent < total * 3  # re-requests, not whole-message resends


@given(st.binary(max_size=300))
@settings(max_examples=500, deadline=None)
def test_random_bytes_raise_only_mesh_errors(data: bytes) -> None:
    try:
        frame = frames.decode_untrusted(data)
    except RemoteMeshError:
        return
    if isinstance(frame, frames.Msg) and frame.abbreviated:
        with contextlib.suppress(MeshError):
            frames.expand_untrusted(frame.body, CTX)


@given(st.binary(min_size=1, max_size=500), st.sampled_from([40, 120, 233, 383]))
@settings(max_examples=200, deadline=None)
def test_frames_round_trip_at_any_mtu(body: bytes, mtu: int) -> None:
    data = frames.encode_msg(CTX.ctx, body)
    r = frames.Reassembler()
    out = None
    for f in frames.fragment(data, mtu):
        assert len(f) <= mtu
        frame = frames.decode_untrusted(f)
        out = data if isinstance(frame, frames.Msg) else r.receive(frame, 0.0) or out  # type: ignore[arg-type]
    assert out == data
    msg = frames.decode_untrusted(out)
    assert isinstance(msg, frames.Msg) and msg.body == body


def test_a_compression_bomb_is_refused() -> None:
    bomb = (
        frames._hdr(frames.FrameType.MSG)
        + CTX.ctx
        + bytes([frames.FLAG_ZLIB])
        + zlib.compress(bytes(10**6))
    )
    with pytest.raises(RemoteMeshError, match="limit"):
        frames.decode_untrusted(bomb)


def test_a_forged_fragment_fails_the_tag_check() -> None:
    frags = frames.fragment(_attestation_frame(), 120)
    r = frames.Reassembler()
    out = None
    for i, f in enumerate(frags):
        frame = frames.decode_untrusted(f)
        assert isinstance(frame, frames.Frag)
        if i == 1:
            frame = frames.Frag(frame.tag, frame.index, frame.count, b"X" + frame.chunk[1:])
        out = r.receive(frame, 0.0) or out
    assert out is None and "does not match its tag" in r.dropped[0]


_station = st.binary(min_size=4, max_size=4).filter(lambda b: b != frames.BROADCAST)


@given(
    st.binary(min_size=4, max_size=4),
    st.binary(min_size=4, max_size=4).filter(lambda b: b != bytes(4)),
    _station,
    _station,
    st.integers(0, 255),
    st.integers(1, 255).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))),
    st.binary(min_size=1, max_size=213),
)
@settings(max_examples=300, deadline=None)
def test_sync_frames_round_trip(
    ctx: bytes,
    session: bytes,
    sender: bytes,
    receiver: bytes,
    turn: int,
    part_of: tuple[int, int],
    body: bytes,
) -> None:
    part, parts = part_of
    sync = frames.Sync(ctx, session, sender, receiver, turn, part, parts, body)
    data = frames.encode(sync)
    assert len(data) == frames.SYNC_OVERHEAD + len(body) == 20 + len(body)
    decoded = frames.decode_untrusted(data)
    assert decoded == sync and not sync.announcement and not sync.is_nack


@given(
    st.binary(min_size=4, max_size=4).filter(lambda b: b != bytes(4)),
    _station,
    _station,
    st.integers(0, 255),
    st.integers(1, 255).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=1))
    ),
)
@settings(max_examples=200, deadline=None)
def test_nacks_round_trip_and_name_exactly_the_missing_parts(
    session: bytes, sender: bytes, receiver: bytes, turn: int, asked: tuple[int, set[int]]
) -> None:
    count, missing = asked
    nack = frames.nack(b"ctx!", session, sender, receiver, turn, count, missing)
    data = frames.encode(nack)
    assert len(data) == frames.SYNC_OVERHEAD + (count + 7) // 8
    decoded = frames.decode_untrusted(data)
    assert decoded == nack and isinstance(decoded, frames.Sync) and decoded.is_nack
    assert decoded.missing == tuple(sorted(missing)) and decoded.part == count


@given(st.binary(min_size=4, max_size=4), _station)
def test_an_announcement_round_trips_and_carries_nothing_else(ctx: bytes, sender: bytes) -> None:
    hello = frames.announcement(ctx, sender)
    data = frames.encode(hello)
    assert len(data) == frames.ANNOUNCEMENT == 17
    decoded = frames.decode_untrusted(data)
    assert decoded == hello and isinstance(decoded, frames.Sync) and decoded.announcement
    assert not decoded.is_nack
    for more in (b"x", b"\0\0\1", b"\0\0\1x"):  # turn fields or a frame after ``to``
        with pytest.raises(RemoteMeshError):
            frames.decode_untrusted(data + more)
    with pytest.raises(MeshError):  # nor can one be made
        frames.encode(frames.Sync(ctx, b"\0\0\0\1", sender, frames.BROADCAST, 0, 0, 0, b""))
    with pytest.raises(MeshError):
        frames.encode(frames.Sync(ctx, bytes(4), sender, frames.BROADCAST, 0, 0, 1, b"x"))


@given(st.binary(max_size=260))
@settings(max_examples=500, deadline=None)
def test_arbitrary_sync_frames_raise_only_remote_errors(rest: bytes) -> None:
    try:
        frame = frames.decode_untrusted(frames._hdr(frames.FrameType.SYNC) + rest)
    except RemoteMeshError:
        return
    assert isinstance(frame, frames.Sync)
    assert frame.sender != frames.BROADCAST
    if frame.announcement:
        assert frame.frame == b"" and (frame.turn, frame.part, frame.parts) == (0, 0, 0)
    elif frame.is_nack:
        assert frame.missing and all(i < frame.part for i in frame.missing)
    else:
        assert frame.frame and frame.part < frame.parts
    assert frames.encode(frame) == frames._hdr(frames.FrameType.SYNC) + rest
