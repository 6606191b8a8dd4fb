"""The Meshtastic adapter sends and receives through a fake device speaking
the library's own stream protocol and protobufs, on the private app port,
within DATA_PAYLOAD_LEN; it passes the transport conformance suite."""

from __future__ import annotations

import anyio
import pytest
from conformance import check_transport
from fake_meshtastic import FakeDevice
from meshtastic.protobuf import portnums_pb2

from mesh.meshtastic_adapter import DATA_PAYLOAD_LEN, MeshtasticTransport
from protocol import envelope, kinds
from protocol.testing import Scenario


@pytest.mark.trio
async def test_two_adapters_exchange_frames_through_the_device() -> None:
    device = FakeDevice()
    port = device.start()
    try:
        with anyio.fail_after(30):
            a = await MeshtasticTransport.connect_tcp("127.0.0.1", port)
            b = await MeshtasticTransport.connect_tcp("127.0.0.1", port)
        try:
            assert a.mtu == DATA_PAYLOAD_LEN == 233
            sc = Scenario(("ana", "bea"))
            p = sc.propose("ana")
            vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
            with anyio.fail_after(10):
                await a.send(vote.raw)
                got = await b.receive()
            assert envelope.open_untrusted(got, sc.body) == vote
            (packet,) = [pk for pk in device.received if pk.decoded.payload == vote.raw]
            assert packet.decoded.portnum == portnums_pb2.PortNum.PRIVATE_APP
            with anyio.fail_after(20):
                await check_transport(a, b)
        finally:
            await a.aclose()
            await b.aclose()
    finally:
        device.stop()
