"""`caracol mesh bridge`: two nodes that share no network path but a packet
radio channel (a KISS "TNC" forwarder on 127.0.0.1) exchange a vote."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import aiohttp
import anyio
import pytest

from mesh.commands import bridge
from node.cli import main
from node.config import Config
from node.runtime import NodeRuntime
from protocol import envelope, kinds
from protocol.testing import Scenario


async def _scenario(tmp: Path) -> None:
    sc = Scenario(("ana", "bea", "cruz"))
    p = sc.propose("ana")
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
    async with (
        NodeRuntime(Config(data_dir=tmp / "a", listen_port=0)) as a,
        NodeRuntime(Config(data_dir=tmp / "b", listen_port=0)) as b,
        listener,
    ):
        for node in (a, b):
            await node.found_body(sc.messages[0].raw)
            async with aiohttp.ClientSession() as http:
                await http.post(
                    f"{node.url}/v0/bodies/{sc.body.hex()}/messages",
                    json={"messages": [m.raw.hex() for m in sc.messages[1:]]},
                )

        def args(node: NodeRuntime) -> argparse.Namespace:
            return argparse.Namespace(
                node=node.url,
                body=sc.body.hex(),
                kiss=f"127.0.0.1:{port}",
                region="EU868",
                mhz=869.525,
                seconds=8,
            )

        vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, tnc)
            tg.start_soon(bridge, args(a))
            tg.start_soon(bridge, args(b))
            await anyio.sleep(1.0)
            async with aiohttp.ClientSession() as http:
                await http.post(
                    f"{a.url}/v0/bodies/{sc.body.hex()}/messages",
                    data=vote.raw,
                    headers={"Content-Type": "application/octet-stream"},
                )
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
