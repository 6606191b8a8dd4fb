"""One conformance suite every Transport passes (trio or asyncio, via anyio).

``check_transport(a, b)`` takes two connected transports (what ``a`` sends,
``b`` receives) and checks:

* both links are UP while connected;
* frames up to the MTU arrive intact and in order over a quiet link;
* ``statistics()`` counts the frames and bytes ``a`` sent (and their time
  on air, as ``a.airtime`` figures it) and those ``b`` received;
* an oversize frame is refused locally and counts as nothing sent;
* the airtime figure is positive and grows with size;
* after ``aclose`` (which may be called twice) both links are DOWN, a
  send raises ``LocalMeshError``, and ``receive`` ends with ``LinkClosed``
  (also ``anyio.EndOfStream``).

It closes both transports. Adapter tests call it with their own pair.
"""

from __future__ import annotations

import anyio
import pytest

from mesh.errors import LinkClosed, LocalMeshError
from mesh.transport import LinkState, LinkStatistics, Transport


async def check_transport(a: Transport, b: Transport, *, frames: int = 5) -> None:
    assert isinstance(a, Transport) and isinstance(b, Transport)
    assert a.link_state() is LinkState.UP, "a connected link reports UP"
    assert b.link_state() is LinkState.UP, "a connected link reports UP"
    before_a, before_b = a.statistics(), b.statistics()
    assert isinstance(before_a, LinkStatistics) and isinstance(before_b, LinkStatistics)

    sizes = [1, a.mtu // 2, a.mtu][:frames] + [17] * max(0, frames - 3)
    sent = [bytes([i]) * n for i, n in enumerate(sizes)]
    for f in sent:
        await a.send(f)
        with anyio.fail_after(3600):  # simulated channels run on a MockClock
            got = await b.receive()
        assert got == f
    with pytest.raises(LocalMeshError):
        await a.send(bytes(a.mtu + 1))
    assert 0 < a.airtime(10) < a.airtime(a.mtu)

    after_a, after_b = a.statistics(), b.statistics()
    assert after_a.frames_sent - before_a.frames_sent == len(sent)
    assert after_a.bytes_sent - before_a.bytes_sent == sum(map(len, sent))
    assert after_a.airtime_s - before_a.airtime_s == pytest.approx(
        sum(a.airtime(len(f)) for f in sent), rel=1e-6
    )
    assert after_b.frames_received - before_b.frames_received == len(sent)
    assert after_b.bytes_received - before_b.bytes_received == sum(map(len, sent))
    assert after_b.dropped == before_b.dropped, "nothing on a quiet link is dropped"
    for s in (after_a, after_b):
        assert s.rssi_dbm is None or -200 < s.rssi_dbm < 50
        assert s.snr_db is None or -50 < s.snr_db < 50

    await a.aclose()
    await b.aclose()
    await a.aclose()  # closing twice is harmless
    assert a.link_state() is LinkState.DOWN, "a closed link reports DOWN"
    assert b.link_state() is LinkState.DOWN, "a closed link reports DOWN"
    with pytest.raises(LocalMeshError):
        await a.send(b"\x01")
    with pytest.raises(LocalMeshError):
        await b.send(b"\x01")
    for t in {id(a): a, id(b): b}.values():  # a and b may be one transport (an echo)
        with anyio.fail_after(5), pytest.raises(LinkClosed) as ended:
            while True:  # what was heard before the close may still be read, then the end
                await t.receive()
        assert isinstance(ended.value, anyio.EndOfStream)
