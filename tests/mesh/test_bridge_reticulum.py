"""`caracol mesh bridge --reticulum`: two real nodes, each bridged by its own
`caracol mesh bridge` process (one Reticulum instance per process, TCP
interfaces on 127.0.0.1), one listening and one opening the link to the
destination it printed, exchange a vote; the status shows the link UP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio.to_thread
from bridge_world import nodes, post, scenario, status_of, wait_until
from rns_harness import Proc, free_port, processes

from mesh.reticulum import write_config
from protocol import kinds


async def _exchange(tmp: Path) -> None:
    sc, p = scenario(("ana", "bea", "cruz"))
    rns_port = free_port()
    write_config(tmp / "rns-a", listen_port=rns_port)
    write_config(tmp / "rns-b", connect_port=rns_port)
    async with nodes(tmp, sc) as (a, b):
        with processes() as procs:

            def bridge(node_url: str, config: Path, *how: str) -> Proc:
                args = ["-m", "node.cli", "mesh", "bridge", "--node", node_url]
                args += ["--body", sc.body.hex(), "--reticulum", str(config), *how]
                proc = Proc([*args, "--status-port", "0"])
                procs.append(proc)
                return proc

            listening = bridge(a.url, tmp / "rns-a", "--listen")
            line = await anyio.to_thread.run_sync(listening.expect, "reticulum destination", 60)
            destination = line.split()[2].rstrip(":")
            opening = bridge(b.url, tmp / "rns-b", "--peer", destination)
            for proc in (listening, opening):
                line = await anyio.to_thread.run_sync(proc.expect, "bridging body", 90)
            url_b = line.rsplit(" ", 1)[1]
            vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
            await post(a, sc.body, vote)
            log = b.ingest.bodies[sc.body].log  # type: ignore[union-attr]
            await wait_until(lambda: vote.id in log, 60)
            status = await status_of(url_b)
            assert status["radio"]["kind"] == "reticulum"  # type: ignore[index]
            assert status["link"]["state"] == "up"  # type: ignore[index]
            assert status["messages"]["accepted"] >= 1  # type: ignore[index]


def test_two_nodes_exchange_a_vote_over_reticulum(tmp_path: Path) -> None:
    asyncio.run(_exchange(tmp_path))
