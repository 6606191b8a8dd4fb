"""Every adapter available here passes the transport conformance suite
(``mesh.testing.check_transport``), and so does the in-memory pair of
``mesh.testing``; the suite says which rule a transport breaks."""

from __future__ import annotations

import anyio
import pytest
import trio
import trio.testing

from mesh.airtime import MESHTASTIC
from mesh.errors import LinkClosed
from mesh.kiss_transport import KissTransport
from mesh.simchannel import SimChannel
from mesh.testing import NullModem, check_transport, memory_transport_pair
from mesh.transport import LinkState, LinkStatistics


def test_simulated_lora_channel_conforms() -> None:
    async def main() -> None:
        channel = SimChannel(MESHTASTIC["LONG_FAST"], seed=3)
        a, b = channel.radio("a"), channel.radio("b")
        channel.connect("a", "b")
        await check_transport(a, b)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


@pytest.mark.trio
async def test_kiss_over_tcp_conforms() -> None:
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
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, tnc)
        a = await KissTransport.connect_tcp("127.0.0.1", port)
        b = await KissTransport.connect_tcp("127.0.0.1", port)
        with anyio.fail_after(5):
            while len(clients) < 2:
                await anyio.sleep(0.01)
        await check_transport(a, b)
        tg.cancel_scope.cancel()


@pytest.mark.trio
async def test_kiss_over_a_serial_port_conforms() -> None:
    """Two TNC serial ports joined by a null-modem pair of pseudo-terminals."""
    modem = NullModem()
    one, two = modem.start()
    try:
        with anyio.fail_after(10):
            a = await KissTransport.open_serial(one, 9600)
            b = await KissTransport.open_serial(two, 9600)
            await check_transport(a, b)
    finally:
        modem.stop()


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_the_memory_transport_pair_conforms(backend: str) -> None:
    async def main() -> None:
        a, b = memory_transport_pair()
        await check_transport(a, b)

    anyio.run(main, backend=backend)


def test_the_memory_transport_pair_carries_both_ways_and_ends_for_both() -> None:
    async def main() -> None:
        a, b = memory_transport_pair(mtu=8)
        await b.send(b"to a")
        assert await a.receive() == b"to a"
        await b.aclose()
        assert a.link_state() is LinkState.DOWN
        await a.send(b"lost")  # into the air: nobody hears it
        with pytest.raises(LinkClosed, match="other end"):
            await a.receive()
        assert a.statistics().frames_sent == 1 and a.statistics().frames_received == 1
        await a.aclose()

    anyio.run(main)


def test_the_suite_names_the_rule_a_transport_breaks() -> None:
    async def stays_up() -> None:
        a, b = memory_transport_pair()
        a.link_state = lambda: LinkState.UP  # type: ignore[method-assign]
        await check_transport(a, b)

    async def counts_nothing() -> None:
        a, b = memory_transport_pair()
        b.statistics = lambda: LinkStatistics(0, 0, 0, 0, 0.0, 0)  # type: ignore[method-assign]
        await check_transport(a, b)

    with pytest.raises(AssertionError, match="a closed link reports DOWN"):
        anyio.run(stays_up)
    with pytest.raises(AssertionError, match="frames_received counts"):
        anyio.run(counts_nothing)
