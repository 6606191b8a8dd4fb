"""The federation the whole-federation test drives, and the means to drive it.

A Collective of two Regions, each of two Municipalities, each of three
Communities of five people (twelve Communities), built with
``protocol.testing.Scenario`` (members' keys are derived from their names)
and hosted on three real ``NodeRuntime`` nodes: the Collective's node, and
one node per Region holding the Region, its Municipalities and their
Communities. ``Net`` submits each scenario's new messages to its body's
node through the member API and takes into a scenario what a member signed
with the command line, so both sign one consistent log.

Municipality M00 also has a founding constituent too small to count
("Tiny", three people) and an applicant that only names it as parent
("Stray", never admitted); its third Community C002 is admitted later by a
CONSTITUENT_ADMIT its founders decide.
"""

from __future__ import annotations

import asyncio
import io
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from node import keyfile
from node.cli import main
from protocol.envelope import Envelope, open_untrusted
from protocol.kinds import BodyKind, Founding
from protocol.rules import ProcessRules
from protocol.testing import Scenario

PASS = "correct horse battery staple"
DAY = 86_400
RULES = ProcessRules(
    min_constituent_size=5, min_duration=dict.fromkeys(ProcessRules().min_duration, 0)
)
"""Every body: a minimum constituent size a test Community meets (5), and
no minimum stage durations, so the facilitator closes at once."""


def people(tag: str, n: int = 5) -> tuple[str, ...]:
    return tuple(f"p{tag}{i}" for i in range(n))


@dataclass
class World:
    top: Scenario
    regions: list[Scenario]
    munis: list[list[Scenario]]
    """``munis[r][m]``: Municipality m of Region r."""
    towns: list[list[list[Scenario]]]
    """``towns[r][m][c]``: the twelve Communities."""
    tiny: Scenario
    stray: Scenario

    def bodies(self, r: int | None = None) -> list[Scenario]:
        """Every scenario (or Region r's: itself, its Municipalities, their
        Communities and, for Region 0, Tiny), the higher body first."""
        if r is None:
            return [self.top, *self.bodies(0), *self.bodies(1)]
        out = [self.regions[r]]
        for m, muni in enumerate(self.munis[r]):
            out += [muni, *self.towns[r][m]]
        if r == 0:
            out.append(self.tiny)
        return out

    def name_of(self, body: bytes) -> str:
        for sc in [*self.bodies(), self.stray]:
            if sc.body == body:
                return str(sc.log.get(sc.body).payload.name)  # type: ignore[attr-defined]
        raise KeyError(body.hex())


def build(now: int) -> World:
    """Found every body and name the founding constituents; C002 is not
    among M00's founders (it is admitted later)."""

    def sc(members: tuple[str, ...], kind: BodyKind, name: str, parent: bytes | None) -> Scenario:
        s = Scenario(members, body_kind=kind, name=name, parent=parent, rules=RULES)
        s.now = now
        return s

    top = sc(("c1", "c2", "c3"), BodyKind.COLLECTIVE, "Collective", None)
    regions, munis, towns = [], [], []
    tiny = stray = None
    for r in range(2):
        region = sc((f"r{r}a", f"r{r}b", f"r{r}c"), BodyKind.REGION, f"R{r}", top.body)
        regions.append(region)
        ms, ts = [], []
        for m in range(2):
            muni = sc(
                (f"m{r}{m}a", f"m{r}{m}b", f"m{r}{m}c"),
                BodyKind.MUNICIPALITY,
                f"M{r}{m}",
                region.body,
            )
            cs = [
                sc(people(f"{r}{m}{c}"), BodyKind.COMMUNITY, f"C{r}{m}{c}", muni.body)
                for c in range(3)
            ]
            founders = [c.body for c in cs]
            if (r, m) == (0, 0):
                tiny = sc(people("tiny", 3), BodyKind.COMMUNITY, "Tiny", muni.body)
                stray = sc(people("stray"), BodyKind.COMMUNITY, "Stray", muni.body)
                founders = [cs[0].body, cs[1].body, tiny.body]
            muni.post(f"m{r}{m}a", Founding(tuple(sorted(founders))), parents=(muni.body,))
            ms.append(muni)
            ts.append(cs)
        region.post(f"r{r}a", Founding(tuple(sorted(x.body for x in ms))), parents=(region.body,))
        munis.append(ms)
        towns.append(ts)
    top.post("c1", Founding(tuple(sorted(x.body for x in regions))), parents=(top.body,))
    assert tiny is not None and stray is not None
    return World(top, regions, munis, towns, tiny, stray)


