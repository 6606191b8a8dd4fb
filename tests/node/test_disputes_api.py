"""A dispute between two Municipalities, escalated to and determined by their
Region, on three real nodes (issue 13.6; spec/federation.md, "Disputes").

Valle's node holds Valle, Loma's node holds Loma, Sierra's node holds the
Region; none is peered. Valle's members raise the dispute with ``caracol
dispute raise`` and carry it by their own process; Loma takes it up with
``caracol dispute respond``; each elects a delegate who records, with
``caracol dispute mediate``, that mediation left it unresolved. The
delegates relay their logs to Sierra's node (``caracol dispute relay``),
a Region member moves the determination (``caracol dispute escalate``) and
the Region's process carries it: the dispute is determined, and every step
shows in its minutes. Votes and closes are signed by the members' keys
(``protocol.testing``) and submitted through the same API.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from node import keyfile
from node.cli import main
from node.config import Config
from node.runtime import NodeRuntime
from protocol.envelope import open_untrusted
from protocol.keys import key_to_text
from protocol.rules import ProcessRules
from protocol.testing import Scenario
from tests.process.test_disputes import GEN

PASS = "correct horse battery staple"
QUICK = ProcessRules(min_duration=dict.fromkeys(ProcessRules().min_duration, 0))


class Net:
    """Three nodes, the scenarios whose bodies they hold, and what has been
    submitted of each scenario's messages."""

    def __init__(self, http: aiohttp.ClientSession, tmp: Path) -> None:
        self.http = http
        self.tmp = tmp
        self.node: dict[bytes, str] = {}
        self.sent: dict[bytes, int] = {}

    async def host(self, url: str, sc: Scenario, runtime: NodeRuntime) -> None:
        await runtime.found_body(sc.messages[0].raw)
        self.node[sc.body] = url
        self.sent[sc.body] = 1
        for name, seed in sc.seeds.items():
            keyfile.write(self.tmp / f"{name}.key", seed, PASS)

    async def sync(self, sc: Scenario) -> None:
        """Submit the scenario's new messages to its body's node."""
        new = sc.messages[self.sent[sc.body] :]
        if not new:
            return
        r = await self.http.post(
            f"{self.node[sc.body]}/v0/bodies/{sc.body.hex()}/messages",
            json={"messages": [m.raw.hex() for m in new]},
        )
        assert r.status == 201, await r.text()
        doc = await r.json()
        assert all(x["process"]["taken"] for x in doc["results"]), doc
        self.sent[sc.body] = len(sc.messages)

    async def pull(self, sc: Scenario, name: str) -> bytes:
        """Take into the scenario what a member signed with the command line
        (so the kit's sequence numbers stay one past theirs); the last id."""
        async with self.http.get(
            f"{self.node[sc.body]}/v0/bodies/{sc.body.hex()}/messages?limit=100000"
        ) as r:
            doc = await r.json()
        last = b""
        for raw in doc["messages"]:
            env = open_untrusted(bytes.fromhex(raw), sc.body if sc.messages else None)
            if env.id not in sc.log:
                sc._add(env)
                assert env.author == sc.key(name)
                sc.seq[name] = max(sc.seq.get(name, 0), env.seq)
                last = env.id
        self.sent[sc.body] = len(sc.messages)
        assert last, "the command signed nothing"
        return last

    async def dispute(self, sc: Scenario, d: bytes, via: bytes | None = None) -> Any:
        body = via or sc.body
        url = self.node[body]
        async with self.http.get(f"{url}/v0/bodies/{body.hex()}/disputes/{d.hex()}") as r:
            assert r.status == 200, await r.text()
            return await r.json()


