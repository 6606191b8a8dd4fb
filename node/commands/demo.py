"""``caracol demo``: a local federation on embedded defaults.

Starts four real nodes on 127.0.0.1 in this process, each with its own
SQLite file and HTTP port: the Municipality of Valle and three Communities.
The Municipality proposes a resolution; each Community presents it and runs
its own process — one of them through a grievance round with a friendly
amendment — while the nodes gossip; the Municipality's node re-derives each
Community Verdict from the Community's own log and combines them. Then the
nodes stay up, with their addresses and the members' page printed, until
Ctrl-C; Barrio Sur's members have names, an open proposal and key files a
newcomer restores on the page to act as one of them.

Members sign on their own devices: here the demo plays every member with
the process testing kit (``protocol.testing.Scenario``), which signs each
message with that member's key and its own view of the log; the signed bytes
go to the nodes through the member API like any client's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from node import keyfile
from node.config import Config, Peer
from node.runtime import NodeRuntime
from protocol.keys import key_to_text
from protocol.kinds import BodyKind, Choice, Founding, Name, Proposal
from protocol.rules import ProcessRules
from protocol.stages import Stage
from protocol.testing import Scenario

TEXT = "Every community keeps a rain cistern."
AMENDED = " Neighbours share the pumps."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="run the scenario, print, and stop")
    parser.add_argument(
        "--dir", type=Path, help="keep the nodes' data here (default: a temporary folder)"
    )
    parser.add_argument(
        "--base-port", type=int, default=0, help="first HTTP port (default: any free port)"
    )


class Demo:
    def __init__(self, root: Path, base_port: int) -> None:
        self.root = root
        self.base_port = base_port
        self.nodes: dict[str, NodeRuntime] = {}
        self.sent: dict[str, int] = {}

    async def start_node(self, name: str, bodies: tuple[str, ...]) -> NodeRuntime:
        port = self.base_port + len(self.nodes) if self.base_port else 0
        cfg = Config(
            data_dir=self.root / name,
            listen_port=port,
            node_name=name,
            bodies=bodies,
            sync_interval=2.0,
            backoff_max=2.0,
            log_level="warning",
        )
        node = NodeRuntime(cfg)
        await node.start()
        self.nodes[name] = node
        return node

    async def push(self, http: aiohttp.ClientSession, node: NodeRuntime, sc: Scenario) -> None:
        """Send the scenario's new messages (members' signed envelopes)."""
        key = sc.body.hex()
        start = self.sent.get(key, 0)
        fresh = sc.messages[start:]
        if not fresh:
            return
        async with http.post(
            f"{node.url}/v0/bodies/{key}/messages", json={"messages": [m.raw.hex() for m in fresh]}
        ) as r:
            results = (await r.json())["results"]
        bad = [x for x in results if x["status"] == "rejected"]
        if bad:
            raise RuntimeError(f"the node rejected a demo message: {bad[0]}")
        self.sent[key] = len(sc.messages)


def members_of(sc: Scenario) -> tuple[str, ...]:
    """Member names in founding order (the first founded the body)."""
    return tuple(sc.seeds)


def _names(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(n))


def present(sc: Scenario, muni: Scenario, resolution: bytes) -> bytes:
    return sc.post(
        members_of(sc)[0], Proposal("Rain cisterns", TEXT, "water", muni.body, resolution)
    ).id


def pass_at_first_check(sc: Scenario, p: bytes) -> None:
    sc.close(p)
    sc.votes(p, yes=list(members_of(sc)))
    sc.close(p)
    sc.close(p)


def grievance_round(sc: Scenario, p: bytes) -> None:
    """80 % at the first check; the two against file a cost concern, elect a
    delegate who pleads, members agree, an amendment is adopted, and the
    second check passes."""
    m = members_of(sc)
    sc.close(p)
    sc.votes(p, yes=list(m[:8]), no=list(m[8:]))
    sc.close(p)
    g = sc.grievance(m[8], p, "cost", text="cisterns cost money")
    sc.grievance(m[9], p, "cost", text="pumps are expensive")
    sc.close(p)
    sc.elect(m[8], p, "cost", m[8])
    sc.elect(m[9], p, "cost", m[8])
    sc.plea(m[8], p, "cost", "share the pumps between neighbours")
    for n in m[:6]:
        sc.agree(n, g)
    from crdt.text import TextDocument

    op = TextDocument(p, TEXT).prepare_insert(len(TEXT), AMENDED).op
    am = sc.amend(m[9], p, "cost", [op], rationale="share pumps")
    # most members keep the Municipality's text: a Community that adopted an
    # amendment would decide another text, which does not count FOR the
    # resolution (spec/federation.md, "The Community Verdict")
    for n in m[:4]:
        sc.amendment_vote(n, am, Choice.FOR)
    for n in m[4:]:
        sc.amendment_vote(n, am, Choice.AGAINST)
    sc.close(p)
    sc.votes(p, yes=list(m))
    sc.close(p)
    sc.close(p)


async def scenario(demo: Demo, out: list[str]) -> tuple[dict[str, Any], Scenario, Scenario]:
    say = out.append
    delegates = ("norte", "sur", "rio")
    # five-member Communities count here (the default minimum is 50: equal power)
    small = ProcessRules(min_constituent_size=5)
    muni = Scenario(
        delegates, body_kind=BodyKind.MUNICIPALITY, name="Municipality of Valle", rules=small
    )
    resolution = muni.propose("norte", "Rain cisterns", TEXT)
    communities = {
        "norte": Scenario(("norte", *_names("n", 9)), name="Barrio Norte", parent=muni.body),
        "sur": Scenario(("sur", *_names("s", 4)), name="Barrio Sur", parent=muni.body),
        "rio": Scenario(("rio", *_names("r", 4)), name="Orilla del Rio", parent=muni.body),
    }
    # the Municipality names its founding Communities: naming a parent in a
    # genesis is only a request (spec/federation.md, "Constituents")
    founding = Founding(tuple(sorted(sc.body for sc in communities.values())))
    muni.post("norte", founding, parents=(muni.body,))
    all_bodies = (muni.body.hex(), *(sc.body.hex() for sc in communities.values()))
    hub = await demo.start_node("valle", all_bodies)
    await hub.found_body(muni.messages[0].raw)
    for name, sc in communities.items():
        node = await demo.start_node(name, (muni.body.hex(), sc.body.hex()))
        await node.found_body(sc.messages[0].raw)
    for name in communities:
        node = demo.nodes[name]
        assert node.gossip and hub.gossip
        node.gossip.add_peer(Peer("valle", hub.url, key_to_text(hub.node_key)))
        hub.gossip.add_peer(Peer(name, node.url, key_to_text(node.node_key)))
    say(f"Municipality of Valle (node valle, {hub.url}) and three Communities:")
    for name, sc in communities.items():
        title = getattr(sc.messages[0].payload, "name", "")
        url = demo.nodes[name].url
        say(f"  {title:<16} node {name:<6} {url}  {len(sc.seeds)} members")
    async with aiohttp.ClientSession() as http:
        demo.sent[muni.body.hex()] = 1  # the genesis was founded directly
        await demo.push(http, hub, muni)
        say(f"resolution {resolution.hex()[:12]}… proposed in the Municipality: {TEXT!r}")
        for name, sc in communities.items():
            demo.sent[sc.body.hex()] = 1
            p = present(sc, muni, resolution)
            if name == "norte":
                grievance_round(sc, p)
            else:
                pass_at_first_check(sc, p)
            await demo.push(http, demo.nodes[name], sc)
            a = sc.assembly()
            v = a.verdict(p)
            assert v is not None and a.stage(p) == Stage.CARRIED, a.stage(p)
            detail = (
                f" after a grievance round; amendment {AMENDED.strip()!r} rejected, "
                f"text as presented: {a.text(p)!r}"
                if name == "norte"
                else ""
            )
            say(
                f"  {name}: {v.outcome.name.lower()} ({v.count.votes_for} for, "
                f"{v.count.votes_against} against of {v.electorate}){detail}"
            )
        # gossip carries every Community's log to the Municipality's node
        url = f"{hub.url}/v0/bodies/{muni.body.hex()}/federation/{resolution.hex()}"
        for _ in range(300):
            async with http.get(url) as r:
                fed = await r.json()
            if fed["decided"] == len(communities):
                break
            await asyncio.sleep(0.1)
        say(
            f"Municipality verdict (re-derived from each Community's own log on node valle): "
            f"{fed['standing']} — {fed['count']['votes_for']} of {fed['members']} Communities for"
        )
    return dict(fed), muni, communities["sur"]


DEMO_PASSPHRASE = "caracol demo"
"""The passphrase of the demo members' key files (a demo has no secrets)."""
SUR_NAMES = ("Sol", "Sara", "Santi", "Sergio", "Silvia")


