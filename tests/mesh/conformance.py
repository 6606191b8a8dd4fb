"""One conformance suite every Transport passes (trio style).

``check_transport(a, b)`` takes two connected transports (what ``a`` sends,
``b`` receives) and checks: frames up to the MTU arrive intact and in order
over a quiet link; an oversize frame is refused locally; the airtime figure
is positive and grows with size. Adapter tests call it with their own pair.
"""

from __future__ import annotations

import pytest
import trio

from mesh.errors import LocalMeshError
from mesh.transport import Transport


async def check_transport(a: Transport, b: Transport, *, frames: int = 5) -> None:
    assert isinstance(a, Transport) and isinstance(b, Transport)
    sizes = [1, a.mtu // 2, a.mtu][:frames] + [17] * max(0, frames - 3)
    sent = [bytes([i]) * n for i, n in enumerate(sizes)]
    for f in sent:
        await a.send(f)
        with trio.fail_after(3600):  # simulated channels run on a MockClock
            got = await b.receive()
        assert got == f
    with pytest.raises(LocalMeshError):
        await a.send(bytes(a.mtu + 1))
    assert 0 < a.airtime(10) < a.airtime(a.mtu)
