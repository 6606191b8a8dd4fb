"""A delegate relays a Community Verdict with its proof to a higher body's
node it is not peered with: over HTTP, or as a file; tampering is refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from node.cli import main
from node.config import Config
from node.runtime import NodeRuntime
from protocol.kinds import BodyKind, Founding, Proposal
from protocol.rules import ProcessRules
from protocol.testing import Scenario


def decided_community() -> tuple[Scenario, Scenario, bytes]:
    three = ProcessRules(min_constituent_size=3)  # a three-member Community counts here
    muni = Scenario(("d1", "d2"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=three)
    resolution = muni.propose("d1", "Cisterns", "Keep one.")
    sc = Scenario(("ana", "bea", "cruz"), name="Norte", parent=muni.body)
    muni.post("d1", Founding((sc.body,)), parents=(muni.body,))  # admitted at the founding
    p = sc.post("ana", Proposal("Cisterns", "Keep one.", "", muni.body, resolution)).id
    sc.close(p)
    sc.votes(p, yes=["ana", "bea", "cruz"])
    sc.close(p)
    sc.close(p)
    return muni, sc, resolution


async def _scenario(tmp: Path) -> None:
    muni, sc, resolution = decided_community()
    async with (
        NodeRuntime(Config(data_dir=tmp / "c", listen_port=0)) as cnode,
        NodeRuntime(Config(data_dir=tmp / "m", listen_port=0)) as mnode,
    ):
        await cnode.found_body(sc.messages[0].raw)
        await mnode.found_body(muni.messages[0].raw)
        async with aiohttp.ClientSession() as http:
            await http.post(
                f"{cnode.url}/v0/bodies/{sc.body.hex()}/messages",
                json={"messages": [m.raw.hex() for m in sc.messages[1:]]},
            )
            await http.post(
                f"{mnode.url}/v0/bodies/{muni.body.hex()}/messages",
                json={"messages": [m.raw.hex() for m in muni.messages[1:]]},
            )
        common = [
            "--body",
            sc.body.hex(),
            "--higher",
            muni.body.hex(),
            "--resolution",
            resolution.hex(),
        ]
        loop = asyncio.get_running_loop()
        # by file: a courier carries it
        rc = await loop.run_in_executor(
            None,
            main,
            ["delegate", "relay", "--from", cnode.url, *common, "--out", str(tmp / "proof.bin")],
        )
        assert rc == 0
        data = (tmp / "proof.bin").read_bytes()
        tampered = bytearray(data)
        tampered[-3] ^= 1
        (tmp / "bad.bin").write_bytes(bytes(tampered))
        deliver = [
            "delegate",
            "deliver",
            "--to",
            mnode.url,
            "--higher",
            muni.body.hex(),
            "--resolution",
            resolution.hex(),
        ]
        assert await loop.run_in_executor(None, main, [*deliver, str(tmp / "bad.bin")]) == 1
        assert await loop.run_in_executor(None, main, [*deliver, str(tmp / "proof.bin")]) == 0
        async with aiohttp.ClientSession() as http:
            r = await http.get(
                f"{mnode.url}/v0/bodies/{muni.body.hex()}/federation/{resolution.hex()}"
            )
            fed = await r.json()
        assert fed["decided"] == 1 and fed["communities"][0]["verdict"]["outcome"] == "passed"
        # and directly over HTTP (idempotent)
        rc = await loop.run_in_executor(
            None, main, ["delegate", "relay", "--from", cnode.url, *common, "--to", mnode.url]
        )
        assert rc == 0
        rc = await loop.run_in_executor(
            None, main, ["delegate", "mandates", "--node", cnode.url, "--body", sc.body.hex()]
        )
        assert rc == 0


def test_delegate_relays_a_verdict_by_file_and_http(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_scenario(tmp_path))
    out = capsys.readouterr()
    assert "delivered" in out.out and "refused" in out.err
