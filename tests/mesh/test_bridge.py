"""`caracol mesh bridge`: two nodes that share no network path but a packet
radio channel (a KISS "TNC" forwarder on 127.0.0.1, or two TNCs on serial
ports) or two Meshtastic radios on USB exchange a vote."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio
import pytest
from bridge_world import bridge_config, nodes, parse, post, scenario, status_of, wait_until
from fake_meshtastic import FakeDevice

from mesh.bridge import Bridge, bridge
from mesh.testing import NullModem
from node.cli import main
from protocol import envelope, kinds


async def _scenario(tmp: Path) -> None:
    sc, p = scenario(("ana", "bea", "cruz"))
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
    async with nodes(tmp, sc) as (a, b), listener:
        flags = ["--kiss", f"127.0.0.1:{port}", "--status-port", "0", "--seconds", "8"]
        vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, tnc)
            for node in (a, b):
                argv = ["bridge", "--node", node.url, "--body", sc.body.hex(), *flags]
                tg.start_soon(bridge, parse(argv))
            await anyio.sleep(1.0)
            await post(a, sc.body, vote)
            log = b.ingest.bodies[sc.body].log  # type: ignore[union-attr]
            with anyio.fail_after(7):
                while vote.id not in log:
                    await anyio.sleep(0.1)
            tg.cancel_scope.cancel()
        assert envelope.open_untrusted(log.get(vote.id).raw, sc.body) == vote


def test_two_nodes_exchange_a_vote_over_packet_radio(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))


def test_airtime_and_budget_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mesh", "airtime", "--bytes", "138"]) == 0
    assert "ms on air" in capsys.readouterr().out
    assert main(["mesh", "budget", "--mhz", "868.1"]) == 0
    assert "32.4 s of air" in capsys.readouterr().out
    assert main(["mesh", "budget", "--mhz", "871"]) == 1


async def _serial(tmp: Path, radios: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
    sc, p = scenario(("ana", "bea", "cruz"))
    async with nodes(tmp, sc) as (a, b), anyio.create_task_group() as tg:
        with anyio.fail_after(30):
            url_a = await tg.start(Bridge(bridge_config(a, sc.body, *radios[0])).run)
            await tg.start(Bridge(bridge_config(b, sc.body, *radios[1])).run)
        vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
        await post(a, sc.body, vote)
        log = b.ingest.bodies[sc.body].log  # type: ignore[union-attr]
        await wait_until(lambda: vote.id in log, 20)
        # The adapter counts a frame once the radio library's send call has
        # returned, which may be just after the other side heard it.
        with anyio.fail_after(10):
            while True:
                status = await status_of(url_a)
                if status["link"]["frames_sent"] >= 1:  # type: ignore[index]
                    break
                await anyio.sleep(0.1)
        assert status["link"]["state"] == "up"  # type: ignore[index]
        tg.cancel_scope.cancel()


def test_two_nodes_exchange_a_vote_over_serial_tncs(tmp_path: Path) -> None:
    """Two TNCs on serial ports, joined by a null-modem pair of pseudo-terminals."""
    modem = NullModem()
    one, two = modem.start()
    try:
        radios = (("--kiss-serial", one, "--baud", "19200"), ("--kiss-serial", two))
        asyncio.run(_serial(tmp_path, radios))
    finally:
        modem.stop()


def test_two_nodes_exchange_a_vote_over_meshtastic_on_usb(tmp_path: Path) -> None:
    device = FakeDevice()
    one, two = device.attach_serial(), device.attach_serial()
    try:
        asyncio.run(_serial(tmp_path, (("--meshtastic-serial", one), ("--meshtastic-serial", two))))
    finally:
        device.close_serial()
