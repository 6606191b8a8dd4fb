"""KISS framing against the published escaping rules, and a KISS transport
over TCP on 127.0.0.1 carrying a signed vote between two "TNC" clients."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesh import kiss
from mesh.errors import BadKiss
from mesh.kiss_transport import KissTransport


def test_escaping_rules_from_the_kiss_paper() -> None:
    # FEND in data -> FESC TFEND; FESC in data -> FESC TFESC
    assert kiss.encode(b"\xc0") == b"\xc0\x00\xdb\xdc\xc0"
    assert kiss.encode(b"\xdb") == b"\xc0\x00\xdb\xdd\xc0"
    assert kiss.encode(b"A\xc0\xdbB", port=1) == b"\xc0\x10A\xdb\xdc\xdb\xddB\xc0"
    assert kiss.unescape(b"\xdb\xdc\xdb\xdd") == b"\xc0\xdb"


@given(st.lists(st.binary(max_size=300), max_size=8), st.integers(1, 17))
@settings(max_examples=200, deadline=None)
def test_frames_survive_any_chunking(frames: list[bytes], chunk: int) -> None:
    stream = b"noise" + b"".join(kiss.encode(f) for f in frames)
    dec = kiss.KissDecoder(max_frame=1024)
    got = []
    for i in range(0, len(stream), chunk):
        got += [f.data for f in dec.feed(stream[i : i + chunk])]
    assert got == frames
    assert dec.dropped == []


@pytest.mark.parametrize(
    ("bad", "reason"),
    [(b"\xc0\x00A\xdbX\xc0", "FESC followed"), (b"\xc0\x00A\xdb\xc0", "middle of an escape")],
)
def test_bad_escapes_drop_the_frame_with_a_reason(bad: bytes, reason: str) -> None:
    dec = kiss.KissDecoder()
    assert list(dec.feed(bad + kiss.encode(b"next"))) == [kiss.KissFrame(0, 0, b"next")]
    assert reason in dec.dropped[0]
    with pytest.raises(BadKiss):
        kiss.unescape(b"\xdb")


def test_oversize_frames_are_dropped() -> None:
    dec = kiss.KissDecoder(max_frame=10)
    assert list(dec.feed(kiss.encode(bytes(50)) + kiss.encode(b"ok"))) == [
        kiss.KissFrame(0, 0, b"ok")
    ]
    assert dec.dropped


@pytest.mark.trio
async def test_kiss_transport_over_loopback_tcp() -> None:
    """A tiny 'TNC' on 127.0.0.1 that forwards every KISS frame to the other
    connected client, as two radios on one channel would."""
    from crdt.sim import make_genesis, seed_for
    from protocol import envelope, kinds

    clients: list[anyio.abc.SocketStream] = []

    async def tnc(stream: anyio.abc.SocketStream) -> None:
        clients.append(stream)
        async with stream:
            async for chunk in stream:
                for other in clients:
                    if other is not stream:
                        await other.send(chunk)

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    seeds = [seed_for("kiss")]
    g = make_genesis(seeds)
    vote = envelope.sign(
        seeds[0], g.body, kinds.Vote(g.id, kinds.Choice.FOR), parents=[g.id], seq=2, time=1
    )
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, tnc)
        a = await KissTransport.connect_tcp("127.0.0.1", port)
        b = await KissTransport.connect_tcp("127.0.0.1", port)
        with anyio.fail_after(5):
            while len(clients) < 2:
                await anyio.sleep(0.01)
            await a.send(vote.raw)
            got = await b.receive()
        assert envelope.open_untrusted(got, g.body) == vote
        assert a.airtime(len(vote.raw)) > 1.0  # 1200 baud
        await a.aclose()
        await b.aclose()
        tg.cancel_scope.cancel()
