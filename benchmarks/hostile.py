"""Hostile peers and clients against a real honest node (issue 16.6).

One honest node runs as a subprocess (``caracol run`` on 127.0.0.1, a
temporary data folder) holding a small Community: its genesis, a proposal
and a chain of members' comments. A hostile peer (a key the node pins,
driving its link by hand) and hostile HTTP clients then try, in turn:

* **forged**: messages whose signature or signed content has one bit
  flipped, over ``POST …/messages`` and in gossip ``msgs`` frames. Every
  one is rejected, none is stored, the state hash does not move; five on
  one link close it (``misbehaving``).
* **equivocation**: one member signs two comments with one sequence
  number (one by HTTP, one by gossip). spec/dag.md: both are kept, the
  pair is evidence, and the fold ignores both (``equivocations_applied``
  counts those the fold took: 0).
* **orphans** (withheld parents): signed messages whose parents exist
  nowhere; the peer's share of the pending area is bounded (2,000) and
  the rest evicted (``orphans_kept``).
* **flood**: valid messages of keys the body does not know, over HTTP
  (the rate limits: 429) and over gossip (the storage quota:
  ``quota_exceeded``); ``peak_rss_flood_mb`` is the node's VmHWM after it.
* **want**: one ``want`` frame naming one id 4,096 times, then one naming
  every message. ``amplification`` is the bytes of messages the node sent
  in answer to the duplicate-id want divided by the bytes of that want
  frame (what the peer paid to ask); ``amplification_distinct`` the same
  for the want of distinct ids (capped by ``WANT_BYTES``).
* **lying reconciliation**: sessions claiming to hold nothing (the node
  sends its log, charged to the peer's rate), claiming ids that exist
  nowhere (the node asks for them and gets nothing), contradictory ranges
  and a NEED for ids never offered (the session ends with a peer error and
  the link closes), and a peer answering every range with a random
  fingerprint (ended at 64 turns). ``recon_amplification`` is the bytes the
  node sent over the bytes the peer sent in those sessions.
* **slow-loris**: many sockets sending a request head a byte a second, and
  bodies a byte a second; an honest ``GET /v0/node`` is answered meanwhile
  (``slowloris_health_ms``, the slowest) and the node closes them once
  ``limits.header_timeout`` / ``limits.body_timeout`` pass.
* **connections**: ``--connections`` sockets opened at once, then one
  request on each: ``connections_failed`` (refused, reset, no answer) and
  ``five_xx``.
* **subscribers**: WebSocket and SSE subscribers to ``…/events`` dropped
  with a TCP reset, no close; ``subscribers_left`` is what ``/metrics``
  still counts afterwards.
* **kill**: the node is SIGKILLed and restarted; every message the node
  acknowledged to the honest member during the run (one comment every
  0.2 s throughout, ``acknowledged``) is still there (``lost``).

The node starts with a soft open-files limit of ``--nofile`` (1,024, what
systemd gives a service) and the hard limit above it, as on a Raspberry Pi.
``escapes`` counts the outcomes that went wrong (listed in ``escaped``);
``five_xx`` every 5xx answer across the attacks. ``rows`` has one entry per
attack. The measure functions here are the test suite's
(tests/node/test_hostile_suite.py) too.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from crdt.sim import make_genesis, seed_for
from node.config import Config, Peer, render
from node.gossip import MAX_FRAME, WANT_BYTES
from node.ingest import Ingest
from node.peering import Handshake
from node.store import Store
from protocol import canonical, envelope, kinds
from protocol.keys import key_from_text, key_to_text, public_key

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = [seed_for(f"hostile{i}") for i in range(6)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body
PROPOSAL = envelope.sign(
    MEMBERS[0],
    BODY,
    kinds.Proposal("Fix the well", "Before the dry season.", "", None, None),
    parents=[GENESIS.id],
    seq=2,
    time=10,
)
QUIET = make_genesis([seed_for("hostile quiet")], time=1_790_000_001)
"""A second body the node holds, where nothing is ever posted."""
HOSTILE_SEED = seed_for("hostile peer")
PEER_NAME = "hostile"
HONEST, CHAIN_AUTHOR, EQUIVOCATOR, CONTROL, FORGED_AUTHOR = 1, 2, 3, 4, 5
"""Which of MEMBERS plays which part."""
ORPHAN_CAP = 2000
"""crdt.log.Log's ``max_pending_per_source``: one peer's share of the pending area."""


# --- messages ---------------------------------------------------------------------------


def comment(who: int, seq: int, text: str, parent: bytes = PROPOSAL.id) -> envelope.Envelope:
    return envelope.sign(
        MEMBERS[who],
        BODY,
        kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, text),
        parents=[parent],
        seq=seq,
        time=100 + seq,
    )


def chain(n: int, size: int) -> list[envelope.Envelope]:
    """``n`` comments of about ``size`` bytes by one member, each the next's parent."""
    out, parent = [], PROPOSAL.id
    for i in range(n):
        e = comment(CHAIN_AUTHOR, i + 1, f"{i:06d} " + "w" * size, parent)
        out.append(e)
        parent = e.id
    return out


def stranger(i: int, seq: int, size: int) -> envelope.Envelope:
    """A valid message by a key the body does not know."""
    return envelope.sign(
        hashlib.sha256(b"stranger %d" % i).digest(),
        BODY,
        kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, f"{i}/{seq} " + "s" * size),
        parents=[PROPOSAL.id],
        seq=seq,
        time=5000 + seq,
    )


def orphans(n: int, tag: bytes = b"orphan") -> list[envelope.Envelope]:
    """Validly signed messages whose parents exist nowhere."""
    seed = hashlib.sha256(tag).digest()
    return [
        envelope.sign(
            seed,
            BODY,
            kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, "o" * 100),
            parents=[hashlib.sha256(tag + b"%d" % i).digest()],
            seq=i + 1,
            time=7000 + i,
        )
        for i in range(n)
    ]


def forgeries(n: int) -> list[bytes]:
    """A member's messages with one bit flipped: half in the signature, half
    in the signed text (so decoding succeeds and only verification fails)."""
    out = []
    for i in range(n):
        raw = bytearray(comment(FORGED_AUTHOR, 1000 + i, f"forged {i:05d}").raw)
        raw[-1 if i % 2 else -(envelope.SIGNATURE_BYTES + 1)] ^= 0x01
        out.append(bytes(raw))
    return out


