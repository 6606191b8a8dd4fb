"""Every adapter available here passes the transport conformance suite."""

from __future__ import annotations

import anyio
import pytest
import trio
import trio.testing
from conformance import check_transport
from nullmodem import NullModem

from mesh.airtime import MESHTASTIC
from mesh.kiss_transport import KissTransport
from mesh.simchannel import SimChannel


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