@dataclass
class Net:
    """The nodes' URLs, which node holds which body, and what of each
    scenario has been submitted there."""

    http: aiohttp.ClientSession
    tmp: Path
    node: dict[bytes, str] = field(default_factory=dict)
    sent: dict[bytes, int] = field(default_factory=dict)

    async def host(self, url: str, sc: Scenario) -> None:
        """Found the body on the node (``POST /v0/bodies``) and submit its log."""
        async with self.http.post(f"{url}/v0/bodies", data=sc.messages[0].raw) as r:
            assert r.status in (200, 201), await r.text()
        self.node[sc.body] = url
        self.sent[sc.body] = 1
        await self.sync(sc)

    async def sync(self, *scs: Scenario) -> None:
        """Submit the scenarios' new messages to their bodies' nodes; every
        one must be stored and taken by the process."""
        for sc in scs:
            new = sc.messages[self.sent[sc.body] :]
            if not new:
                continue
            for i in range(0, len(new), 400):  # well under the 4 MiB request limit
                async with self.http.post(
                    f"{self.node[sc.body]}/v0/bodies/{sc.body.hex()}/messages",
                    json={"messages": [m.raw.hex() for m in new[i : i + 400]]},
                ) as r:
                    doc = await r.json()
                    assert r.status == 201, doc
                bad = [x for x in doc["results"] if not x.get("process", {}).get("taken", True)]
                assert not bad, bad
            self.sent[sc.body] = len(sc.messages)

    async def pull(self, sc: Scenario) -> Envelope:
        """Take into the scenario what members signed with the command line
        (so the kit's sequence numbers and clock stay past theirs); the
        last such message."""
        doc = await self.get(
            f"{self.node[sc.body]}/v0/bodies/{sc.body.hex()}/messages?limit=100000"
        )
        last = None
        for raw in doc["messages"]:
            env = open_untrusted(bytes.fromhex(raw), sc.body)
            if env.id in sc.log:
                continue
            sc._add(env)
            name = sc.names.get(env.author)
            if name is not None:
                sc.seq[name] = max(sc.seq.get(name, 0), env.seq)
            sc.now = max(sc.now, env.time)
            last = env
        self.sent[sc.body] = len(sc.messages)
        assert last is not None, "the command signed nothing"
        return last

    async def get(self, url: str) -> Any:
        async with self.http.get(url) as r:
            assert r.status == 200, (url, r.status, await r.text())
            return await r.json()

    async def view(self, sc: Scenario, path: str, url: str | None = None) -> Any:
        """``GET /v0/bodies/{body}/{path}`` on the body's node (or ``url``)."""
        return await self.get(f"{url or self.node[sc.body]}/v0/bodies/{sc.body.hex()}/{path}")

    async def submit(self, sc: Scenario, env: Envelope) -> tuple[int, Any]:
        """One message's bytes to its body's node; the status and answer
        (the scenario's count of what was sent is left alone)."""
        async with self.http.post(
            f"{self.node[sc.body]}/v0/bodies/{sc.body.hex()}/messages",
            data=env.raw,
            headers={"Content-Type": "application/octet-stream"},
        ) as r:
            return r.status, await r.json()

    def keystore(self, sc: Scenario, name: str) -> str:
        """The member's encrypted keystore for the command line."""
        path = self.tmp / f"{name}.key"
        if not path.exists():
            keyfile.write(path, sc.seed(name), PASS)
        return str(path)


@dataclass(frozen=True)
class Ran:
    rc: int
    out: str
    err: str


def _run(args: list[str]) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(args)
    return Ran(rc, out.getvalue().strip(), err.getvalue().strip())


async def cli(*args: str) -> Ran:
    """``caracol ARGS`` in-process (its own thread, so the nodes keep serving)."""
    return await asyncio.to_thread(_run, list(args))


def wall() -> int:
    return int(time.time())
