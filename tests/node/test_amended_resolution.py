"""A Municipality resolution amended by one Community and decided on the
amended text, through a real node (spec/federation.md, "Bound to the text"
and "The amendment loop at the higher level"): the amending Community's
verdict goes up as an amendment proposal with its text; the Municipality's
members carry it into their own grievance round; the other Community
decides the resolution again on the text now in force; only verdicts on
that text count FOR."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from crdt.text import TextDocument
from node.config import Config
from node.runtime import NodeRuntime
from protocol.kinds import BodyKind, Choice, Founding, Proposal
from protocol.rules import ProcessRules
from protocol.testing import Scenario
from protocol.verdict import community_verdict

TEXT = "Every community keeps a cistern."
MORE = " Pumps are shared."
TEN = tuple(f"m{i}" for i in range(10))


def amending(muni: Scenario, res: bytes) -> Scenario:
    """Ten members: 8/2 at the first check, a cost grievance, an adopted
    friendly amendment, then all ten for the amended text."""
    sc = Scenario(TEN, name="Amenders", parent=muni.body)
    p = sc.post("m0", Proposal("Cisterns", TEXT, "", muni.body, res)).id
    sc.close(p)
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    sc.grievance("m8", p, "cost")
    sc.close(p)
    op = TextDocument(p, TEXT).prepare_insert(len(TEXT), MORE).op
    am = sc.amend("m8", p, "cost", [op], "share pumps")
    for n in TEN[:6]:
        sc.amendment_vote(n, am, Choice.FOR)
    sc.close(p)
    sc.votes(p, yes=TEN)
    sc.close(p)
    sc.close(p)
    return sc


def carry_amendment(muni: Scenario, res: bytes) -> None:
    """The Municipality's delegates run their own resolution to a grievance
    round and adopt the Community's amendment into its text."""
    muni.close(res)
    muni.votes(res, yes=("mun1",), no=("mun2",))
    muni.close(res)
    muni.grievance("mun2", res, "from the Amenders")
    muni.close(res)
    op = TextDocument(res, TEXT).prepare_insert(len(TEXT), MORE).op
    am = muni.amend("mun2", res, "from the Amenders", [op], "the Amenders' text")
    for n in ("mun1", "mun2"):
        muni.amendment_vote(n, am, Choice.FOR)
    muni.close(res)


async def _run(tmp: Path) -> dict[str, Any]:
    muni = Scenario(
        ("mun1", "mun2"),
        body_kind=BodyKind.MUNICIPALITY,
        name="Valle",
        rules=ProcessRules(min_constituent_size=10),
    )
    res = muni.propose("mun1", "Cisterns", TEXT)
    a = amending(muni, res)
    b = Scenario(tuple(f"b{i}" for i in range(10)), name="Barrio", parent=muni.body)
    muni.post("mun1", Founding(tuple(sorted((a.body, b.body)))), parents=(muni.body,))
    b.decide(muni.body, res, yes=tuple(b.seeds), text=TEXT)
    out: dict[str, Any] = {}
    async with (
        NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node,
        aiohttp.ClientSession() as http,
    ):
        sent: dict[bytes, int] = {}

        async def push(sc: Scenario) -> None:
            if sc.body not in sent:
                await node.found_body(sc.messages[0].raw)
                sent[sc.body] = 1
            new = sc.messages[sent[sc.body] :]
            if new:
                r = await http.post(
                    f"{node.url}/v0/bodies/{sc.body.hex()}/messages",
                    json={"messages": [m.raw.hex() for m in new]},
                )
                assert r.status == 201, await r.text()
            sent[sc.body] = len(sc.messages)

        async def view() -> Any:
            url = f"{node.url}/v0/bodies/{muni.body.hex()}/federation/{res.hex()}"
            async with http.get(url) as r:
                assert r.status == 200, await r.text()
                return await r.json()

        for sc in (muni, a, b):
            await push(sc)
        out["before"] = await view()
        carry_amendment(muni, res)
        await push(muni)
        out["carried"] = await view()
        # the Barrio decides again, on the text now in force
        b.decide(muni.body, res, yes=tuple(b.seeds), text=TEXT + MORE)
        await push(b)
        out["after"] = await view()
        out["barrio_proposals"] = sum(
            1
            for s in b.assembly().subjects.values()
            if isinstance(s.payload, Proposal) and s.payload.origin_proposal == res
        )
        v = community_verdict(b.assembly(), muni.body, res)
        assert v is not None
        first = b.assembly().proposals()[0]
        out["barrio_counts"] = v.proposal != first  # the newer decision counts
    return out


def test_a_resolution_amended_by_one_community_is_decided_on_the_amended_text(
    tmp_path: Path,
) -> None:
    out = asyncio.run(_run(tmp_path))
    before = out["before"]
    assert before["count"]["votes_for"] == 1 and before["standing"] != "passed"
    (am,) = before["amendments"]
    assert am["amended_text"] == TEXT + MORE
    carried = out["carried"]
    # the resolution's text is now the Amenders': their verdict counts FOR,
    # the Barrio's earlier verdict (on the old text) no longer does
    assert carried["count"]["votes_for"] == 1 and carried["amendments"][0]["amended_text"] == TEXT
    assert out["barrio_proposals"] == 2 and out["barrio_counts"]
    after = out["after"]
    assert after["standing"] == "passed" and after["count"]["votes_for"] == 2
    assert after["amendments"] == []
