"""The member API answers what the process did with each message (taken,
or ignored and why), and its views give people by name, timing, tallies so
far, the text document and amendments as changes, and the actions the
asking member may take now (spec/api.md, "Honest answers" and "Views")."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from crdt.text import TextDocument
from node.config import Config
from node.runtime import NodeRuntime
from protocol.envelope import Envelope
from protocol.kinds import Choice, Name
from protocol.testing import Scenario


async def _post(http: aiohttp.ClientSession, base: str, *envs: Envelope) -> list[dict[str, Any]]:
    r = await http.post(f"{base}/messages", json={"messages": [e.raw.hex() for e in envs]})
    results: list[dict[str, Any]] = (await r.json())["results"]
    return results


async def _get(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as r:
        assert r.status == 200, await r.text()
        return await r.json()


def last(sc: Scenario) -> Envelope:
    return sc.messages[-1]


async def _scenario(tmp: Path) -> None:
    sc = Scenario(["ana", "bea", "cruz"])
    async with NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node:
        body = await node.found_body(sc.messages[0].raw)
        base = f"{node.url}/v0/bodies/{body.hex()}"
        async with aiohttp.ClientSession() as http:

            async def send(env: Envelope) -> dict[str, Any]:
                (result,) = await _post(http, base, env)
                assert result["status"] in ("accepted", "duplicate"), result
                return result

            sc.post("ana", Name(sc.key("ana"), "Ana"))
            assert (await send(last(sc)))["process"] == {"taken": True}
            sc.post("bea", Name(sc.key("cruz"), "Not cruz's choice"))
            answer = (await send(last(sc)))["process"]
            assert answer["taken"] is False and "names only themself" in answer["reason"]

            p = sc.propose("bea", "Fix the well", "Replace the pump now.")
            assert (await send(last(sc)))["process"]["taken"] is True
            sc.vote("cruz", p, Choice.FOR)  # a vote during discussion
            answer = (await send(last(sc)))["process"]
            assert answer == {
                "taken": False,
                "reason": "vote is not taken in stage discussion",
                "subject": p.hex(),
            }
            # a retry of the same bytes is a duplicate with the same answer
            (again,) = await _post(http, base, last(sc))
            assert again["status"] == "duplicate" and again["process"] == answer

            people = (await _get(http, f"{base}/people"))["people"]
            by_key = {x["key"]: x for x in people}
            assert by_key[sc.key("ana").hex()]["name"] == "Ana"
            assert by_key[sc.key("ana").hex()]["name_source"] == "self"
            assert by_key[sc.key("cruz").hex()]["name"] is None

            fac = sc.facilitator(p)
            url = f"{base}/proposals?member={sc.key(fac).hex()}&now={sc.now}"
            (summary,) = (await _get(http, url))["proposals"]
            assert summary["stage"] == "discussion" and summary["stage_number"] == 1
            assert summary["facilitator"]["key"] == sc.key(fac).hex()
            assert summary["author"]["key"] == sc.key("bea").hex()
            # the discussion's 2-day minimum has not passed: no close yet
            assert summary["actions"] == ["comment"]
            assert summary["deadline"] == summary["opened_time"] + 7 * 86400
            later = f"{base}/proposals?member={sc.key(fac).hex()}&now={sc.now + 2 * 86400}"
            (summary,) = (await _get(http, later))["proposals"]
            assert summary["actions"] == ["comment", "close"]
            outsider = Scenario(["zoe"]).key("zoe").hex()
            (summary,) = (await _get(http, f"{base}/proposals?member={outsider}"))["proposals"]
            assert summary["actions"] == []

            sc.comment("ana", p, "Which pump?")
            await send(last(sc))
            sc.close(p)
            await send(last(sc))
            other = next(n for n in ("ana", "bea", "cruz") if n != fac)
            url = f"{base}/proposals?member={sc.key(other).hex()}&now={sc.now}"
            (summary,) = (await _get(http, url))["proposals"]
            assert summary["stage"] == "temperature" and "vote" in summary["actions"]
            for voter, choice in (
                ("ana", Choice.FOR),
                ("bea", Choice.FOR),
                ("cruz", Choice.AGAINST),
            ):
                sc.vote(voter, p, choice)
                assert (await send(last(sc)))["process"]["taken"] is True
            (summary,) = (await _get(http, f"{base}/proposals"))["proposals"]
            assert summary["tally"] == {"for": 2, "against": 1, "abstain": 0, "electorate": 3}
            sc.close(p)
            await send(last(sc))
            url = f"{base}/proposals/{p.hex()}?member={sc.key('cruz').hex()}&now={sc.now}"
            detail = await _get(http, url)
            assert detail["stage"] == "concerns" and "grievance" in detail["actions"]
            url = f"{base}/proposals/{p.hex()}?member={sc.key('ana').hex()}&now={sc.now}"
            assert "grievance" not in (await _get(http, url))["actions"]

            g = sc.grievance("cruz", p, "cost", text="too expensive")
            await send(last(sc))
            sc.close(p)
            await send(last(sc))
            # cruz amends from the document the view serves
            detail = await _get(http, f"{base}/proposals/{p.hex()}?member={sc.key('cruz').hex()}")
            assert detail["stage"] == "minor_round"
            assert {"elect_delegate", "plea", "amend", "agree"} <= set(detail["actions"])
            assert detail["text"] == "Replace the pump now."
            assert detail["document"] == [[p.hex(), 0, "Replace the pump now.", False]]
            doc = TextDocument(p, "Replace the pump now.")
            ops = [*doc.local_delete(17, 4), doc.local_insert(17, "this year.", b"x" * 32)]
            sc.elect("cruz", p, "cost", "cruz")
            await send(last(sc))
            am = sc.amend("cruz", p, "cost", ops, "cheaper")
            assert (await send(last(sc)))["process"]["taken"] is True
            sc.agree("ana", g)
            await send(last(sc))
            for voter in ("ana", "bea", "cruz"):
                sc.amendment_vote(voter, am, Choice.FOR)
                await send(last(sc))
            sc.close(p)
            await send(last(sc))
            detail = await _get(http, f"{base}/proposals/{p.hex()}")
            assert detail["text"] == "Replace the pump this year."
            (amendment,) = detail["amendments"]
            assert amendment["status"] == "adopted"
            assert amendment["changes"] == [
                ["keep", "Replace the pump "],
                ["delete", "now."],
                ["insert", "this year."],
            ]
            (griev,) = detail["grievances"]
            assert griev["category"] == "cost" and griev["delegate"]["key"] == sc.key("cruz").hex()
            assert griev["items"][0]["agree"] == 1
            assert [t["stage"] for t in detail["tallies"]] == ["temperature"]
            assert detail["comments"][0]["text"] == "Which pump?"
            assert detail["comments"][0]["author"]["name"] == "Ana"
            assert any("Ana" in line for line in detail["minutes"])
            runs = "".join(t for _, _, t, deleted in detail["document"] if not deleted)
            assert runs == detail["text"]

            for bad in ("now=abc", "now=1e308", "now=" + "9" * 5000, "member=zz", "member=ck1x"):
                async with http.get(f"{base}/proposals?{bad}") as r:
                    assert r.status == 400, bad
                    assert (await r.json())["error"] == "bad_request"


def test_honest_answers_and_views(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))
