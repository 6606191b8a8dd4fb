"""Gossip between nodes: authenticated WebSocket links, reconciliation, push.

Why this shape. Sibling nodes must converge on every body they share,
whatever was missed while a link was down, and hear new messages at once
while it is up. So each link runs, per shared body:

* **reconciliation** (``crdt.reconcile``) when the link comes up and every
  ``sync_interval`` seconds: each side learns exactly which messages the
  other lacks and sends them, parents first;
* **push**: every message this node accepts (from a member, or another peer)
  is sent to every other live link at once;
* **want**: when a pushed message arrives before its parents, the parents'
  ids are asked for.

Links are authenticated by the node keys (``node.peering``: a signed
challenge handshake, peers pinned by key in the config). A node dials every
configured peer and accepts connections from configured peers only; when two
nodes dial each other, the link dialled by the node with the smaller key is
kept. Failing peers are retried with exponential back-off. A peer that
sends forgeries or garbage has each message rejected and recorded; after
``MAX_STRIKES`` it is disconnected with the reason logged. Per-link limits
bound frame size and message rate. Nothing a peer sends can crash the node.

Wire format (spec/node.md): WebSocket binary frames, each one canonical
msgpack array ``[type, ...]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from crdt.reconcile import Done, HaveIds, PeerError, Session, SortedIds
from protocol import canonical
from protocol.envelope import Envelope
from protocol.errors import ProtocolError
from protocol.keys import key_from_text, public_key

from .config import Config, Peer
from .ingest import Ingest, Status
from .peering import Handshake, HandshakeError

log = logging.getLogger("caracol.gossip")

MAX_STRIKES = 5
MAX_BATCH = 1024
"""Most messages one ``msgs`` frame may carry (senders use ``max_batch``, default 256)."""
MAX_FRAME = 4 * 1024 * 1024
HANDSHAKE_TIMEOUT = 10.0
MAX_WANT_IDS = 4096
WANT_BYTES = 1024 * 1024
"""Most bytes of messages one ``want`` is answered with: a want of 4,096 ids
(132 KiB) could otherwise ask for 4,096 messages of 16 KiB (64 MiB). What
is left out the peer asks for again, or reconciliation brings."""


class LinkClosed(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def delay(self, n: int) -> float:
        """Take n tokens; return how long to wait before they are earned
        (the caller sleeps: backpressure, not disconnection)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= n
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass
class LinkStats:
    received: int = 0
    sent: int = 0
    rejected: int = 0
    syncs: int = 0
    connected_at: float = 0.0


