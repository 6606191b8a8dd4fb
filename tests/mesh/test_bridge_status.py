"""The bridge's status on a tight duty cycle: votes wait in the queue (by
priority, with the time the budget lets the next one go), a garbage frame
heard on the radio is dropped with its reason, and `caracol mesh status`
shows all of it; the bridge follows its node through a restart, keeping
what it heard meanwhile until the node takes it."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import anyio.to_thread
import pytest
from bridge_world import bridge_config, nodes, post, scenario, status_of, wait_until

from mesh import kiss
from mesh.bridge import Bridge
from node.cli import main
from node.config import Config
from node.runtime import NodeRuntime
from protocol import kinds


class Tnc:
    """A KISS 'TNC' on 127.0.0.1 that forwards every byte to the other clients."""

    def __init__(self) -> None:
        self.clients: list[anyio.abc.SocketStream] = []

    async def handle(self, stream: anyio.abc.SocketStream) -> None:
        self.clients.append(stream)
        try:
            async with stream:
                async for chunk in stream:
                    for other in list(self.clients):
                        if other is not stream:
                            with contextlib.suppress(anyio.BrokenResourceError, OSError):
                                await other.send(chunk)
        except anyio.BrokenResourceError:
            pass  # a client went away
        finally:
            self.clients.remove(stream)


async def _tight(tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc, p = scenario()
    tnc = Tnc()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with nodes(tmp, sc) as (a, b), listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, tnc.handle)
        radio = ("--kiss", f"127.0.0.1:{port}")
        tight = ("--mhz", "864")  # EU868 h1.4: 0.1 %, 3.24 s of air an hour
        url_a = await tg.start(Bridge(bridge_config(a, sc.body, *radio, extra=tight)).run)
        await tg.start(Bridge(bridge_config(b, sc.body, *radio, extra=tight)).run)
        votes = [sc.post(m, kinds.Vote(p, kinds.Choice.FOR)) for m in ("bea", "cruz", "dev", "eli")]
        await post(a, sc.body, *votes)
        async with await anyio.connect_tcp("127.0.0.1", port) as junk:
            await junk.send(kiss.encode(b"\x0fnot a caracol frame"))
            s: dict[str, Any] = {}

            async def refresh() -> None:
                s.update(await status_of(url_a))

            with anyio.fail_after(10):
                while not (s.get("queue", {}).get("by_priority") and s.get("drops")):
                    await refresh()
                    await anyio.sleep(0.1)
        q, budget = s["queue"], s["budget"]
        assert budget["sub_band"] == "h1.4 863.0-865.0" and budget["duty_percent"] == 0.1
        assert budget["allowance_s"] == pytest.approx(3.24)
        assert 0 < budget["remaining_s"] < budget["allowance_s"]
        assert q["frames"] >= 1 and "vote" in q["by_priority"]
        assert q["next_frame_in_s"] > 0  # the budget, not the radio, holds them back
        assert any(d["where"] == "radio" for d in s["drops"]), s["drops"]

        capsys.readouterr()
        assert await anyio.to_thread.run_sync(main, ["mesh", "status", "--bridge", url_a]) == 0
        table = capsys.readouterr().out
        assert "  vote" in table and "next frame in" in table and "radio: " in table, table
        assert "0.1 % duty cycle" in table
        tg.cancel_scope.cancel()


def test_status_shows_budget_queue_and_drops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_tight(tmp_path, capsys))


async def _restart(tmp: Path) -> None:
    sc, p = scenario()
    tnc = Tnc()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with nodes(tmp, sc) as (a, b), listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, tnc.handle)
        radio = ("--kiss", f"127.0.0.1:{port}")
        bridge_a = Bridge(bridge_config(a, sc.body, *radio))
        await tg.start(bridge_a.run)
        await tg.start(Bridge(bridge_config(b, sc.body, *radio)).run)
        node_port = int(a.url.rsplit(":", 1)[1])
        await a.__aexit__(None, None, None)  # the node goes away (power cut)
        await wait_until(lambda: not bridge_a.events_connected, 10)
        while_away = sc.post("cruz", kinds.Vote(p, kinds.Choice.AGAINST))
        await post(b, sc.body, while_away)  # heard by bridge a, which cannot submit it yet
        await wait_until(lambda: bridge_a.counts["heard"] >= 1, 20)
        config = Config(data_dir=tmp / "node0", listen_port=node_port)
        async with NodeRuntime(config) as again:
            await wait_until(lambda: bridge_a.events_connected, 30)
            assert bridge_a.reconnects >= 1
            log_a = again.ingest.bodies[sc.body].log  # type: ignore[union-attr]
            await wait_until(lambda: while_away.id in log_a, 40)
            vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
            await post(again, sc.body, vote)
            log = b.ingest.bodies[sc.body].log  # type: ignore[union-attr]
            await wait_until(lambda: vote.id in log, 20)
        assert any("submitting heard messages" in d.reason for d in bridge_a.drops)
        tg.cancel_scope.cancel()


def test_bridge_follows_its_node_through_a_restart(tmp_path: Path) -> None:
    asyncio.run(_restart(tmp_path))
