"""A Municipality resolution that names its pertinent constituents is
decided by them only (spec/federation.md, "Pertinent constituents"): the
federation view counts two of three Communities and refuses the third's
verdict with the reason."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from node.config import Config
from node.runtime import NodeRuntime
from protocol.kinds import BodyKind, Founding, Pertinent
from protocol.rules import ProcessRules
from protocol.testing import Scenario

TEXT = "The river banks are cleaned by the two Communities along them."


async def _run(tmp: Path) -> dict[str, Any]:
    muni = Scenario(
        ("mun1", "mun2"),
        body_kind=BodyKind.MUNICIPALITY,
        name="Valle",
        rules=ProcessRules(min_constituent_size=5),
    )
    towns = [
        Scenario(tuple(f"{t}{i}" for i in range(5)), name=t, parent=muni.body)
        for t in ("upper", "lower", "hill")
    ]
    muni.post("mun1", Founding(tuple(sorted(t.body for t in towns))), parents=(muni.body,))
    res = muni.propose("mun1", "River banks", TEXT)
    muni.post("mun1", Pertinent(res, tuple(sorted(t.body for t in towns[:2]))))
    for t in towns:
        t.decide(muni.body, res, yes=tuple(t.seeds), text=TEXT)
    async with (
        NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node,
        aiohttp.ClientSession() as http,
    ):
        for sc in (muni, *towns):
            await node.found_body(sc.messages[0].raw)
            r = await http.post(
                f"{node.url}/v0/bodies/{sc.body.hex()}/messages",
                json={"messages": [m.raw.hex() for m in sc.messages[1:]]},
            )
            assert r.status == 201, await r.text()
        url = f"{node.url}/v0/bodies/{muni.body.hex()}/federation/{res.hex()}"
        async with http.get(url) as r:
            doc: dict[str, Any] = await r.json()
    doc["_hill"] = towns[2].body.hex()
    return doc


def test_only_the_pertinent_constituents_decide(tmp_path: Path) -> None:
    fed = asyncio.run(_run(tmp_path))
    assert fed["standing"] == "passed" and fed["members"] == 2
    assert fed["count"]["votes_for"] == 2
    (hill,) = fed["refused"]
    assert hill["body"] == fed["_hill"] and "not a pertinent constituent" in hill["reason"]
