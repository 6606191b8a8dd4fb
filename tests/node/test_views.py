"""Process views over HTTP: a proposal's stage, tallies, minutes, verdict,
as the assembly fold derives them from the node's log."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from node.config import Config
from node.runtime import NodeRuntime
from protocol.kinds import Choice
from protocol.testing import Scenario


async def _views(tmp: Path) -> None:
    sc = Scenario()
    p = sc.propose("ana")
    sc.comment("bea", p, "good idea")
    sc.close(p)
    sc.votes(p, yes=["ana", "bea", "cruz", "dev", "eli"])
    sc.close(p)
    sc.close(p)
    msgs = [sc.log.get(m) for m in sc.log.order()]
    async with NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node:
        body = await node.found_body(msgs[0].raw)
        base = f"{node.url}/v0/bodies/{body.hex()}"
        async with aiohttp.ClientSession() as http:
            r = await http.post(
                f"{base}/messages", json={"messages": [m.raw.hex() for m in msgs[1:]]}
            )
            assert all(x["status"] == "accepted" for x in (await r.json())["results"])
            (prop,) = (await (await http.get(f"{base}/proposals")).json())["proposals"]
            assert prop["id"] == p.hex() and prop["stage"] == "carried"
            assert prop["verdict"]["outcome"] == "passed"
            detail = await (await http.get(f"{base}/proposals/{p.hex()}")).json()
            assert detail["stage"] == "carried" and detail["minutes"]
            assert any("good idea" in line for line in detail["minutes"])
            roster = (await (await http.get(f"{base}/roster")).json())["members"]
            assert sc.key("ana").hex() in roster.values() or sc.key("ana").hex() in roster
            assert (await http.get(f"{base}/proposals/{'00' * 32}")).status == 404
            for view in ("mandates", "verdicts", "evidence"):
                assert (await http.get(f"{base}/{view}")).status == 200
    _ = Choice


def test_process_views(tmp_path: Path) -> None:
    asyncio.run(_views(tmp_path))