class Link:
    """One authenticated WebSocket to a peer (either direction)."""

    def __init__(
        self,
        gossip: Gossip,
        ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
        peer_key: bytes,
        name: str,
        *,
        dialled_by: bytes,
    ) -> None:
        self.gossip = gossip
        self.ws = ws
        self.peer_key = peer_key
        self.name = name
        self.dialled_by = dialled_by
        self.sessions: dict[bytes, Session] = {}
        self.strikes = 0
        self.stats = LinkStats(connected_at=time.time())
        cfg = gossip.config
        self.bucket = TokenBucket(cfg.peer_rate, max(cfg.peer_rate * 2, 1.0))
        self.throttled = 0.0
        self.wants_answered = 0
        self.closed = asyncio.Event()

    async def send(self, *items: Any) -> None:
        if self.ws.closed:
            return
        await self.ws.send_bytes(canonical.encode(items))

    async def close(self, code: str, reason: str) -> None:
        if not self.ws.closed:
            with contextlib.suppress(Exception):
                await self.send("bye", code, reason)
            await self.ws.close()
        self.closed.set()

    # --- reconciliation -------------------------------------------------------------

    async def start_sync(self, body_id: bytes) -> None:
        ingest = self.gossip.ingest
        if body_id not in ingest.bodies or body_id in self.sessions:
            return
        ids = await self.gossip.run_store(lambda: list(ingest.bodies[body_id].log.ids()))
        session = Session(SortedIds(ids), max_frame=256 * 1024, now=time.monotonic())
        self.sessions[body_id] = session
        session.initiate()
        await self._flush(body_id, session)

    async def _flush(self, body_id: bytes, session: Session) -> None:
        for frame in session.frames_to_send():
            await self.send("recon", body_id, frame)
        for event in session.events():
            if isinstance(event, HaveIds):
                await self.send_messages(body_id, event.ids)
            elif isinstance(event, Done):
                self.sessions.pop(body_id, None)
                self.stats.syncs += 1
                self.gossip.sync_count += 1
            elif isinstance(event, PeerError):
                self.sessions.pop(body_id, None)
                raise LinkClosed("reconcile", f"{event.code}: {event.reason}")

    async def send_messages(
        self,
        body_id: bytes,
        ids: tuple[bytes, ...] | list[bytes],
        *,
        budget: int | None = None,
    ) -> int:
        """Send the messages of ``ids`` this node holds, parents first, at
        most ``budget`` bytes of them; returns how many were sent. The log is
        read on the store thread, which owns it."""
        body = self.gossip.ingest.bodies.get(body_id)
        if body is None:
            return 0

        def collect() -> list[bytes]:
            held = [m for m in dict.fromkeys(ids) if m in body.log]
            held.sort(key=body.log.index)  # parents before children
            raws, size = [], 0
            for m in held:
                raw = body.log.get(m).raw
                if budget is not None and size + len(raw) > budget:
                    break
                raws.append(raw)
                size += len(raw)
            return raws

        raws = await self.gossip.run_store(collect)
        batch = self.gossip.config.max_batch
        for i in range(0, len(raws), batch):
            await self.send("msgs", body_id, raws[i : i + batch])
            self.stats.sent += len(raws[i : i + batch])
        return len(raws)

    # --- receiving --------------------------------------------------------------------

    async def handle(self, data: bytes) -> None:
        try:
            frame = canonical.decode(data, max_bytes=MAX_FRAME)
        except ProtocolError as exc:
            raise LinkClosed("malformed", f"frame is not canonical: {exc}") from None
        if type(frame) is not tuple or not frame or type(frame[0]) is not str:
            raise LinkClosed("malformed", "a frame is an array starting with its type")
        kind, args = frame[0], frame[1:]
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise LinkClosed("malformed", f"unknown frame type {kind!r}")
        if not _arity_ok(handler, args):
            raise LinkClosed("malformed", f"{kind} frame has the wrong number of fields")
        await handler(self, *args)

    async def on_recon(self, body_id: object, payload: object) -> None:
        body_id = _id32(body_id)
        if type(payload) is not bytes:
            raise LinkClosed("malformed", "recon carries bytes")
        if body_id not in self.gossip.ingest.bodies:
            return
        session = self.sessions.get(body_id)
        if session is None:
            ingest = self.gossip.ingest
            ids = await self.gossip.run_store(lambda: list(ingest.bodies[body_id].log.ids()))
            session = Session(SortedIds(ids), max_frame=256 * 1024, now=time.monotonic())
            self.sessions[body_id] = session
        session.receive_frame(payload, time.monotonic())
        await self._flush(body_id, session)

    async def on_msgs(self, body_id: object, raws: object) -> None:
        body_id = _id32(body_id)
        if type(raws) is not tuple or not all(type(r) is bytes for r in raws):
            raise LinkClosed("malformed", "msgs carries an array of bin")
        if len(raws) > MAX_BATCH:
            raise LinkClosed("limit", f"batch of {len(raws)} messages exceeds {MAX_BATCH}")
        wait = self.bucket.delay(len(raws))
        if wait > 0:
            # Over this peer's rate: stop reading for a while. TCP backpressure
            # slows an honest peer's bulk sync; a flooder gains nothing.
            self.throttled += wait
            await asyncio.sleep(wait)
        self.stats.received += len(raws)
        await self.gossip.receive(self, body_id, list(raws))

    async def on_want(self, body_id: object, ids: object) -> None:
        body_id = _id32(body_id)
        if type(ids) is not tuple or len(ids) > MAX_WANT_IDS:
            raise LinkClosed("malformed", f"want carries at most {MAX_WANT_IDS} ids")
        # Bounded work per want: each distinct id answered once (duplicates
        # once cost 5.6x what was asked), at most WANT_BYTES in all, and the
        # messages sent count against this peer's rate like those it sends:
        # a peer repeating wants is slowed by not being read, not served.
        sent = await self.send_messages(
            body_id, list(dict.fromkeys(_id32(i) for i in ids)), budget=WANT_BYTES
        )
        self.wants_answered += sent
        wait = self.bucket.delay(sent)
        if wait > 0:
            self.throttled += wait
            await asyncio.sleep(wait)

    async def on_bye(self, code: object, reason: object) -> None:
        raise LinkClosed("peer_closed", f"{code}: {reason}")

    def strike(self, reason: str) -> None:
        self.strikes += 1
        self.stats.rejected += 1
        log.warning("peer %s sent a bad message: %s (strike %d)", self.name, reason, self.strikes)
        if self.strikes >= MAX_STRIKES:
            raise LinkClosed("misbehaving", f"{self.strikes} invalid messages; last: {reason}")


