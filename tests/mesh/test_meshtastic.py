"""The Meshtastic adapter sends and receives through a fake device speaking
the library's own stream protocol and protobufs, on the private app port,
within DATA_PAYLOAD_LEN; it passes the transport conformance suite, reports
the signal of what it heard, figures time on air from the device's LoRa
settings, and says when the device is gone."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from fake_meshtastic import FakeDevice
from meshtastic.protobuf import config_pb2, portnums_pb2

from mesh.airtime import MESHTASTIC, LoRaParams
from mesh.errors import LocalMeshError
from mesh.meshtastic_adapter import DATA_PAYLOAD_LEN, MeshtasticTransport
from mesh.testing import check_transport
from mesh.transport import LinkState
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
            heard = b.statistics()
            assert (heard.rssi_dbm, heard.snr_db) == (-91.0, 6.25)
            assert a.statistics().rssi_dbm is None  # a heard nothing yet
            assert a.params == MESHTASTIC["LONG_FAST"] and a.radio_settings == "LONG_FAST"
            with anyio.fail_after(20):
                await check_transport(a, b)
        finally:
            await a.aclose()
            await b.aclose()
    finally:
        device.stop()


LoRaConfig = config_pb2.Config.LoRaConfig


@pytest.mark.trio
@pytest.mark.parametrize(
    ("lora", "params", "settings"),
    [
        (
            LoRaConfig(use_preset=True, modem_preset=LoRaConfig.ModemPreset.MEDIUM_FAST),
            LoRaParams(sf=9, bw_hz=250_000, cr=1),
            "MEDIUM_FAST",
        ),
        (
            LoRaConfig(use_preset=False, spread_factor=12, bandwidth=62, coding_rate=8),
            LoRaParams(sf=12, bw_hz=62_500, cr=4),
            "SF12 BW62.5 CR4/8",
        ),
    ],
)
async def test_airtime_follows_the_devices_lora_settings(
    lora: Any, params: LoRaParams, settings: str
) -> None:
    device = FakeDevice(lora=lora)
    port = device.start()
    try:
        with anyio.fail_after(30):
            radio = await MeshtasticTransport.connect_tcp("127.0.0.1", port)
        try:
            assert (radio.params, radio.radio_settings) == (params, settings)
            assert radio.airtime(138) == params.airtime(138)
        finally:
            await radio.aclose()
    finally:
        device.stop()


@pytest.mark.trio
async def test_link_goes_down_when_the_device_goes_away() -> None:
    device = FakeDevice()
    port = device.start()
    try:
        with anyio.fail_after(30):
            radio = await MeshtasticTransport.connect_tcp("127.0.0.1", port)
        try:
            assert radio.link_state() is LinkState.UP
            device.stop()  # no more connections; the library's reconnect fails
            device.disconnect_all()
            with anyio.fail_after(20):
                while radio.link_state() is not LinkState.DOWN:
                    await anyio.sleep(0.1)
        finally:
            await radio.aclose()
        with pytest.raises(LocalMeshError, match="closed"):
            await radio.send(b"\x01")
    finally:
        device.stop()


@pytest.mark.trio
async def test_an_unreachable_device_is_a_clear_error() -> None:
    device = FakeDevice()
    port = device.start()
    device.stop()  # the port is free again: nothing listens there
    with anyio.fail_after(30), pytest.raises(LocalMeshError, match="cannot reach the Meshtastic"):
        await MeshtasticTransport.connect_tcp("127.0.0.1", port)


@pytest.mark.trio
async def test_adapters_on_serial_ports_conform() -> None:
    """Two radios on USB (pseudo-terminals), through the same fake device."""
    device = FakeDevice()
    one, two = device.attach_serial(), device.attach_serial()
    try:
        with anyio.fail_after(30):
            a = await MeshtasticTransport.connect_serial(one)
            b = await MeshtasticTransport.connect_serial(two)
        try:
            assert a.name == f"Meshtastic device on {one}"
            with anyio.fail_after(20):
                await check_transport(a, b)
        finally:
            await a.aclose()
            await b.aclose()
    finally:
        device.close_serial()