def state_hash(ids: list[bytes]) -> bytes:
    """crdt.log.Log.state_hash over ids in replay order (spec/dag.md)."""
    return hashlib.sha256(b"caracol/0 log\x00" + BODY + b"".join(ids)).digest()


# --- the honest node ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_nofile(wanted: int) -> int:
    """Raise this process's soft open-files limit towards ``wanted``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class HonestNode:
    """``caracol run`` in a subprocess, founded with the Community above and
    pinning the hostile peer's key (its address leads nowhere: the node's
    dials fail and back off; the hostile peer dials in)."""

    def __init__(
        self,
        root: Path,
        *,
        chain_length: int = 300,
        chain_bytes: int = 1900,
        nofile: int | None = 1024,
        limits: dict[str, Any] | None = None,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        known = {f.name for f in dataclasses.fields(Config)}
        self.config = Config(
            data_dir=root / "data",
            listen_port=self.port,
            node_name="honest",
            peers=(Peer(PEER_NAME, "http://127.0.0.1:9", key_to_text(public_key(HOSTILE_SEED))),),
            sync_interval=3600.0,
            backoff_max=3600.0,
            log_level="warning",
            # a limit this node's Config lacks is left out (the suite can
            # then run against a node/ from before the limit existed)
            **{k: v for k, v in (limits or {}).items() if k in known},
        )
        self.chain = chain(chain_length, chain_bytes)
        self.honest = [GENESIS, PROPOSAL, *self.chain]
        """Every honest message the node should hold, acknowledged ones appended."""
        self.nofile = nofile
        self.proc: subprocess.Popen[bytes] | None = None
        self.node_key = b""
        self.kills = 0
        self.peak_hwm_kb = 0
        self.member_seq = 0
        self.member_parent = PROPOSAL.id
        """The honest member's last sequence number and message (HonestMember)."""

    def found(self) -> None:
        self.config.data_dir.mkdir(parents=True)
        (self.root / "node.toml").write_text(render(self.config))
        with Store(self.config.database) as store:
            ingest = Ingest(store)
            ingest.found(GENESIS.raw, origin="bench")
            ingest.submit(BODY, [PROPOSAL.raw, *(e.raw for e in self.chain)], origin="bench")
            ingest.found(QUIET.raw, origin="bench")

    def _limit(self) -> None:  # in the child, before exec
        if self.nofile is not None:
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(self.nofile, hard), hard))

    def start(self) -> None:
        if not self.config.data_dir.exists():
            self.found()
        with open(self.root / "node.err", "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "node", "run", "--config", "node.toml"],
                cwd=self.root,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL,
                stderr=err,
                preexec_fn=self._limit,  # noqa: PLW1509 - only setrlimit, before exec
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /v0/node HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    data = b""
                    while chunk := s.recv(65536):
                        data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                if head.startswith(b"HTTP/1.1 200"):
                    self.node_key = key_from_text(json.loads(body)["node_key"])
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"the node exited: {self.errors_text()[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("the node did not come up")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def memory(self) -> dict[str, float]:
        """VmRSS and VmHWM (the peak since start) in MB, and open descriptors."""
        assert self.proc is not None
        pid = self.proc.pid
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            return {"rss_mb": 0.0, "hwm_mb": self.peak_hwm_kb / 1024, "fds": 0}
        kb = {
            line.split(":")[0]: int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
        self.peak_hwm_kb = max(self.peak_hwm_kb, kb.get("VmHWM", 0))
        return {"rss_mb": kb.get("VmRSS", 0) / 1024, "hwm_mb": self.peak_hwm_kb / 1024, "fds": fds}

    def errors_text(self) -> str:
        try:
            return (self.root / "node.err").read_text(errors="replace")
        except OSError:
            return ""

    def unhandled(self) -> int:
        """Unhandled exceptions aiohttp logged (a handler that raised)."""
        text = self.errors_text()
        return text.count("Error handling request") + text.count("Traceback")

    def kill(self) -> None:
        assert self.proc is not None
        self.memory()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.memory()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> HonestNode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- HTTP helpers ---------------------------------------------------------------------------


@dataclass
class Tally:
    """HTTP answers by status; ``failed`` counts requests with no answer."""

    statuses: Counter[int] = field(default_factory=Counter)
    failed: int = 0

    @property
    def five_xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.failed

    def add(self, other: Tally) -> None:
        self.statuses.update(other.statuses)
        self.failed += other.failed


async def http_json(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    tally: Tally | None = None,
    **kw: Any,
) -> tuple[int, Any]:
    try:
        async with http.request(method, url, **kw) as r:
            text = await r.text()
            if tally is not None:
                tally.statuses[r.status] += 1
            try:
                return r.status, json.loads(text)
            except ValueError:
                return r.status, text
    except (aiohttp.ClientError, TimeoutError):
        if tally is not None:
            tally.failed += 1
        return 0, None


async def post_messages(
    http: aiohttp.ClientSession, node: HonestNode, raws: list[bytes], tally: Tally | None = None
) -> tuple[int, list[dict[str, Any]]]:
    status, doc = await http_json(
        http,
        "POST",
        f"{node.url}/v0/bodies/{BODY.hex()}/messages",
        tally,
        json={"messages": [r.hex() for r in raws]},
    )
    return status, doc.get("results", []) if isinstance(doc, dict) else []


async def metrics(http: aiohttp.ClientSession, node: HonestNode) -> dict[str, float]:
    """``/metrics`` as ``{name{labels}: value}``."""
    async with http.get(f"{node.url}/metrics") as r:
        text = await r.text()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def metric(m: dict[str, float], prefix: str) -> float:
    return sum(v for k, v in m.items() if k == prefix or k.startswith(prefix + "{"))


async def held_ids(http: aiohttp.ClientSession, node: HonestNode) -> list[bytes]:
    """The body's message ids in replay order."""
    ids: list[bytes] = []
    while True:
        status, doc = await http_json(
            http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}/messages?start={len(ids)}&limit=5000"
        )
        assert status == 200, (status, doc)
        ids += [envelope.message_id(bytes.fromhex(h)) for h in doc["messages"]]
        if len(ids) >= doc["total"] or not doc["messages"]:
            return ids


async def state(node: HonestNode) -> list[bytes]:
    """The ids the node holds, in replay order."""
    async with aiohttp.ClientSession() as http:
        return await held_ids(http, node)


async def healthy(node: HonestNode, timeout: float = 30.0) -> float | None:
    """Milliseconds for an honest ``GET /v0/node`` on a fresh connection
    (None: no answer within ``timeout``)."""
    t = time.perf_counter()
    try:
        async with (
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True),
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as http,
            http.get(f"{node.url}/v0/node") as r,
        ):
            await r.read()
            if r.status != 200:
                return None
    except (aiohttp.ClientError, TimeoutError):
        return None
    return (time.perf_counter() - t) * 1000


