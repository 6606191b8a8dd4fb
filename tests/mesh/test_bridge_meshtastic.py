"""`caracol mesh bridge --meshtastic`: two real nodes, each bridged to its own
connection of a fake Meshtastic device (the library's real stream protocol),
exchange a vote; the bridges' status (served as JSON, printed by
`caracol mesh status`) shows the link quality the device reported, the
duty-cycle budget and the queue."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from bridge_world import bridge_config, nodes, post, scenario, status_of, wait_until
from fake_meshtastic import FakeDevice
from meshtastic.protobuf import config_pb2

from mesh.bridge import Bridge, BridgeError, log_line, region_mismatch
from mesh.meshtastic_adapter import MeshtasticTransport
from node.cli import main
from protocol import envelope, kinds


async def _exchange(tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc, p = scenario()
    device = FakeDevice(rx_snr=7.5, rx_rssi=-97)
    port = device.start()
    try:
        async with nodes(tmp, sc) as (a, b), anyio.create_task_group() as tg:
            radio = ("--meshtastic", f"127.0.0.1:{port}")
            with anyio.fail_after(30):
                url_a = await tg.start(Bridge(bridge_config(a, sc.body, *radio)).run)
                url_b = await tg.start(Bridge(bridge_config(b, sc.body, *radio)).run)
            vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
            await post(a, sc.body, vote)
            log = b.ingest.bodies[sc.body].log  # type: ignore[union-attr]
            await wait_until(lambda: vote.id in log, 20)
            assert envelope.open_untrusted(log.get(vote.id).raw, sc.body) == vote

            # The counters move once the radio library's send call and the
            # node's answer have returned, which may be just after the vote
            # is in b's log: wait for them (bounded) before reading.
            with anyio.fail_after(10):
                while True:
                    sa: dict[str, Any] = await status_of(url_a)
                    sb: dict[str, Any] = await status_of(url_b)
                    if sa["link"]["frames_sent"] >= 1 and sb["messages"]["accepted"] >= 1:
                        break
                    await anyio.sleep(0.1)
            assert sa["radio"] == {
                "kind": "meshtastic",
                "address": f"127.0.0.1:{port}",
                "mtu": 233,
                "settings": "LONG_FAST",
                "device_region": "EU_868",
            }
            assert sa["warnings"] == []
            for s in (sa, sb):
                assert s["link"]["state"] == "up"
                assert s["budget"]["region"] == "EU868"
                assert s["budget"]["sub_band"] == "g3 869.4-869.65"
                assert s["budget"]["allowance_s"] == pytest.approx(324.0)
                assert set(s["queue"]) >= {"frames", "airtime_s", "by_priority"}
                assert s["radio_link"]["station"]
            assert sa["link"]["frames_sent"] >= 1 and sa["budget"]["used_s"] > 0
            assert sa["messages"]["to_radio"] >= 1
            assert (sb["link"]["rssi_dbm"], sb["link"]["snr_db"]) == (-97.0, 7.5)
            assert sb["messages"]["heard"] >= 1 and sb["messages"]["submitted"] >= 1
            assert sb["messages"]["accepted"] >= 1
            line = log_line(sb)  # the bridge's periodic line
            assert line.startswith("link up (RSSI -97.0 dBm, SNR 7.5 dB); air used ")

            capsys.readouterr()
            assert await anyio.to_thread.run_sync(main, ["mesh", "status", "--bridge", url_b]) == 0
            table = capsys.readouterr().out
            expected = (
                "UP",
                "MTU 233, LONG_FAST (device region EU_868)",
                "RSSI -97 dBm, SNR 7.5 dB",
                "EU868 g3 869.4-869.65 (10 % duty cycle)",
            )
            for shown in expected:
                assert shown in table, table
            assert "324.0 s" in table and "queue" in table and "accepted" in table
            base = url_b.removesuffix("/status")
            argv = ["mesh", "status", "--bridge", base, "--json"]
            assert await anyio.to_thread.run_sync(main, argv) == 0
            doc = json.loads(capsys.readouterr().out)
            assert (
                doc["link"]["snr_db"] == 7.5
                and doc["budget"]["sub_band"] == sb["budget"]["sub_band"]
            )
            tg.cancel_scope.cancel()
    finally:
        device.stop()


def test_two_nodes_exchange_a_vote_over_meshtastic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_exchange(tmp_path, capsys))


@pytest.mark.trio
async def test_a_radio_set_to_another_region_is_a_warning() -> None:
    lora = config_pb2.Config.LoRaConfig(
        use_preset=True, region=config_pb2.Config.LoRaConfig.RegionCode.US
    )
    device = FakeDevice(lora=lora)
    port = device.start()
    try:
        with anyio.fail_after(30):
            radio = await MeshtasticTransport.connect_tcp("127.0.0.1", port)
        try:
            assert radio.device_region == "US"
            assert region_mismatch("US915", radio) is None
            warning = region_mismatch("EU868", radio)
            assert warning is not None and "set to region US" in warning
        finally:
            await radio.aclose()
    finally:
        device.stop()


async def _gone(tmp: Path) -> None:
    sc, _ = scenario()
    device = FakeDevice()
    port = device.start()
    try:
        async with nodes(tmp, sc, 1) as (node,):
            config = bridge_config(node, sc.body, "--meshtastic", f"127.0.0.1:{port}")
            bridge = Bridge(dataclasses.replace(config, down_limit=2.0))
            with anyio.fail_after(60):
                async with anyio.create_task_group() as tg:
                    await tg.start(bridge.run)
                    device.stop()  # the device goes away for good
                    device.disconnect_all()
                    await anyio.sleep_forever()  # until the bridge gives up
    finally:
        device.stop()


def test_a_device_that_stays_away_ends_the_bridge(tmp_path: Path) -> None:
    with pytest.raises(BaseExceptionGroup) as info:
        asyncio.run(_gone(tmp_path))
    errors = info.value.subgroup(BridgeError)
    assert errors is not None, info.value
    (error,) = _leaves(errors)
    assert "the radio link (meshtastic 127.0.0.1:" in str(error)
    assert "has been down for 2 s" in str(error)


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for e in group.exceptions:
        out += _leaves(e) if isinstance(e, BaseExceptionGroup) else [e]
    return out