async def members_page(demo: Demo, muni: Scenario, sur: Scenario, out: list[str]) -> None:
    """Let a newcomer act as a Barrio Sur member on the page: name the
    members, open a proposal for them to discuss, carry a second resolution
    in the Municipality for them to present, and write each member's key
    file (the page's "Restore a key" reads it)."""
    for member, name in zip(members_of(sur), SUR_NAMES, strict=True):
        sur.post(member, Name(sur.key(member), name))
    sur.propose(members_of(sur)[1], "A Saturday market", "Stalls in the square on Saturdays.")
    second = muni.propose("sur", "A tool library", "Each Community lends its tools.")
    pass_at_first_check(muni, second)
    async with aiohttp.ClientSession() as http:
        await demo.push(http, demo.nodes["sur"], sur)
        await demo.push(http, demo.nodes["valle"], muni)
    keys = demo.root / "keys"
    keys.mkdir(exist_ok=True)
    files = []
    for member, name in zip(members_of(sur), SUR_NAMES, strict=True):
        path = keys / f"{name.lower()}.key"
        if not path.exists():
            # the demo's files open quickly: a small KDF cost, for a demo only
            keyfile.write(path, sur.seed(member), DEMO_PASSPHRASE, opslimit=1, memlimit=8 << 20)
        files.append(path)
    out.append("")
    out.append("The members' page (open it in a browser on this machine):")
    for name, node in demo.nodes.items():
        out.append(f"  {name:<6} {node.url}/")
    out.append(f"Act as a Barrio Sur member: open {demo.nodes['sur'].url}/ , choose")
    out.append(f'"Restore a key", pick one of these files, passphrase {DEMO_PASSPHRASE!r}:')
    for path in files:
        out.append(f"  {path}")
    out.append("or create your own key there, and have a member admit you (Members → Admit).")


async def _run(args: argparse.Namespace) -> int:
    root = args.dir or Path(tempfile.mkdtemp(prefix="caracol-demo-"))
    demo = Demo(root, args.base_port)
    lines: list[str] = []
    try:
        fed, muni, sur = await scenario(demo, lines)
        await members_page(demo, muni, sur, lines)
        for line in lines:
            print(line, flush=True)
        if fed["standing"] != "passed":
            return 1
        if args.once:
            return 0
        print("\nThe nodes keep running; look around, e.g.:")
        for name, node in demo.nodes.items():
            print(f"  {name:<6} {node.url}/v0/bodies")
        print("Ctrl-C stops them.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        return 0
    finally:
        for node in demo.nodes.values():
            with contextlib.suppress(Exception):
                await node.stop()
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))