async def until(cond: Callable[[], Awaitable[bool]], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if await cond():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)


class HonestMember:
    """A member posting one comment every ``every`` seconds while an attack
    runs; what the node acknowledged (201) is added to the node's honest
    messages, so the kill case can check none was lost."""

    def __init__(self, node: HonestNode, every: float = 0.2) -> None:
        self.node = node
        self.every = every
        self.posted: set[bytes] = set()
        self.tally = Tally()
        self.acknowledged = 0
        self.slowest_ms = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            node = self.node
            while True:
                seq = node.member_seq + 1
                e = comment(HONEST, seq, f"honest {seq}", node.member_parent)
                self.posted.add(e.id)
                t = time.perf_counter()
                status, results = await post_messages(http, node, [e.raw], self.tally)
                self.slowest_ms = max(self.slowest_ms, (time.perf_counter() - t) * 1000)
                if (
                    status in (200, 201)
                    and results
                    and results[0]["status"]
                    in (
                        "accepted",
                        "duplicate",
                    )
                ):
                    node.member_seq, node.member_parent = seq, e.id
                    self.acknowledged += 1
                    node.honest.append(e)
                await asyncio.sleep(self.every)

    async def __aenter__(self) -> HonestMember:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


# --- the hostile peer -----------------------------------------------------------------------


class HostilePeer:
    """One link to the node as the pinned peer ``hostile``, driven by hand:
    the signed handshake, then whatever frames the attack sends. A reader
    counts what the node sends back."""

    def __init__(self, node: HonestNode) -> None:
        self.node = node
        self.bytes_out = 0
        self.bytes_in = 0
        self.frames_in: Counter[str] = Counter()
        self.messages: list[tuple[bytes, int]] = []
        """(id, size) of every message the node sent, in order."""
        self.wanted_in = 0
        self.recon: asyncio.Queue[bytes] = asyncio.Queue()
        self.bye: tuple[str, str] | None = None
        self.closed = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HostilePeer:
        self._http = aiohttp.ClientSession()
        self._ws = ws = await self._http.ws_connect(
            f"{self.node.url}/v0/peer", max_msg_size=MAX_FRAME
        )
        hs = Handshake(HOSTILE_SEED, os.urandom(32), pinned=self.node.node_key)
        await ws.send_bytes(canonical.encode(("hello", hs.hello.node_key, hs.hello.nonce)))
        hello = canonical.decode(await ws.receive_bytes())
        proof = hs.receive_hello({"node_key": hello[1].hex(), "nonce": hello[2].hex()})
        await ws.send_bytes(canonical.encode(("proof", bytes.fromhex(proof["sig"]))))
        answer = canonical.decode(await ws.receive_bytes())
        hs.receive_proof({"sig": answer[1].hex()})
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    break
                self.bytes_in += len(msg.data)
                frame = canonical.decode(msg.data, max_bytes=MAX_FRAME)
                kind = frame[0]
                self.frames_in[kind] += 1
                if kind == "msgs":
                    self.messages += [(envelope.message_id(r), len(r)) for r in frame[2]]
                elif kind == "want":
                    self.wanted_in += len(frame[2])
                elif kind == "recon":
                    self.recon.put_nowait(frame[2])
                elif kind == "bye":
                    self.bye = (frame[1], frame[2])
        finally:
            self.closed.set()

    async def send(self, *items: Any) -> None:
        assert self._ws is not None
        data = canonical.encode(items)
        self.bytes_out += len(data)
        if not self._ws.closed:
            await self._ws.send_bytes(data)

    def received(self, since: int, ids: set[bytes]) -> tuple[int, int]:
        """How many of ``ids`` the node sent after the first ``since``
        messages, and their bytes (what it pushes meanwhile, the honest
        member's comments, is left out)."""
        got = [size for mid, size in self.messages[since:] if mid in ids]
        return len(got), sum(got)

    async def settle(
        self, counter: Callable[[], int] | None = None, quiet: float = 0.5, timeout: float = 60.0
    ) -> None:
        """Wait until ``counter`` (default: bytes from the node) has not moved
        for ``quiet`` seconds."""
        count = counter or (lambda: self.bytes_in)
        deadline = time.monotonic() + timeout
        last = -1
        while count() != last and time.monotonic() < deadline and not self.closed.is_set():
            last = count()
            await asyncio.sleep(quiet)

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 10)
        if self._http is not None:
            await self._http.close()


@contextlib.asynccontextmanager
async def attack(
    node: HonestNode, name: str, rows: list[dict[str, Any]], *, rejected_input: bool = False
) -> AsyncIterator[dict[str, Any]]:
    """One attack: an honest member posts throughout; the row records
    requests, rejected, 5xx, seconds, the node's memory and whether it stayed
    up; with ``rejected_input`` the state hash must not move (what the honest
    member adds meanwhile is left out of the comparison)."""
    before_ids = await state(node)
    before = state_hash(before_ids)
    row: dict[str, Any] = {"attack": name, "requests": 0, "rejected": 0, "five_xx": 0}
    t = time.perf_counter()
    async with HonestMember(node) as member:
        yield row
    row["seconds"] = round(time.perf_counter() - t, 2)
    row["node_alive"] = node.alive() and await healthy(node) is not None
    after = await state(node)
    row["honest_kept"] = {e.id for e in node.honest} <= set(after)
    if rejected_input:
        # what honest members added meanwhile names only honest messages and
        # nothing else names it, so leaving it out of the replay order gives
        # the log as it would be without it: the rejected input's effect
        # (a post the previous attack's member left in flight may be either side)
        held = set(before_ids)
        honest = (member.posted | {e.id for e in node.honest}) - held
        row["state_kept"] = state_hash([i for i in after if i not in honest]) == before
        if not row["state_kept"]:
            row["unexpected"] = [i.hex() for i in after if i not in honest and i not in held]
            row["vanished"] = [i.hex() for i in before_ids if i not in set(after)]
    row["honest_acknowledged"] = member.acknowledged
    row["honest_five_xx"] = member.tally.five_xx
    row["honest_slowest_ms"] = round(member.slowest_ms)
    mem = node.memory()
    row["rss_mb"], row["hwm_mb"] = round(mem["rss_mb"], 1), round(mem["hwm_mb"], 1)
    rows.append(row)