_HANDLERS: dict[str, Callable[..., Any]] = {
    "recon": Link.on_recon,
    "msgs": Link.on_msgs,
    "want": Link.on_want,
    "bye": Link.on_bye,
}


def _arity_ok(handler: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    return handler.__code__.co_argcount - 1 == len(args)


def _id32(value: object) -> bytes:
    if type(value) is not bytes or len(value) != 32:
        raise LinkClosed("malformed", "a body or message id is 32 bytes")
    return value


class Gossip:
    """All links of one node."""

    def __init__(
        self,
        config: Config,
        ingest: Ingest,
        run_store: Callable[[Callable[[], Any]], Any],
        node_seed: bytes,
    ) -> None:
        self.config = config
        self.ingest = ingest
        self.run_store = run_store
        self.seed = node_seed
        self.key = public_key(node_seed)
        self.pinned: dict[bytes, Peer] = {}
        for p in config.peers:
            self.pinned[key_from_text(p.node_key)] = p
        self.links: dict[bytes, Link] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.sync_count = 0
        self.running = False
        self.disconnects: dict[str, int] = {}
        self.on_new_body: Callable[[bytes], None] | None = None

    # --- lifecycle ------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v0/peer", self.accept)]

    async def start(self) -> None:
        self.running = True
        for key, peer in self.pinned.items():
            self.tasks.append(asyncio.create_task(self._dial_loop(key, peer)))
        self.tasks.append(asyncio.create_task(self._periodic()))

    def add_peer(self, peer: Peer) -> None:
        """Pin and dial a new peer (also while running)."""
        key = key_from_text(peer.node_key)
        self.pinned[key] = peer
        if self.running:
            self.tasks.append(asyncio.create_task(self._dial_loop(key, peer)))

    async def stop(self) -> None:
        self.running = False
        for t in self.tasks:
            t.cancel()
        for t in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for link in list(self.links.values()):
            await link.close("shutdown", "node stopping")
        self.tasks.clear()

    # --- pushing --------------------------------------------------------------------

    def publish(self, body_id: bytes, accepted: tuple[Envelope, ...], origin: str) -> None:
        """Push newly accepted messages to every live link but their origin."""
        for link in list(self.links.values()):
            if origin == f"peer {link.name}" or link.ws.closed:
                continue
            raws = [e.raw for e in accepted]
            task = asyncio.ensure_future(self._push(link, body_id, raws))
            self.tasks.append(task)
            task.add_done_callback(lambda t: self.tasks.remove(t) if t in self.tasks else None)

    async def _push(self, link: Link, body_id: bytes, raws: list[bytes]) -> None:
        batch = self.config.max_batch
        with contextlib.suppress(Exception):
            for i in range(0, len(raws), batch):
                await link.send("msgs", body_id, raws[i : i + batch])
                link.stats.sent += len(raws[i : i + batch])

    # --- receiving ------------------------------------------------------------------

    def wanted_bodies(self) -> list[bytes]:
        """Bodies the config asks for that this node does not hold yet."""
        held = self.ingest.bodies
        return [b for b in (bytes.fromhex(h) for h in self.config.bodies) if b not in held]

    async def receive(self, link: Link, body_id: bytes, raws: list[bytes]) -> None:
        if body_id not in self.ingest.bodies:
            if body_id in self.wanted_bodies():
                await self._join(link, body_id, raws)
            return
        origin = f"peer {link.name}"
        outcomes = await self.run_store(lambda: self.ingest.submit(body_id, raws, origin=origin))
        wanted: list[bytes] = []
        for o in outcomes:
            if o.status is Status.REJECTED and o.code != "quota_exceeded":
                # a quota refusal is this node's limit, not the peer's fault: an
                # honest peer relays what it (with another quota) stored
                link.strike(f"{o.code}: {o.reason}")
            elif o.status is Status.PENDING:
                wanted.extend(o.missing)
        if wanted:
            await link.send("want", body_id, tuple(sorted(set(wanted))))

    async def _join(self, link: Link, body_id: bytes, raws: list[bytes]) -> None:
        """A body we were told to join: its genesis (id = body id) founds it
        here, then a reconciliation fetches the rest."""
        from protocol.envelope import message_id

        for raw in raws:
            if message_id(raw) == body_id:
                found = functools.partial(self.ingest.found, raw, origin=f"peer {link.name}")
                try:
                    await self.run_store(found)
                except ProtocolError as exc:
                    link.strike(f"{exc.code}: {exc.reason}")
                    return
                if self.on_new_body is not None:
                    self.on_new_body(body_id)
                log.info("joined body %s from %s", body_id.hex()[:16], link.name)
                await link.start_sync(body_id)
                return

    # --- connections ------------------------------------------------------------------

    async def accept(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30)
        await ws.prepare(request)
        try:
            peer_key = await asyncio.wait_for(self._handshake(ws, None), HANDSHAKE_TIMEOUT)
        except (TimeoutError, HandshakeError, LinkClosed, ProtocolError) as exc:
            log.warning("refused a peer connection: %s", exc)
            self._count("handshake")
            with contextlib.suppress(Exception):
                await ws.send_bytes(canonical.encode(("bye", "handshake", str(exc))))
            await ws.close()
            return ws
        peer = self.pinned[peer_key]
        await self._run_link(ws, peer_key, peer.name, dialled_by=peer_key)
        return ws

    async def _dial_loop(self, key: bytes, peer: Peer) -> None:
        delay = 1.0
        while self.running:
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.ws_connect(
                        f"{peer.url}/v0/peer", max_msg_size=MAX_FRAME, heartbeat=30
                    ) as ws,
                ):
                    await asyncio.wait_for(self._handshake(ws, key), HANDSHAKE_TIMEOUT)
                    delay = 1.0
                    await self._run_link(ws, key, peer.name, dialled_by=self.key)
            except asyncio.CancelledError:
                raise
            except HandshakeError as exc:
                self._count("handshake")
                log.warning(
                    "peer %s failed the handshake: %s; retrying in %.0f s", peer.name, exc, delay
                )
            except Exception as exc:
                log.info(
                    "peer %s unreachable or closed: %s; retrying in %.0f s", peer.name, exc, delay
                )
            if not self.running:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.backoff_max)

    async def _handshake(
        self, ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse, expect: bytes | None
    ) -> bytes:
        hs = Handshake(self.seed, os.urandom(32), pinned=expect)
        await ws.send_bytes(canonical.encode(("hello", hs.hello.node_key, hs.hello.nonce)))
        hello = canonical.decode(await _receive_bytes(ws))
        if type(hello) is not tuple or len(hello) != 3 or hello[0] != "hello":
            raise HandshakeError(f"expected hello, got {hello!r:.60}")
        peer_key = hello[1]
        if type(peer_key) is not bytes:  # before the lookup: a map or an array is not hashable
            raise HandshakeError(f"the hello's node_key is bin, not {type(peer_key).__name__}")
        if expect is None and peer_key not in self.pinned:
            raise HandshakeError("unknown node key: not a configured peer")
        proof = hs.receive_hello({"node_key": _hex(hello[1]), "nonce": _hex(hello[2])})
        await ws.send_bytes(canonical.encode(("proof", bytes.fromhex(proof["sig"]))))
        answer = canonical.decode(await _receive_bytes(ws))
        if type(answer) is not tuple or len(answer) != 2 or answer[0] != "proof":
            raise HandshakeError("expected proof")
        return hs.receive_proof({"sig": _hex(answer[1])})

    async def _run_link(
        self,
        ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
        peer_key: bytes,
        name: str,
        *,
        dialled_by: bytes,
    ) -> None:
        link = Link(self, ws, peer_key, name, dialled_by=dialled_by)
        existing = self.links.get(peer_key)
        if existing is not None and not existing.ws.closed:
            # Two links to one peer: keep the one dialled by the smaller key.
            if existing.dialled_by <= dialled_by:
                await link.close("duplicate", "a link to this peer exists")
                return
            await existing.close("duplicate", "replaced by the preferred link")
        self.links[peer_key] = link
        log.info("linked to peer %s", name)
        try:
            for body_id in self.wanted_bodies():
                await link.send("want", body_id, (body_id,))
            if dialled_by == self.key:
                for body_id in list(self.ingest.bodies):
                    await link.start_sync(body_id)
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    await link.handle(msg.data)
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    raise LinkClosed("malformed", "text frames are not used")
                else:
                    break
        except LinkClosed as exc:
            if exc.code != "peer_closed":
                log.warning("closing link to %s: %s", name, exc)
                self._count(exc.code)
            await link.close(exc.code, exc.reason)
        finally:
            if self.links.get(peer_key) is link:
                del self.links[peer_key]
            link.closed.set()

    def _count(self, code: str) -> None:
        self.disconnects[code] = self.disconnects.get(code, 0) + 1

    async def _periodic(self) -> None:
        while self.running:
            await asyncio.sleep(min(self.config.sync_interval, 5.0))
            now = time.monotonic()
            for link in list(self.links.values()):
                for session in list(link.sessions.values()):
                    session.handle_timer(now)
                try:
                    for body_id, session in list(link.sessions.items()):
                        await link._flush(body_id, session)
                    if (
                        link.dialled_by == self.key
                        and now - getattr(link, "_last_sync", 0) >= self.config.sync_interval
                    ):
                        link._last_sync = now  # type: ignore[attr-defined]
                        for body_id in list(self.ingest.bodies):
                            await link.start_sync(body_id)
                except LinkClosed as exc:
                    await link.close(exc.code, exc.reason)
                except Exception as exc:
                    log.info("periodic sync with %s failed: %s", link.name, exc)

    def metrics(self) -> list[str]:
        lines = [
            "# HELP caracol_peers_linked Authenticated peer links.",
            "# TYPE caracol_peers_linked gauge",
            f"caracol_peers_linked {len(self.links)}",
            "# HELP caracol_syncs_total Completed reconciliations.",
            "# TYPE caracol_syncs_total counter",
            f"caracol_syncs_total {self.sync_count}",
            "# HELP caracol_peer_disconnects_total Links closed, by reason.",
            "# TYPE caracol_peer_disconnects_total counter",
        ]
        lines += [
            f'caracol_peer_disconnects_total{{reason="{c}"}} {n}'
            for c, n in sorted(self.disconnects.items())
        ]
        lines += [
            "# HELP caracol_peer_messages_total Messages exchanged per peer.",
            "# TYPE caracol_peer_messages_total counter",
        ]
        metric = "caracol_peer_messages_total"
        for link in self.links.values():
            lines.append(f'{metric}{{peer="{link.name}",direction="in"}} {link.stats.received}')
            lines.append(f'{metric}{{peer="{link.name}",direction="out"}} {link.stats.sent}')
        return lines


async def _receive_bytes(ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse) -> bytes:
    msg = await ws.receive()
    if msg.type != aiohttp.WSMsgType.BINARY:
        raise HandshakeError(f"expected a binary frame during the handshake, got {msg.type.name}")
    data: bytes = msg.data
    return data


def _hex(value: object) -> str:
    if type(value) is not bytes:
        raise HandshakeError("handshake fields are bin")
    return value.hex()
