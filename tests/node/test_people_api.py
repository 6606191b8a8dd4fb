"""The people's constitution through real nodes and the command line
(spec/constitution.md, spec/api.md "The people's constitution"): anyone
proposes an initiative in the Collective's log; three Regions present it
down to six Communities, which decide its exact text; the node verifies
the ratification from the logs it holds; a Community's node refuses to run
a decision under the superseded version until a member adopts the new one;
a second node checks the ratification record and applies it too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from node import keyfile
from node.cli import main
from node.config import Config
from node.runtime import NodeRuntime
from protocol import canonical, envelope
from protocol.federal import FOUNDING, amended, initiative_text
from protocol.kinds import BodyKind, ConstitutionInitiative, Founding, Proposal
from protocol.rules import ProcessRules
from protocol.testing import Scenario, seed_of

FIVE = ProcessRules(min_constituent_size=5)
PASS = "correct horse battery staple"
ARTICLE = "Rivers, forests and soil are held in common."


def federation() -> tuple[Scenario, list[Scenario], list[Scenario], list[list[Scenario]]]:
    top = Scenario(("c1", "c2", "c3"), body_kind=BodyKind.COLLECTIVE, name="Collective")
    regions = [
        Scenario((f"r{r}a", f"r{r}b"), body_kind=BodyKind.REGION, name=f"R{r}", parent=top.body)
        for r in range(3)
    ]
    top.post("c1", Founding(tuple(sorted(r.body for r in regions))), parents=(top.body,))
    munis, towns = [], []
    for r, region in enumerate(regions):
        muni = Scenario(
            (f"m{r}a", f"m{r}b"),
            body_kind=BodyKind.MUNICIPALITY,
            name=f"M{r}",
            parent=region.body,
            rules=FIVE,
        )
        region.post(f"r{r}a", Founding((muni.body,)), parents=(region.body,))
        cs = [
            Scenario(tuple(f"t{r}{i}{n}" for n in range(5)), name=f"T{r}{i}", parent=muni.body)
            for i in range(2)
        ]
        muni.post(f"m{r}a", Founding(tuple(sorted(c.body for c in cs))), parents=(muni.body,))
        munis.append(muni)
        towns.append(cs)
    return top, regions, munis, towns


async def _post_all(
    http: aiohttp.ClientSession, url: str, sc: Scenario, sent: dict[bytes, int]
) -> None:
    done = sent.get(sc.body, 0)
    if done == 0:
        async with http.post(f"{url}/v0/bodies", data=sc.messages[0].raw) as r:
            assert r.status in (200, 201), await r.text()
        done = 1
    if len(sc.messages) > done:
        async with http.post(
            f"{url}/v0/bodies/{sc.body.hex()}/messages",
            json={"messages": [m.raw.hex() for m in sc.messages[done:]]},
        ) as r:
            assert r.status == 201, await r.text()
    sent[sc.body] = len(sc.messages)


async def _get(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def _scenario(tmp: Path, capsys: Any) -> dict[str, Any]:
    top, regions, munis, towns = federation()
    every = [top, *regions, *munis, *[c for cs in towns for c in cs]]
    stranger = tmp / "stranger.key"
    keyfile.write(stranger, seed_of("a stranger"), PASS)
    keyfile.write(tmp / "c1.key", seed_of("c1"), PASS)
    keyfile.write(tmp / "t000.key", seed_of("t000"), PASS)
    out: dict[str, Any] = {}

    async def cli(*args: str) -> tuple[int, str, str]:
        rc = await asyncio.to_thread(main, list(args))
        got = capsys.readouterr()
        return rc, got.out.strip(), got.err.strip()

    async with (
        NodeRuntime(Config(data_dir=tmp / "a", listen_port=0)) as a,
        NodeRuntime(Config(data_dir=tmp / "b", listen_port=0)) as b,
        aiohttp.ClientSession() as http,
    ):
        sent: dict[bytes, int] = {}
        for sc in every:
            await _post_all(http, a.url, sc, sent)
        c = top.body.hex()
        # anyone proposes: a key that is a member of no body
        rc, iid, err = await cli(
            "member", "initiative", "--keystore", str(stranger), "--node", a.url, "--body", c,
            "--article", "8", "Care of the commons", ARTICLE,
            "--param", "min_constituent_size=4", "--rationale", "the commons", "-q",
        )  # fmt: skip
        assert rc == 0, err
        out["refused_member_action"] = await cli(
            "member", "initiative", "--keystore", str(stranger), "--node", a.url, "--body", c,
            "--param", "quorum=1/3",
        )  # fmt: skip
        doc = await _get(http, f"{a.url}/v0/bodies/{c}/messages/{iid}")
        init = envelope.decode_untrusted(bytes.fromhex(doc["message"]), top.body)
        assert isinstance(init.payload, ConstitutionInitiative)
        text = initiative_text(init.payload)
        # presented down every level; R0 and R1's Communities pass it, R2's refuse
        for r, region in enumerate(regions):
            rp = region.post(f"r{r}a", Proposal("The commons", text, "", top.body, init.id)).id
            mp = munis[r].post(f"m{r}a", Proposal("The commons", text, "", region.body, rp)).id
            for town in towns[r]:
                names = tuple(town.seeds)
                yes, no = (names, ()) if r < 2 else ((), names)
                town.decide(munis[r].body, mp, yes=yes, no=no, title="The commons", text=text)
        for sc in every[1:]:
            await _post_all(http, a.url, sc, sent)
        people = await _get(http, f"{a.url}/v0/bodies/{c}/constitution/people")
        out["before"] = people
        # a member of the Collective records the ratification
        rc, rid, err = await cli(
            "member", "ratify", "--keystore", str(tmp / "c1.key"), "--node", a.url,
            "--body", c, "--initiative", iid[:12], "-q",
        )  # fmt: skip
        assert rc == 0, err
        out["after"] = await _get(http, f"{a.url}/v0/bodies/{c}/constitution/people")
        town = towns[0][0]
        t = town.body.hex()
        out["town_before"] = await _get(http, f"{a.url}/v0/bodies/{t}/constitution/people")
        # no decision under the superseded version
        p = town.post("t001", Proposal("Benches", "Two benches.", "", None, None))
        async with http.post(
            f"{a.url}/v0/bodies/{t}/messages",
            data=p.raw,
            headers={"Content-Type": "application/octet-stream"},
        ) as r:
            out["superseded"] = (r.status, await r.json())
        rc, adopted, err = await cli(
            "member", "adopt", "--keystore", str(tmp / "t000.key"), "--node", a.url,
            "--body", t, "--json",
        )  # fmt: skip
        assert rc == 0, err
        # the proposal signed before the adoption still runs under version 1
        async with http.post(
            f"{a.url}/v0/bodies/{t}/messages",
            data=p.raw,
            headers={"Content-Type": "application/octet-stream"},
        ) as r:
            out["stale"] = r.status
        doc = await _get(http, f"{a.url}/v0/bodies/{t}/messages/{json.loads(adopted)['id']}")
        adoption = envelope.decode_untrusted(bytes.fromhex(doc["message"]), town.body)
        town._add(adoption)
        fresh = town.post(
            "t001", Proposal("Benches", "Two benches.", "", None, None), parents=(adoption.id,)
        )
        async with http.post(
            f"{a.url}/v0/bodies/{t}/messages",
            data=fresh.raw,
            headers={"Content-Type": "application/octet-stream"},
        ) as r:
            out["after_adoption"] = r.status
        out["town_after"] = await _get(http, f"{a.url}/v0/bodies/{t}/constitution/people")
        out["town_rules"] = await _get(http, f"{a.url}/v0/bodies/{t}/constitution")
        # the record: a second node checks it and applies the version too
        async with http.get(f"{a.url}/v0/ratifications/{rid}") as r:
            assert r.status == 200
            record = await r.read()
        async with http.post(f"{b.url}/v0/ratifications", data=b"\x92\x02\x90") as r:
            out["bad_record"] = (r.status, await r.json())
        only_top = [[m.raw for m in top.messages]]
        async with http.post(
            f"{b.url}/v0/ratifications", data=canonical.encode((2, only_top))
        ) as r:
            out["unproven"] = (r.status, await r.json())
        async with http.post(f"{b.url}/v0/ratifications", data=record) as r:
            out["imported"] = (r.status, await r.json())
        out["b_town"] = await _get(http, f"{b.url}/v0/bodies/{t}/constitution/people")
        out["b_other"] = await _get(
            http, f"{b.url}/v0/bodies/{towns[1][0].body.hex()}/constitution/people"
        )
        async with http.get(f"{a.url}/v0/ratifications/{'00' * 32}") as r:
            out["unknown"] = r.status
        out["expected"] = amended(FOUNDING, init.payload).digest().hex()
        out["rid"] = rid
    return out


def test_the_people_ratify_and_every_node_applies(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARACOL_PASSPHRASE", PASS)
    out = asyncio.run(_scenario(tmp_path, capsys))
    rc, _, err = out["refused_member_action"]
    assert rc == 1 and "each body's own procedure" in err
    (before,) = out["before"]["initiatives"]
    assert before["standing"] == "ratified" and (before["for"], before["counting"]) == (2, 3)
    assert before["ratification"] is None and out["before"]["version"] == 1
    (after,) = out["after"]["initiatives"]
    assert after["verified"] and after["ratification"] == out["rid"]
    assert out["after"]["version"] == 2 and out["after"]["constitution"] == out["expected"]
    assert any(a["number"] == 8 for a in out["after"]["articles"])
    assert out["town_before"]["version"] == 1 and out["town_before"]["latest"]["version"] == 2
    status, doc = out["superseded"]
    assert status == 409 and doc["error"] == "superseded_constitution"
    assert "superseded by version 2" in doc["reason"] and "adopt" in doc["reason"]
    assert out["stale"] == 409 and out["after_adoption"] == 201
    assert out["town_after"]["version"] == 2 and out["town_after"]["superseded"] is None
    rules = {p["name"]: p["value"] for p in out["town_rules"]["parameters"]}
    assert rules["min_constituent_size"] == "4"
    status, doc = out["bad_record"]
    assert status == 422 and doc["error"] == "bad_record"
    status, doc = out["unproven"]
    assert status == 422 and doc["error"] == "not_ratified" and "no ratification" in doc["reason"]
    status, doc = out["imported"]
    assert status == 201 and doc["ratified"][0]["version"] == 2
    assert out["b_town"]["version"] == 2  # its adoption came with the record
    assert out["b_other"]["version"] == 1 and "superseded" in out["b_other"]["superseded"]
    assert out["unknown"] == 404