# --- the attacks ----------------------------------------------------------------------------


async def measure_forged(node: HonestNode, rows: list[dict[str, Any]], n: int = 200) -> None:
    forged = forgeries(n)
    tally = Tally()
    rejected = 'caracol_ingest_total{outcome="rejected"}'
    async with attack(node, "forged", rows, rejected_input=True) as row:
        async with aiohttp.ClientSession() as http:
            before = metric(await metrics(http, node), rejected)
            over_http = forged[: n // 2]
            for i in range(0, len(over_http), 50):
                await post_messages(http, node, over_http[i : i + 50], tally)
        closed = 0
        rest = forged[n // 2 :]
        while rest:  # gossip: 5 strikes close the link; the peer dials again
            async with HostilePeer(node) as peer:
                for raw in rest[:5]:
                    await peer.send("msgs", BODY, (raw,))
                del rest[:5]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(peer.closed.wait(), 30)
                closed += peer.bye is not None and peer.bye[0] == "misbehaving"
        async with aiohttp.ClientSession() as http:
            after = metric(await metrics(http, node), rejected)
            stored = 0
            for raw in forged:
                mid = envelope.message_id(raw).hex()
                status, _ = await http_json(
                    http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}/messages/{mid}", tally
                )
                stored += status == 200
        row.update(
            requests=n,
            rejected=int(after - before),
            five_xx=tally.five_xx,
            forged_stored=stored,
            http_422=tally.statuses[422],
            links_closed=closed,
        )


async def measure_equivocation(node: HonestNode, rows: list[dict[str, Any]]) -> None:
    first = comment(EQUIVOCATOR, 1, "the well is fine")
    second = comment(EQUIVOCATOR, 1, "the well is dry")
    control = comment(CONTROL, 1, "an honest comment")
    tally = Tally()
    async with attack(node, "equivocation", rows) as row:
        async with aiohttp.ClientSession() as http:
            _, r1 = await post_messages(http, node, [first.raw, control.raw], tally)
            async with HostilePeer(node) as peer:
                await peer.send("msgs", BODY, (second.raw,))

                async def both_held() -> bool:
                    _, doc = await http_json(http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}")
                    return isinstance(doc, dict) and doc.get("equivocations", 0) >= 1

                await until(both_held, 20)
            _, body = await http_json(http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}", tally)
            _, view = await http_json(
                http,
                "GET",
                f"{node.url}/v0/bodies/{BODY.hex()}/proposals/{PROPOSAL.id.hex()}",
                tally,
            )
            _, evidence = await http_json(
                http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}/evidence", tally
            )
        shown = {c["id"] for c in view.get("comments", [])} if isinstance(view, dict) else set()
        ignored = evidence.get("ignored", []) if isinstance(evidence, dict) else []
        node.honest.append(control)
        row.update(
            requests=tally.requests + 1,
            five_xx=tally.five_xx,
            equivocations=body.get("equivocations") if isinstance(body, dict) else None,
            equivocations_applied=sum(e.id.hex() in shown for e in (first, second)),
            equivocations_ignored=sum(
                "equivocation" in json.dumps(i) and e.id.hex() in json.dumps(i)
                for e in (first, second)
                for i in ignored
            ),
            both_kept=False,
            control_applied=control.id.hex() in shown,
            first_answer=r1[0]["status"] if r1 else None,
        )
        held = set(await state(node))
        row["both_kept"] = first.id in held and second.id in held


async def measure_orphans(node: HonestNode, rows: list[dict[str, Any]], n: int = 5000) -> None:
    sent = orphans(n)
    parent = comment(CONTROL, 2, "a parent that comes late")
    child = comment(CONTROL, 3, "its child, sent first", parent.id)
    tally = Tally()
    async with attack(node, "orphans", rows, rejected_input=True) as row:
        async with aiohttp.ClientSession() as http:
            _, r = await post_messages(http, node, [child.raw], tally)
            honest_pending = bool(r) and r[0]["status"] == "pending"
            by_peer = f'caracol_pending_by_peer{{body="{BODY.hex()[:16]}",peer="{PEER_NAME}"}}'

            def seen(m: dict[str, float]) -> float:
                # each orphan is pending under the peer, or evicted one of its own
                return m.get(by_peer, 0.0) + metric(m, "caracol_pending_evicted_total")

            before = seen(await metrics(http, node))
            async with HostilePeer(node) as peer:
                for i in range(0, n, 1000):
                    await peer.send("msgs", BODY, tuple(o.raw for o in sent[i : i + 1000]))

                async def taken() -> bool:
                    return seen(await metrics(http, node)) - before >= n

                await until(taken, 60)
                wanted = peer.wanted_in
            m = await metrics(http, node)
            peer_pending = m.get(by_peer, 0.0)
            pending = metric(m, "caracol_pending_messages")
            evicted = metric(m, "caracol_pending_evicted_total")
            _, r = await post_messages(http, node, [parent.raw], tally)
            held = set(await state(node))
        node.honest += [parent, child]
        row.update(
            requests=n + 2,
            rejected=int(evicted),
            five_xx=tally.five_xx,
            orphans_sent=n,
            orphans_kept=int(peer_pending),
            pending=int(pending),
            evicted=int(evicted),
            wanted_back=wanted,
            honest_child_released=honest_pending and child.id in held,
            orphans_stored=sum(o.id in held for o in sent),
        )


