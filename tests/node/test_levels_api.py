"""Every level through the node (issue 13.5): a Region's resolution,
presented by its two Municipalities to their Communities, combines on one
node from the Communities' own logs up through each Municipality to the
Region (spec/federation.md, "Nesting") — the same view a node answers for
a Municipality, one level further."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from node.config import Config
from node.runtime import NodeRuntime
from protocol.kinds import BodyKind, Founding, Proposal
from protocol.rules import ProcessRules
from protocol.testing import Scenario

FIVE = ProcessRules(min_constituent_size=5)
TEXT = "Every Municipality keeps a seed bank."


def community(tag: str, parent: bytes) -> Scenario:
    return Scenario(tuple(f"{tag}{i}" for i in range(5)), name=f"Community {tag}", parent=parent)


async def _levels(tmp: Path, decide_last: bool) -> dict[str, Any]:
    region = Scenario(("r1", "r2"), body_kind=BodyKind.REGION, name="Sierra")
    munis = {
        tag: Scenario(
            (f"{tag}m1", f"{tag}m2"),
            body_kind=BodyKind.MUNICIPALITY,
            name=f"Municipality {tag}",
            parent=region.body,
            rules=FIVE,
        )
        for tag in ("x", "y")
    }
    region.post(
        "r1", Founding(tuple(sorted(m.body for m in munis.values()))), parents=(region.body,)
    )
    res = region.propose("r1", "Seed banks", TEXT)
    bodies = [region]
    for tag, muni in munis.items():
        cs = [community(f"{tag}{n}", muni.body) for n in (1, 2)]
        muni.post(f"{tag}m1", Founding(tuple(sorted(c.body for c in cs))), parents=(muni.body,))
        presenting = muni.post(f"{tag}m1", Proposal("Seed banks", TEXT, "", region.body, res)).id
        for i, c in enumerate(cs):
            if tag == "y" and i == 1 and not decide_last:
                continue  # one Community has not decided yet
            c.decide(muni.body, presenting, yes=tuple(c.seeds), text=TEXT)
        bodies += [muni, *cs]
    async with (
        NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node,
        aiohttp.ClientSession() as http,
    ):
        for sc in bodies:
            await node.found_body(sc.messages[0].raw)
            if len(sc.messages) == 1:
                continue
            r = await http.post(
                f"{node.url}/v0/bodies/{sc.body.hex()}/messages",
                json={"messages": [m.raw.hex() for m in sc.messages[1:]]},
            )
            assert r.status == 201, await r.text()
        r = await http.get(f"{node.url}/v0/bodies/{region.body.hex()}/federation/{res.hex()}")
        assert r.status == 200, await r.text()
        doc: dict[str, Any] = await r.json()
    doc["_munis"] = {tag: m.body.hex() for tag, m in munis.items()}
    return doc


def test_a_region_combines_its_municipalities_from_their_communities(tmp_path: Path) -> None:
    fed = asyncio.run(_levels(tmp_path, decide_last=True))
    assert fed["standing"] == "passed" and fed["members"] == 2
    got = {c["body"]: c for c in fed["communities"]}
    assert set(got) == set(fed["_munis"].values())
    for c in got.values():
        assert c["kind"] == "municipality"
        assert c["verdict"]["outcome"] == "passed"
        assert (c["verdict"]["votes_for"], c["verdict"]["electorate"]) == (2, 2)


def test_a_municipality_still_deciding_leaves_the_region_pending(tmp_path: Path) -> None:
    fed = asyncio.run(_levels(tmp_path, decide_last=False))
    assert fed["standing"] == "pending" and fed["decided"] == 1
    (undecided,) = [c for c in fed["communities"] if c["verdict"] is None]
    assert undecided["body"] == fed["_munis"]["y"]


async def _relay(tmp: Path, capsys: Any) -> tuple[dict[str, Any], str]:
    from node.cli import main

    region = Scenario(("r1", "r2"), body_kind=BodyKind.REGION, name="Sierra")
    muni = Scenario(
        ("m1", "m2"),
        body_kind=BodyKind.MUNICIPALITY,
        name="Valle",
        parent=region.body,
        rules=FIVE,
    )
    region.post("r1", Founding((muni.body,)), parents=(region.body,))
    res = region.propose("r1", "Seed banks", TEXT)
    cs = [community(f"c{n}", muni.body) for n in (1, 2)]
    muni.post("m1", Founding(tuple(sorted(c.body for c in cs))), parents=(muni.body,))
    presenting = muni.post("m1", Proposal("Seed banks", TEXT, "", region.body, res)).id
    for c in cs:
        c.decide(muni.body, presenting, yes=tuple(c.seeds), text=TEXT)
    async with (
        NodeRuntime(Config(data_dir=tmp / "valle", listen_port=0)) as valle,
        NodeRuntime(Config(data_dir=tmp / "sierra", listen_port=0)) as sierra,
        aiohttp.ClientSession() as http,
    ):
        # the Municipality's node holds it and its Communities; the Region's
        # node holds only the Region: no gossip between them
        for node, held in ((valle, [muni, *cs]), (sierra, [region])):
            for sc in held:
                await node.found_body(sc.messages[0].raw)
                r = await http.post(
                    f"{node.url}/v0/bodies/{sc.body.hex()}/messages",
                    json={"messages": [m.raw.hex() for m in sc.messages[1:]]},
                )
                assert r.status == 201, await r.text()
        url = f"{sierra.url}/v0/bodies/{region.body.hex()}/federation/{res.hex()}"
        async with http.get(url) as r:
            before = await r.json()
        assert before["standing"] == "pending" and before["decided"] == 0
        # a forged bundle is refused with the reason
        q = f"higher={region.body.hex()}&resolution={res.hex()}"
        async with http.post(f"{sierra.url}/v0/proofs?{q}", data=b"\x93\x01\x90\x90") as r:
            assert r.status == 422 and "level bundle" in (await r.json())["reason"]
        relay = [
            "delegate", "relay", "--from", valle.url, "--body", muni.body.hex(),
            "--higher", region.body.hex(), "--resolution", res.hex(), "--to", sierra.url,
        ]  # fmt: skip
        assert await asyncio.to_thread(main, relay) == 0
        out = capsys.readouterr().out
        async with http.get(url) as r:
            after: dict[str, Any] = await r.json()
    return after, out


def test_a_delegate_relays_a_municipality_verdict_to_the_region(
    tmp_path: Path, capsys: Any
) -> None:
    fed, out = asyncio.run(_relay(tmp_path, capsys))
    assert "delivered" in out and "passed" in out
    assert fed["standing"] == "passed" and fed["decided"] == 1
    (c,) = fed["communities"]
    assert c["kind"] == "municipality" and c["verdict"]["outcome"] == "passed"
