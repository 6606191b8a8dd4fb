"""A node under load: ingest through the API and through gossip, gossip
latency across 10 sibling nodes, resident memory, start-up time.

Nodes run as real ``caracol run`` processes on 127.0.0.1 (so their memory is
their own). ``raw_verify_per_s`` is PyNaCl's verify on the same machine in
the same run, for comparison with the ingest rates.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import nacl.signing

from crdt.sim import make_genesis, seed_for
from node.config import Config, Peer, render
from node.ingest import Ingest
from node.nodekey import load_or_create_node_seed
from node.store import Store
from protocol import envelope, kinds
from protocol.envelope import Envelope
from protocol.keys import key_to_text

MEMBERS = [seed_for(f"bench-node-{i}") for i in range(150)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=5000, help="messages for the ingest runs")
    parser.add_argument("--nodes", type=int, default=10, help="sibling nodes for the latency run")
    parser.add_argument("--rounds", type=int, default=40, help="votes timed for latency")
    parser.add_argument("--startup-messages", type=int, default=100_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _messages(genesis: Envelope, n: int, *, start: int = 0) -> list[Envelope]:
    """A stream of member-signed comments, each on top of the previous."""
    out: list[Envelope] = []
    parent = genesis.id
    for i in range(start, start + n):
        who = i % len(MEMBERS)
        seq = i // len(MEMBERS) + (2 if who == 0 else 1)
        e = envelope.sign(
            MEMBERS[who],
            genesis.body,
            kinds.Comment(genesis.body, None, kinds.Stance.NEUTRAL, f"m{i}"),
            parents=[parent],
            seq=seq,
            time=1_790_000_000 + i,
        )
        out.append(e)
        parent = e.id
    return out


class NodeProc:
    def __init__(
        self, root: Path, name: str, genesis: Envelope, preload: list[Envelope] | None = None
    ) -> None:
        self.dir = root / name
        self.dir.mkdir(parents=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = Config(
            data_dir=self.dir / "data", listen_port=self.port, node_name=name, log_level="warning"
        )
        self.config.data_dir.mkdir()
        _seed, self.key = load_or_create_node_seed(self.config.data_dir)
        with Store(self.config.database) as store:
            ingest = Ingest(store)
            ingest.found(genesis.raw, origin="bench")
            preload = preload or []
            for i in range(0, len(preload), 1000):
                chunk = preload[i : i + 1000]
                store.add_messages(
                    genesis.body, [(m.id, m.raw) for m in chunk], now=0, origin="bench"
                )
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_s = 0.0

    def peer(self) -> Peer:
        return Peer(self.config.node_name, self.url, key_to_text(self.key))

    def write(self, peers: list[Peer]) -> None:
        (self.dir / "node.toml").write_text(render(replace(self.config, peers=tuple(peers))))

    async def start(self) -> None:
        if not (self.dir / "node.toml").exists():
            self.write([])
        t = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "node", "run", "--config", str(self.dir / "node.toml")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with aiohttp.ClientSession() as http:
            for _ in range(3000):
                try:
                    async with http.get(f"{self.url}/v0/node") as r:
                        if r.status == 200:
                            self.started_s = time.perf_counter() - t
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.01)
        raise RuntimeError(f"node {self.url} did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def rss_mb(self) -> float:
        assert self.proc is not None
        return _rss_mb(self.proc.pid)


async def _count(http: aiohttp.ClientSession, node: NodeProc, body: bytes) -> int:
    async with http.get(f"{node.url}/v0/bodies/{body.hex()}") as r:
        return int((await r.json())["messages"])


async def ingest_api(
    root: Path, genesis: Envelope, msgs: list[Envelope]
) -> tuple[float, float, float]:
    node = NodeProc(root, "api", genesis)
    await node.start()
    try:
        idle = node.rss_mb
        batches = [msgs[i : i + 100] for i in range(0, len(msgs), 100)]
        peak = idle
        t = time.perf_counter()
        async with aiohttp.ClientSession() as http:
            for b in batches:  # in order: each batch's parents are already there
                async with http.post(
                    f"{node.url}/v0/bodies/{genesis.body.hex()}/messages",
                    json={"messages": [m.raw.hex() for m in b]},
                ) as r:
                    await r.read()
                peak = max(peak, node.rss_mb)
            rate = len(msgs) / (time.perf_counter() - t)
            assert await _count(http, node, genesis.body) == len(msgs) + 1
        return rate, idle, peak
    finally:
        node.stop()


async def ingest_gossip(root: Path, genesis: Envelope, msgs: list[Envelope]) -> float:
    src = NodeProc(root, "src", genesis, msgs)
    dst = NodeProc(root, "dst", genesis)
    src.write([dst.peer()])
    dst.write([src.peer()])
    await src.start()
    try:
        t = time.perf_counter()
        await dst.start()
        async with aiohttp.ClientSession() as http:
            while await _count(http, dst, genesis.body) < len(msgs) + 1:
                await asyncio.sleep(0.02)
        return len(msgs) / (time.perf_counter() - t)
    finally:
        dst.stop()
        src.stop()


async def gossip_latency(root: Path, genesis: Envelope, n: int, rounds: int) -> list[float]:
    nodes = [NodeProc(root, f"sib{i}", genesis) for i in range(n)]
    for node in nodes:
        node.write([o.peer() for o in nodes if o is not node])
    for node in nodes:
        await node.start()
    votes = _messages(genesis, rounds, start=10_000)
    latencies: list[float] = []
    try:
        async with aiohttp.ClientSession() as http:
            await asyncio.sleep(1.0)  # links come up
            sockets = [
                await http.ws_connect(f"{x.url}/v0/bodies/{genesis.body.hex()}/events")
                for x in nodes
            ]
            for v in votes:
                t = time.perf_counter()
                async with http.post(
                    f"{nodes[0].url}/v0/bodies/{genesis.body.hex()}/messages",
                    data=v.raw,
                    headers={"Content-Type": "application/octet-stream"},
                ) as r:
                    await r.read()

                async def seen(ws: aiohttp.ClientWebSocketResponse, want: str = v.id.hex()) -> None:
                    while True:
                        msg = await ws.receive_json(timeout=30)
                        if msg["fields"]["id"] == want:
                            return

                await asyncio.gather(*(seen(ws) for ws in sockets))
                latencies.append((time.perf_counter() - t) * 1000)
            for ws in sockets:
                await ws.close()
    finally:
        for node in nodes:
            node.stop()
    return latencies


async def startup(root: Path, genesis: Envelope, n: int) -> tuple[float, float]:
    preload = _messages(genesis, n, start=100_000)
    node = NodeProc(root, "startup", genesis, preload)
    await node.start()
    try:
        return node.started_s, node.rss_mb
    finally:
        node.stop()


def raw_verify_rate(msgs: list[Envelope]) -> float:
    pairs = [(nacl.signing.VerifyKey(m.author), m.signed_bytes(), m.signature) for m in msgs[:2000]]
    t = time.perf_counter()
    for vk, signed, sig in pairs:
        vk.verify(signed, sig)
    return len(pairs) / (time.perf_counter() - t)


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="caracol-bench-node-"))
    try:
        genesis = make_genesis(MEMBERS)
        msgs = _messages(genesis, args.messages)
        raw = raw_verify_rate(msgs)
        api_rate, idle, load = await ingest_api(root, genesis, msgs)
        gossip_rate = await ingest_gossip(root, genesis, msgs)
        lat = await gossip_latency(root, genesis, args.nodes, args.rounds)
        start_s, start_rss = await startup(root, genesis, args.startup_messages)
        lat.sort()
        return {
            "ingest_api_per_s": round(api_rate),
            "ingest_gossip_per_s": round(gossip_rate),
            "raw_verify_per_s": round(raw),
            "gossip_p50_ms": round(statistics.median(lat), 1),
            "gossip_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
            "rss_idle_mb": round(idle, 1),
            "rss_load_mb": round(load, 1),
            "startup_s": round(start_s, 2),
            "startup_messages": args.startup_messages,
            "startup_rss_mb": round(start_rss, 1),
            "nodes": args.nodes,
            "messages": args.messages,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(_measure(args))