async def measure_flood(
    node: HonestNode,
    rows: list[dict[str, Any]],
    *,
    http_n: int = 300,
    gossip_n: int = 8000,
    size: int = 1000,
) -> None:
    per_key = 10
    over_http = [stranger(i // per_key, i % per_key + 1, 100) for i in range(http_n)]
    over_gossip = [stranger(100_000 + i // per_key, i % per_key + 1, size) for i in range(gossip_n)]
    tally = Tally()
    rss: list[float] = []
    async with attack(node, "flood", rows) as row:
        sampling = True

        async def sample() -> None:
            while sampling:
                rss.append(node.memory()["rss_mb"])
                await asyncio.sleep(0.1)

        sampler = asyncio.create_task(sample())
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=50), timeout=aiohttp.ClientTimeout(total=60)
        ) as http:
            before = await metrics(http, node)
            answers = await asyncio.gather(
                *(post_messages(http, node, [e.raw], tally) for e in over_http)
            )
            stored_http = sum(s == 201 for s, _ in answers)
            async with HostilePeer(node) as peer:
                for i in range(0, gossip_n, 256):
                    await peer.send("msgs", BODY, tuple(e.raw for e in over_gossip[i : i + 256]))

                def seen(m: dict[str, float]) -> float:
                    # each stranger's message is stored or refused by the quota
                    return metric(m, "caracol_stranger_messages") + metric(
                        m, "caracol_quota_refused_total"
                    )

                async def taken() -> bool:
                    done = seen(await metrics(http, node)) - seen(before)
                    return done >= stored_http + gossip_n or peer.closed.is_set()

                await until(taken, 120)
                bye = peer.bye
            after = await metrics(http, node)
        sampling = False
        await sampler
        refused = metric(after, "caracol_quota_refused_total") - metric(
            before, "caracol_quota_refused_total"
        )
        row.update(
            requests=http_n + gossip_n,
            rejected=tally.statuses[429] + int(refused),
            five_xx=tally.five_xx,
            http_429=tally.statuses[429],
            http_stored=stored_http,
            gossip_refused_quota=int(refused),
            stranger_messages=int(metric(after, "caracol_stranger_messages")),
            stranger_bytes=int(metric(after, "caracol_stranger_bytes")),
            quota_messages=node.config.stranger_messages,
            quota_bytes=node.config.stranger_bytes,
            link_closed=bye[0] if bye else None,
            peak_rss_flood_mb=round(node.memory()["hwm_mb"], 1),
            rss_max_sampled_mb=round(max(rss, default=0.0), 1),
        )


async def measure_want(node: HonestNode, rows: list[dict[str, Any]]) -> None:
    tally = Tally()
    chain_ids = {e.id for e in node.chain}
    async with attack(node, "want", rows, rejected_input=True) as row, HostilePeer(node) as peer:
        one = node.chain[0].id
        dup = ("want", BODY, (one,) * 4096)
        asked = len(canonical.encode(dup))
        mark = len(peer.messages)
        await peer.send(*dup)
        await peer.settle(lambda: peer.received(mark, chain_ids)[0])
        dup_msgs, dup_bytes = peer.received(mark, chain_ids)
        distinct = ("want", BODY, tuple(e.id for e in node.chain))
        asked_distinct = len(canonical.encode(distinct))
        mark = len(peer.messages)
        await peer.send(*distinct)
        await peer.settle(lambda: peer.received(mark, chain_ids)[0])
        got, got_bytes = peer.received(mark, chain_ids)
        row.update(
            requests=2,
            five_xx=tally.five_xx,
            want_asked_bytes=asked,
            want_answered_messages=dup_msgs,
            want_answered_bytes=dup_bytes,
            amplification=round(dup_bytes / asked, 4),
            distinct_asked_bytes=asked_distinct,
            distinct_answered_messages=got,
            distinct_answered_bytes=got_bytes,
            amplification_distinct=round(got_bytes / asked_distinct, 2),
            want_bytes_cap=WANT_BYTES,
        )


def _ranges(frame: bytes) -> tuple[int, Any, tuple[Any, ...], bool]:
    _, ftype, lower, body, last = canonical.decode(frame)
    return ftype, lower, body, last


async def _session_end(peer: HostilePeer, timeout: float = 30.0) -> list[bytes]:
    """The node's frames up to the end of its turn (its ``last`` frame)."""
    frames: list[bytes] = []
    while True:
        get = asyncio.ensure_future(peer.recon.get())
        closed = asyncio.ensure_future(peer.closed.wait())
        done, _ = await asyncio.wait(
            {get, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        closed.cancel()
        if get not in done:
            get.cancel()
            return frames
        frames.append(get.result())
        if _ranges(frames[-1])[3]:
            return frames


async def measure_recon(
    node: HonestNode, rows: list[dict[str, Any]], *, sessions: int = 20
) -> None:
    """Lying reconciliation: see the module docstring."""
    tally = Tally()
    nothing = canonical.encode((0, 1, b"", ((None, 2, ()),), True))
    async with attack(node, "lying reconciliation", rows, rejected_input=True) as row:
        async with aiohttp.ClientSession() as http:
            throttled0 = metric(await metrics(http, node), "caracol_peer_throttled_seconds_total")
        out = inn = 0
        held = set(await state(node))
        # 1. "I hold nothing", again and again: the node sends its log each time
        t = time.perf_counter()
        async with HostilePeer(node) as peer:
            for _ in range(sessions):
                await peer.send("recon", BODY, nothing)
                await _session_end(peer)
            await peer.settle(lambda: peer.received(0, held)[0])
            empty_messages = peer.received(0, held)[0]
            empty = {"in": peer.bytes_in, "out": peer.bytes_out}
        empty_seconds = time.perf_counter() - t
        out, inn = out + empty["out"], inn + empty["in"]
        async with aiohttp.ClientSession() as http:
            throttled = metric(await metrics(http, node), "caracol_peer_throttled_seconds_total")
        # 2. ids that exist nowhere: the node asks for them, nothing comes
        phantom = tuple(sorted(os.urandom(32) for _ in range(100)))
        async with HostilePeer(node) as peer:
            await peer.send(
                "recon", BODY, canonical.encode((0, 1, b"", ((None, 2, phantom),), True))
            )
            frames = await _session_end(peer)
            await peer.settle(lambda: peer.received(0, held)[0])
            needed = sum(len(_ranges(f)[2]) for f in frames if _ranges(f)[0] == 2)
            out, inn = out + peer.bytes_out, inn + peer.bytes_in
        # 3. contradictions: the session ends with a peer error, the link closes
        fp = bytes(16)
        lies: dict[str, list[tuple[Any, ...]]] = {
            "descending ranges": [(0, 1, b"", ((b"\x80", 1, fp), (b"\x40", 1, fp)), True)],
            "need never offered": [
                (0, 2, None, (os.urandom(32),), False),
                (0, 1, b"", ((None, 0, None),), True),
            ],
            "gap between frames": [
                (0, 1, b"", ((b"\x40", 1, fp),), False),
                (0, 1, b"\x80", ((None, 1, fp),), True),
            ],
            "id outside its range": [(0, 1, b"\x80", ((None, 2, (bytes(32),)),), True)],
        }
        closed: dict[str, str | None] = {}
        for name, frames_out in lies.items():
            async with HostilePeer(node) as peer:
                for f in frames_out:
                    await peer.send("recon", BODY, canonical.encode(f))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(peer.closed.wait(), 20)
                closed[name] = peer.bye[0] if peer.bye else None
                out, inn = out + peer.bytes_out, inn + peer.bytes_in
        # 4. every range answered with a random fingerprint, turn after turn
        turns = 0
        async with HostilePeer(node) as peer:
            await peer.send(
                "recon", BODY, canonical.encode((0, 1, b"", ((None, 1, os.urandom(16)),), True))
            )
            while turns < 200 and not peer.closed.is_set():
                frames = await _session_end(peer, timeout=20)
                ranges = [_ranges(f) for f in frames if _ranges(f)[0] == 1]
                if not ranges or not any(r[2] for r in ranges):
                    break
                turns += 1
                for k, (_, lower, body, _) in enumerate(ranges):
                    lie = tuple((r[0], 1, os.urandom(16)) for r in body)
                    await peer.send(
                        "recon", BODY, canonical.encode((0, 1, lower, lie, k == len(ranges) - 1))
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(peer.closed.wait(), 20)
            liar: dict[str, Any] = {
                "turns": turns,
                "bye": peer.bye,
                "in": peer.bytes_in,
                "out": peer.bytes_out,
            }
            out, inn = out + peer.bytes_out, inn + peer.bytes_in
        row.update(
            requests=sessions + 2 + len(lies),
            rejected=sum(v == "reconcile" for v in closed.values())
            + (liar["bye"] is not None and liar["bye"][0] == "reconcile"),
            five_xx=tally.five_xx,
            empty_sessions=sessions,
            empty_messages_sent=empty_messages,
            empty_amplification=round(empty["in"] / max(1, empty["out"]), 1),
            empty_messages_per_s=round(empty_messages / empty_seconds),
            peer_rate=node.config.peer_rate,
            throttled_seconds=round(throttled - throttled0, 2),
            phantom_needed=needed,
            contradictions_closed=closed,
            liar_turns=liar["turns"],
            liar_bye=liar["bye"][0] if liar["bye"] else None,
            liar_bytes_in=liar["in"],
            liar_bytes_out=liar["out"],
            recon_bytes_in=inn,
            recon_bytes_out=out,
            recon_amplification=round(inn / max(1, out), 1),
        )


async def _open(node: HonestNode) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", node.port)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop a connection with a TCP reset: no close frame, no FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def measure_slowloris(
    node: HonestNode,
    rows: list[dict[str, Any]],
    *,
    sockets: int = 300,
    seconds: float = 20.0,
) -> None:
    """Half the sockets send a request head a byte a second, half a body."""
    tally = Tally()
    async with attack(node, "slow-loris", rows, rejected_input=True) as row:
        conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        failed = 0
        for i in range(sockets):
            try:
                r, w = await _open(node)
            except OSError:
                failed += 1
                continue
            if i % 2:
                w.write(b"GET /v0/node HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            else:
                w.write(
                    f"POST /v0/bodies/{BODY.hex()}/messages HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/octet-stream\r\n"
                    "Content-Length: 100000\r\n\r\n".encode()
                )
            conns.append((r, w))
        released: dict[int, float] = {}
        """socket -> seconds until the node answered it (408) or closed it"""
        answers: Counter[str] = Counter()
        t0 = time.monotonic()

        async def watch(k: int, r: asyncio.StreamReader) -> None:
            try:
                data = await r.read(65536)
                released[k] = time.monotonic() - t0
                if data:
                    answers[data.split(b"\r\n", 1)[0].decode(errors="replace")] += 1
                    if data.startswith(b"HTTP/1.1 5"):
                        tally.statuses[500] += 1
                    while await r.read(65536):  # aiohttp lingers, reading the rest
                        pass
            except OSError:
                released.setdefault(k, time.monotonic() - t0)

        watchers = [asyncio.create_task(watch(k, r)) for k, (r, _) in enumerate(conns)]
        slowest = 0.0
        checks = 0
        unanswered = 0
        while time.monotonic() - t0 < seconds:
            for _, w in conns:
                if not w.is_closing():
                    with contextlib.suppress(OSError):
                        w.write(b"a")
            ms = await healthy(node, timeout=30)
            checks += 1
            if ms is None:
                unanswered += 1
            else:
                slowest = max(slowest, ms)
            await asyncio.sleep(max(0.0, 1.0 - (ms or 0) / 1000))
        in_time = [s for s in released.values() if s < seconds]
        for w in (w for _, w in conns):
            _reset(w)
        await asyncio.gather(*watchers, return_exceptions=True)
        row.update(
            requests=sockets + checks,
            rejected=len(in_time),
            five_xx=tally.five_xx,
            sockets=sockets,
            connect_failed=failed,
            released=len(in_time),
            latest_release_s=round(max(in_time, default=0), 1),
            still_open=len(conns) - len(in_time),
            answers=dict(answers),
            health_checks=checks,
            health_unanswered=unanswered,
            slowloris_health_ms=round(slowest, 1),
            header_timeout=getattr(node.config, "header_timeout", None),
            body_timeout=getattr(node.config, "body_timeout", None),
        )


async def measure_connections(
    node: HonestNode, rows: list[dict[str, Any]], *, n: int = 1000
) -> None:
    """``n`` sockets opened at once, then one request on each."""
    raise_nofile(n + 512)
    paths = [
        "/v0/node",
        f"/v0/bodies/{BODY.hex()}",
        f"/v0/bodies/{BODY.hex()}/proposals",
        f"/v0/bodies/{BODY.hex()}/messages?limit=20",
    ]
    tally = Tally()
    async with attack(node, "connections", rows, rejected_input=True) as row:
        opened = await asyncio.gather(*(_open(node) for _ in range(n)), return_exceptions=True)
        conns = [c for c in opened if not isinstance(c, BaseException)]
        refused = n - len(conns)
        await asyncio.sleep(0.5)
        fds = node.memory()["fds"]

        async def ask(k: int, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                path = paths[k % len(paths)]
                w.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                data = await asyncio.wait_for(r.read(), 120)
                status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
                if status:
                    tally.statuses[status] += 1
                else:
                    tally.failed += 1
            except (OSError, TimeoutError, ValueError, IndexError):
                tally.failed += 1
            finally:
                w.close()

        t = time.perf_counter()
        await asyncio.gather(*(ask(k, r, w) for k, (r, w) in enumerate(conns)))
        seconds = time.perf_counter() - t
        after_ms = await healthy(node)
        row.update(
            requests=n,
            rejected=refused + tally.failed,
            five_xx=tally.five_xx,
            connections=n,
            connections_refused=refused,
            connections_failed=refused + tally.failed,
            statuses={str(s): c for s, c in sorted(tally.statuses.items())},
            node_fds=fds,
            answer_seconds=round(seconds, 2),
            health_after_ms=None if after_ms is None else round(after_ms, 1),
        )


async def _subscribe(
    node: HonestNode, websocket: bool, body: bytes
) -> tuple[asyncio.StreamWriter, bytes]:
    r, w = await _open(node)
    path = f"/v0/bodies/{body.hex()}/events"
    if websocket:
        key = base64.b64encode(os.urandom(16)).decode()
        head = (
            f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    else:
        head = f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
    w.write(head.encode())
    answer = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 30)
    return w, answer.split(b"\r\n", 1)[0]


async def measure_subscribers(
    node: HonestNode, rows: list[dict[str, Any]], *, ws: int = 200, sse: int = 200
) -> None:
    """WebSocket and SSE subscribers that vanish (a TCP reset, no close):
    half of them on the quiet body, where nothing is posted that could find
    them gone, half on the Community, which then gets messages."""
    tally = Tally()
    async with attack(node, "vanishing subscribers", rows, rejected_input=True) as row:
        async with aiohttp.ClientSession() as http:
            base = metric(await metrics(http, node), "caracol_subscribers")
            kinds_ = [(k < ws, QUIET.body if k % 2 else BODY) for k in range(ws + sse)]
            subs = await asyncio.gather(
                *(_subscribe(node, w, b) for w, b in kinds_), return_exceptions=True
            )
            live: dict[bytes, list[asyncio.StreamWriter]] = {BODY: [], QUIET.body: []}
            failed = 0
            for (_, b), sub in zip(kinds_, subs, strict=True):
                if isinstance(sub, BaseException):
                    failed += 1
                    continue
                status = int(sub[1].split(b" ")[1])
                tally.statuses[status] += 1
                if status in (101, 200):
                    live[b].append(sub[0])
            subscribed = sum(len(v) for v in live.values())

            async def count() -> float:
                return metric(await metrics(http, node), "caracol_subscribers")

            await until(lambda: _ge(count, base + subscribed), 20)
            peak = await count()
            rss_peak = node.memory()["rss_mb"]
            for w in live[QUIET.body]:
                _reset(w)
            t = time.monotonic()
            await until(lambda: _le(count, base + len(live[BODY])), 30)
            quiet_left = await count() - base - len(live[BODY])
            quiet_seconds = time.monotonic() - t
            for w in live[BODY]:
                _reset(w)
            await asyncio.sleep(0.2)
            for i in range(3):
                e = comment(CONTROL, 10 + i, f"to nobody {i}")
                status, _ = await post_messages(http, node, [e.raw], tally)
                if status == 201:
                    node.honest.append(e)
            await until(lambda: _le(count, base), 30)
            left = await count() - base
        row.update(
            requests=ws + sse + 3,
            rejected=failed,
            five_xx=tally.five_xx,
            subscribed=subscribed,
            subscribe_failed=failed,
            subscribers_peak=int(peak - base),
            subscribers_left=int(left),
            quiet_left=int(quiet_left),
            quiet_release_s=round(quiet_seconds, 1),
            rss_with_subscribers_mb=round(rss_peak, 1),
        )


async def _ge(f: Callable[[], Awaitable[float]], v: float) -> bool:
    return await f() >= v


async def _le(f: Callable[[], Awaitable[float]], v: float) -> bool:
    return await f() <= v


async def measure_kill(node: HonestNode, rows: list[dict[str, Any]]) -> None:
    """SIGKILL during a burst of honest posts, then restart: nothing
    acknowledged is lost, and the bounds (pending per peer, the quota) hold
    after the replay."""
    t = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        before = await metrics(http, node)
    async with HonestMember(node, every=0.02) as member:
        await asyncio.sleep(0.6)
        node.kill()
        await asyncio.sleep(0.2)
    node.start()
    held = set(await state(node))
    async with aiohttp.ClientSession() as http:
        after = await metrics(http, node)
    lost = [e for e in node.honest if e.id not in held]
    rows.append(
        {
            "attack": "kill",
            "requests": member.tally.requests,
            "rejected": 0,
            "five_xx": member.tally.five_xx,
            "seconds": round(time.perf_counter() - t, 2),
            "acknowledged": len(node.honest),
            "lost": len(lost),
            "pending_before": int(metric(before, "caracol_pending_messages")),
            "pending_after": int(metric(after, "caracol_pending_messages")),
            "stranger_messages_before": int(metric(before, "caracol_stranger_messages")),
            "stranger_messages_after": int(metric(after, "caracol_stranger_messages")),
            "node_alive": node.alive(),
            "honest_kept": not lost,
        }
    )


# --- the report -----------------------------------------------------------------------------


def escapes(rows: list[dict[str, Any]], node: HonestNode) -> list[str]:
    """Every outcome that went wrong, named."""
    out = []
    by = {r["attack"]: r for r in rows}
    for r in rows:
        a = r["attack"]
        if "error" in r:
            out.append(f"{a}: the attack itself failed ({r['error']})")
        if r.get("five_xx") or r.get("honest_five_xx"):
            out.append(f"{a}: 5xx answers")
        if r.get("node_alive") is False:
            out.append(f"{a}: the node stopped answering")
        if r.get("honest_kept") is False:
            out.append(f"{a}: an honest message went missing")
        if r.get("state_kept") is False:
            out.append(f"{a}: rejected input changed the state")
    checks: list[tuple[str, Callable[[dict[str, Any]], bool], str]] = [
        ("forged", lambda r: r["forged_stored"] == 0, "a forged message was stored"),
        ("equivocation", lambda r: r["equivocations_applied"] == 0, "an equivocation counted"),
        ("equivocation", lambda r: r["both_kept"], "evidence of equivocation not kept"),
        ("orphans", lambda r: r["orphans_kept"] <= ORPHAN_CAP, "orphans over the peer's share"),
        ("orphans", lambda r: r["honest_child_released"], "an honest pending child was lost"),
        (
            "flood",
            lambda r: (
                r["stranger_messages"] <= r["quota_messages"]
                and r["stranger_bytes"] <= r["quota_bytes"]
            ),
            "strangers stored past the quota",
        ),
        ("want", lambda r: r["amplification"] < 1, "a duplicate-id want was amplified"),
        (
            "lying reconciliation",
            lambda r: (
                all(v == "reconcile" for v in r["contradictions_closed"].values())
                and r["liar_bye"] == "reconcile"
            ),
            "a lying reconciliation session was not ended",
        ),
        ("slow-loris", lambda r: r["health_unanswered"] == 0, "the honest client starved"),
        (
            "slow-loris",
            # only when the attack outlasted both timeouts
            lambda r: (
                r["still_open"] == 0
                or r["seconds"] <= max(r["header_timeout"] or 0, r["body_timeout"] or 0) + 1
            ),
            "slow-loris connections outlived the header and body timeouts",
        ),
        ("connections", lambda r: r["connections_failed"] == 0, "connections failed"),
        (
            "vanishing subscribers",
            lambda r: r["subscribers_left"] == 0 and r["quiet_left"] == 0,
            "vanished subscribers were kept",
        ),
        ("kill", lambda r: r["lost"] == 0, "an acknowledged message was lost"),
    ]
    for attack_name, ok, what in checks:
        if attack_name in by and "error" not in by[attack_name] and not ok(by[attack_name]):
            out.append(f"{attack_name}: {what}")
    if node.unhandled():
        out.append(f"the node logged {node.unhandled()} unhandled exceptions")
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connections", type=int, default=1000, help="concurrent connections")
    p.add_argument("--flood", type=int, default=6000, help="stranger messages over gossip")
    p.add_argument("--flood-http", type=int, default=300, help="stranger posts over HTTP")
    p.add_argument("--orphans", type=int, default=5000)
    p.add_argument("--forged", type=int, default=200)
    p.add_argument("--loris", type=int, default=300, help="slow-loris sockets")
    p.add_argument(
        "--loris-seconds", type=float, default=17.0, help="past limits.header_timeout (15 s)"
    )
    p.add_argument("--subscribers", type=int, default=400, help="WebSocket + SSE subscribers")
    p.add_argument("--recon-sessions", type=int, default=20)
    p.add_argument("--chain", type=int, default=700, help="members' comments the node holds")
    p.add_argument("--nofile", type=int, default=1024, help="the node's soft open-files limit")
    p.add_argument(
        "--body-timeout",
        type=float,
        default=10.0,
        help="the node's limits.body_timeout (its default is 60 s; shortened so the run ends)",
    )


async def run_all(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    raise_nofile(args.connections + args.loris + args.subscribers + 1024)
    limits = {"body_timeout": args.body_timeout}
    node = HonestNode(root, chain_length=args.chain, nofile=args.nofile, limits=limits)
    rows: list[dict[str, Any]] = []
    t = time.perf_counter()
    half = args.subscribers // 2
    cases: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("forged", lambda: measure_forged(node, rows, n=args.forged)),
        ("equivocation", lambda: measure_equivocation(node, rows)),
        ("orphans", lambda: measure_orphans(node, rows, n=args.orphans)),
        ("want", lambda: measure_want(node, rows)),
        ("lying reconciliation", lambda: measure_recon(node, rows, sessions=args.recon_sessions)),
        ("flood", lambda: measure_flood(node, rows, http_n=args.flood_http, gossip_n=args.flood)),
        (
            "slow-loris",
            lambda: measure_slowloris(node, rows, sockets=args.loris, seconds=args.loris_seconds),
        ),
        ("connections", lambda: measure_connections(node, rows, n=args.connections)),
        (
            "vanishing subscribers",
            lambda: measure_subscribers(node, rows, ws=half, sse=args.subscribers - half),
        ),
        ("kill", lambda: measure_kill(node, rows)),
    ]
    with node:
        start = node.memory()
        for name, case in cases:
            try:
                await case()
            except Exception as exc:  # the bench reports it; the tests let it raise
                rows.append({"attack": name, "error": f"{type(exc).__name__}: {exc}"})
        alive = node.alive() and await healthy(node) is not None
        escaped = escapes(rows, node)
        unhandled = node.unhandled()
    by = {r["attack"]: r for r in rows}

    def pick(name: str, key: str) -> Any:
        return by.get(name, {}).get(key)

    return {
        "cases": len(rows),
        "escapes": len(escaped),
        "escaped": escaped,
        "kills": node.kills,
        "acknowledged": pick("kill", "acknowledged"),
        "lost": pick("kill", "lost"),
        "five_xx": sum(r["five_xx"] + r.get("honest_five_xx", 0) for r in rows),
        "amplification": pick("want", "amplification"),
        "amplification_distinct": pick("want", "amplification_distinct"),
        "recon_amplification": pick("lying reconciliation", "recon_amplification"),
        "peak_rss_flood_mb": pick("flood", "peak_rss_flood_mb"),
        "peak_rss_mb": round(node.peak_hwm_kb / 1024, 1),
        "rss_start_mb": round(start["rss_mb"], 1),
        "forged_stored": pick("forged", "forged_stored"),
        "equivocations_applied": pick("equivocation", "equivocations_applied"),
        "orphans_kept": pick("orphans", "orphans_kept"),
        "slowloris_health_ms": pick("slow-loris", "slowloris_health_ms"),
        "connections": pick("connections", "connections"),
        "connections_failed": pick("connections", "connections_failed"),
        "subscribers_left": pick("vanishing subscribers", "subscribers_left"),
        "node_alive": alive,
        "unhandled_exceptions": unhandled,
        "node_nofile_soft": args.nofile,
        "seconds": round(time.perf_counter() - t, 1),
        "rows": [
            {k: r.get(k) for k in ("attack", "requests", "rejected", "five_xx", "seconds")}
            for r in rows
        ],
        "details": {r["attack"]: r for r in rows},
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caracol-hostile-") as tmp:
        return asyncio.run(run_all(args, Path(tmp)))