async def cli(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def _flow(tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = GEN.World(rules=QUICK, now=int(time.time()))
    x, y, region = w.x, w.y, w.region
    async with (
        NodeRuntime(Config(data_dir=tmp / "valle", listen_port=0)) as valle,
        NodeRuntime(Config(data_dir=tmp / "loma", listen_port=0)) as loma,
        NodeRuntime(Config(data_dir=tmp / "sierra", listen_port=0)) as sierra,
        aiohttp.ClientSession() as http,
    ):
        net = Net(http, tmp)
        for url, sc, rt in (
            (valle.url, x, valle),
            (loma.url, y, loma),
            (sierra.url, region, sierra),
        ):
            await net.host(url, sc, rt)
            await net.sync(sc)  # Sierra's FOUNDING names Valle and Loma

        def key(name: str) -> str:
            return str(tmp / f"{name}.key")

        # Valle raises the dispute and carries it by its own process
        rc = await cli(
            "dispute", "raise", "--keystore", key("x1"), "--node", valle.url,
            "--body", x.body.hex(), "--respondent", y.body.hex(), "--matter", GEN.MATTER,
        )  # fmt: skip
        assert rc == 0
        d = await net.pull(x, "x1")
        assert (await net.dispute(x, d))["status"] == "proposed"
        x.carry(d, yes=w.everyone(x))
        await net.sync(x)
        doc = await net.dispute(x, d)
        assert doc["status"] == "raised" and doc["stage"] == "carried"
        assert any("respondent's log is not held here" in n for n in doc["notes"])

        # members comment on it and nominate its mediation delegate with
        # the member command line, and elect them; Loma takes it up
        rc = await cli(
            "member", "comment", "--keystore", key("x3"), "--node", valle.url,
            "--body", x.body.hex(), "--proposal", d.hex()[:12], "--text", "Talk to them first.",
        )  # fmt: skip
        assert rc == 0
        await net.pull(x, "x3")
        rc = await cli(
            "member", "mandate", "--keystore", key("x1"), "--node", valle.url,
            "--body", x.body.hex(), "--resolution", d.hex()[:12],
            "--delegate", key_to_text(x.key("x2")), "--scope", "mediate with Loma",
            "--expires", "+30d",
        )  # fmt: skip
        assert rc == 0
        xm = await net.pull(x, "x1")
        x.votes(xm, yes=w.everyone(x))
        x.close(xm)
        await net.sync(x)
        rc = await cli(
            "dispute", "respond", "--keystore", key("y1"), "--node", loma.url,
            "--body", y.body.hex(), "--dispute", d.hex(), "--claimant", x.body.hex(),
            "--position", "The dam feeds our mills.",
        )  # fmt: skip
        assert rc == 0
        response = await net.pull(y, "y1")
        y.carry(response, yes=w.everyone(y))
        w.delegate(y, response)
        await net.sync(y)

        # a member without a mandate is refused in one line naming why
        capsys.readouterr()
        rc = await cli(
            "dispute", "mediate", "--keystore", key("x3"), "--node", valle.url,
            "--body", x.body.hex(), "--dispute", d.hex(), "--unresolved",
        )  # fmt: skip
        err = capsys.readouterr().err.strip()
        assert rc == 1 and "you hold no mandate in force for this dispute" in err
        assert len(err.splitlines()) == 1

        # the delegates record that mediation left it unresolved
        for sc, url, delegate in ((x, valle.url, "x2"), (y, loma.url, "y2")):
            rc = await cli(
                "dispute", "mediate", "--keystore", key(delegate), "--node", url,
                "--body", sc.body.hex(), "--dispute", d.hex(), "--unresolved",
            )  # fmt: skip
            assert rc == 0
            await net.pull(sc, delegate)
        doc = await net.dispute(x, d)
        assert doc["status"] == "unresolved"
        (mine,) = doc["positions"]
        assert mine["latest"]["outcome"] == "unresolved" and mine["latest"]["mandate"] == xm.hex()

        # Valle cannot determine its own dispute: escalation is the Region's
        rc = await cli(
            "dispute", "escalate", "--keystore", key("x1"), "--node", valle.url,
            "--body", x.body.hex(), "--dispute", d.hex(), "--text", GEN.DETERMINATION,
        )  # fmt: skip
        assert rc == 1 and "not the parties' higher body" in capsys.readouterr().err

        # the Region's node knows nothing of it until the delegates relay
        async with http.get(f"{sierra.url}/v0/bodies/{region.body.hex()}/disputes") as r:
            assert (await r.json()) == {"disputes": []}
        async with http.post(f"{sierra.url}/v0/disputes", data=b"\x92\x02\x90") as r:
            assert r.status == 422 and (await r.json())["error"] == "bad_bundle"
        async with http.get(f"{valle.url}/v0/disputes/{d.hex()}/bundle") as r:
            bundle = await r.read()
        async with http.post(f"{loma.url}/v0/disputes", data=bundle) as r:
            assert r.status == 404 and (await r.json())["error"] == "unknown_body"
        capsys.readouterr()
        for url in (valle.url, loma.url):
            rc = await cli(
                "dispute", "relay", "--from", url, "--dispute", d.hex(), "--to", sierra.url
            )
            assert rc == 0
        assert "the dispute is unresolved" in capsys.readouterr().out
        doc = await net.dispute(region, d)
        assert doc["status"] == "unresolved" and not doc["ignored"]
        assert [p["party"] for p in doc["positions"]] == [x.body.hex(), y.body.hex()]
        assert doc["response"] == response.hex()
        assert doc["higher"] == {"body": region.body.hex(), "name": "Sierra"}

        # the Region determines it by its own process
        rc = await cli(
            "dispute", "escalate", "--keystore", key("r1"), "--node", sierra.url,
            "--body", region.body.hex(), "--dispute", d.hex(), "--text", GEN.DETERMINATION,
        )  # fmt: skip
        assert rc == 0
        e = await net.pull(region, "r1")
        assert (await net.dispute(region, d))["status"] == "escalated"
        region.carry(e, yes=w.everyone(region))
        await net.sync(region)
        doc = await net.dispute(region, d)
        assert doc["status"] == "determined"
        assert doc["determination"]["escalation"] == e.hex()
        assert doc["determination"]["text"] == GEN.DETERMINATION
        assert doc["escalations"] == [{"id": e.hex(), "stage": "carried"}]

        # every step is in the minutes
        capsys.readouterr()
        rc = await cli(
            "dispute", "show", d.hex(), "--node", sierra.url, "--body", region.body.hex()
        )
        shown = capsys.readouterr().out
        assert rc == 0 and shown.strip() == "\n".join(doc["minutes"])
        assert "Valle with Loma" in shown and GEN.MATTER in shown
        assert shown.count(": unresolved") == 2 and "status: **determined**" in shown
        assert "determined by Sierra" in shown and GEN.DETERMINATION in shown
        async with http.get(f"{sierra.url}/v0/bodies/{region.body.hex()}/proposals/{e.hex()}") as r:
            esc = await r.json()
        assert esc["kind"] == "escalation" and esc["stage"] == "carried"
        assert any(GEN.DETERMINATION in line for line in esc["minutes"])
        # the unknown dispute answers 404 naming it
        async with http.get(
            f"{sierra.url}/v0/bodies/{region.body.hex()}/disputes/{'00' * 32}"
        ) as r:
            assert r.status == 404 and (await r.json())["error"] == "unknown_dispute"


def test_a_region_determines_a_dispute_its_municipalities_could_not_settle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARACOL_PASSPHRASE", PASS)
    asyncio.run(_flow(tmp_path, capsys))
