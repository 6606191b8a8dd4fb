"""The issue's example end to end through a real node: nine self-founded
one-member bodies relay passing verdicts with ``POST /v0/proofs``; one
admitted ten-member Community rejects the resolution. The nine are refused
(403, with the reason, and kept), and the Municipality's verdict is the
admitted Community's alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from node.config import Config
from node.runtime import NodeRuntime
from protocol.kinds import BodyKind, Founding
from protocol.rules import ProcessRules
from protocol.testing import Scenario


async def _scenario(tmp: Path) -> None:
    ten = ProcessRules(min_constituent_size=10)  # the admitted Community counts
    muni = Scenario(("mun1", "mun2"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=ten)
    real = Scenario(tuple(f"r{i}" for i in range(10)), name="Barrio", parent=muni.body)
    muni.post("mun1", Founding((real.body,)), parents=(muni.body,))
    res = muni.propose("mun1", "Sell the river", "The river is sold.")
    names = tuple(f"r{i}" for i in range(10))
    real.decide(muni.body, res, yes=names[:3], no=names[3:])
    fakes = [Scenario((f"f{i}",), name=f"Fake {i}", parent=muni.body) for i in range(9)]
    for i, f in enumerate(fakes):
        f.decide(muni.body, res, yes=(f"f{i}",))
    async with NodeRuntime(Config(data_dir=tmp / "m", listen_port=0)) as node:
        await node.found_body(muni.messages[0].raw)
        base = f"{node.url}/v0"
        q = f"higher={muni.body.hex()}&resolution={res.hex()}"
        async with aiohttp.ClientSession() as http:
            r = await http.post(
                f"{base}/bodies/{muni.body.hex()}/messages",
                json={"messages": [m.raw.hex() for m in muni.messages[1:]]},
            )
            assert r.status == 201, await r.text()
            for f in fakes:
                r = await http.post(f"{base}/proofs?{q}", data=f.proof(muni.body, res).encode())
                doc = await r.json()
                assert r.status == 403, doc
                assert doc["error"] == "not_a_constituent" and doc["kept"] is True
                assert "never admitted" in doc["reason"]
            r = await http.post(f"{base}/proofs?{q}", data=real.proof(muni.body, res).encode())
            assert r.status == 201, await r.text()
            r = await http.get(f"{base}/bodies/{muni.body.hex()}/federation/{res.hex()}")
            fed = await r.json()
    assert fed["standing"] == "failed"
    assert (fed["count"]["votes_for"], fed["members"]) == (0, 1)
    assert fed["constituents"] == [real.body.hex()]
    assert sorted(x["body"] for x in fed["refused"]) == sorted(f.body.hex() for f in fakes)
    assert all(x["verdict"]["outcome"] == "passed" for x in fed["refused"])


def test_nine_self_founded_bodies_no_longer_outvote_an_admitted_community(
    tmp_path: Path,
) -> None:
    asyncio.run(_scenario(tmp_path))


async def _one_person(tmp: Path) -> None:
    five = ProcessRules(min_constituent_size=5)
    muni = Scenario(("mun1", "mun2"), body_kind=BodyKind.MUNICIPALITY, name="Valle", rules=five)
    a = Scenario(tuple(f"a{i}" for i in range(5)), name="A", parent=muni.body)
    b = Scenario(tuple(f"b{i}" for i in range(4)), name="B", parent=muni.body)
    m = b.admit("b0", "a0")  # a0, a founder of A, joins B: B has 5 only by counting a0 twice
    b.votes(m, yes=tuple(f"b{i}" for i in range(4)))
    b.close(m)
    muni.post("mun1", Founding(tuple(sorted((a.body, b.body)))), parents=(muni.body,))
    res = muni.propose("mun1", "Rain cisterns", "Every community keeps one.")
    a.decide(muni.body, res, yes=tuple(a.seeds))
    b.decide(muni.body, res, yes=tuple(b.seeds))
    async with NodeRuntime(Config(data_dir=tmp / "m", listen_port=0)) as node:
        await node.found_body(muni.messages[0].raw)
        base = f"{node.url}/v0"
        q = f"higher={muni.body.hex()}&resolution={res.hex()}"
        async with aiohttp.ClientSession() as http:
            r = await http.post(
                f"{base}/bodies/{muni.body.hex()}/messages",
                json={"messages": [x.raw.hex() for x in muni.messages[1:]]},
            )
            assert r.status == 201, await r.text()
            for c in (a, b):
                r = await http.post(f"{base}/proofs?{q}", data=c.proof(muni.body, res).encode())
                assert r.status == 201, await r.text()
            r = await http.get(f"{base}/bodies/{muni.body.hex()}/federation/{res.hex()}")
            fed = await r.json()
    (d,) = fed["duplicates"]
    assert d["key"] == a.key("a0").hex() and d["second"]["body"] == b.body.hex()
    assert "one person in two bodies" in d["reason"]
    (refused,) = fed["refused"]
    assert refused["body"] == b.body.hex() and "counted first in another body" in refused["reason"]
    assert [c["body"] for c in fed["communities"]] == [a.body.hex()]


def test_a_person_in_two_communities_counts_once_in_the_federation_view(
    tmp_path: Path,
) -> None:
    asyncio.run(_one_person(tmp_path))
