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

The link protocol itself is ``node.gossip_link.GossipLink``, a sans-IO state
machine; this module is its driver: aiohttp WebSockets, the store thread
(``run_store``) for what a link asks of the node, and asyncio tasks for
dialling, pushing and the periodic reconciliation. node/ runs on asyncio
(aiohttp's loop); the state machines it drives run under any loop, or none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web

from protocol import canonical
from protocol.envelope import Envelope, message_id
from protocol.errors import ProtocolError
from protocol.keys import key_from_text, public_key

from .backoff import Backoff
from .config import Config, Peer
from .gossip_link import (
    MAX_BATCH,
    MAX_FRAME,
    MAX_STRIKES,
    MAX_WANT_IDS,
    WANT_BYTES,
    Authenticated,
    Closed,
    GossipLink,
    LinkStats,
    Messages,
    Snapshot,
    SyncDone,
    TokenBucket,
    Wanted,
)
from .ingest import Ingest
from .peering import HandshakeError

__all__ = [
    "HANDSHAKE_TIMEOUT",
    "MAX_BATCH",
    "MAX_FRAME",
    "MAX_STRIKES",
    "MAX_WANT_IDS",
    "WANT_BYTES",
    "Gossip",
    "Link",
    "LinkStats",
    "TokenBucket",
]

log = logging.getLogger("caracol.gossip")

HANDSHAKE_TIMEOUT = 10.0
PEER_FAULTS = frozenset({"malformed", "limit", "reconcile", "misbehaving"})
"""Closes that are the peer's fault: it waits out a penalty before linking again."""

WebSocket = web.WebSocketResponse | aiohttp.ClientWebSocketResponse


class Link:
    """The driver's side of one link: its WebSocket, the state machine, and
    a lock so that frames go out in the order the machine made them."""

    def __init__(
        self, gossip: Gossip, ws: WebSocket, machine: GossipLink, name: str, *, dialled_by: bytes
    ) -> None:
        self.gossip = gossip
        self.ws = ws
        self.machine = machine
        self.name = name
        self.dialled_by = dialled_by
        self.last_sync = 0.0
        self._lock = asyncio.Lock()

    @property
    def peer_key(self) -> bytes | None:
        return self.machine.peer_key

    @property
    def stats(self) -> LinkStats:
        return self.machine.stats

    @property
    def throttled(self) -> float:
        return self.machine.stats.throttled

    @property
    def wants_answered(self) -> int:
        return self.machine.stats.wants_answered

    async def send(self, *items: Any) -> None:
        """One raw frame, outside the machine (tests play hostile peers with it)."""
        async with self._lock:
            if not self.ws.closed:
                await self.ws.send_bytes(canonical.encode(items))

    async def flush(self) -> None:
        async with self._lock:
            for frame in self.machine.frames_to_send():
                if self.ws.closed:
                    return
                await self.ws.send_bytes(frame)

    async def close(self, code: str, reason: str) -> None:
        self.machine.close(code, reason)
        await self.serve()

    async def serve(self) -> None:
        """Answer the machine's events (through the store thread) until it
        has none, sending its frames as they come; close the socket when the
        machine closed."""
        while True:
            events = self.machine.events()
            if not events:
                break
            for event in events:
                await self._answer(event)
        with contextlib.suppress(Exception):
            await self.flush()
        if self.machine.closed and not self.ws.closed:
            await self.ws.close()

    async def _answer(self, event: Any) -> None:
        g, m = self.gossip, self.machine
        if isinstance(event, Snapshot):
            ids = await g.run_store(lambda: g.held_ids(event.body))
            if ids is None:
                m.decline(event.body)
            else:
                m.open_session(event.body, ids, time.monotonic())
        elif isinstance(event, Messages):
            await g.receive(self, event.body, list(event.raws))
        elif isinstance(event, Wanted):
            raws = await g.run_store(lambda: g.held_raws(event.body, event.ids, event.budget))
            m.send_held(event, raws, time.monotonic())
        elif isinstance(event, SyncDone):
            g.sync_count += 1
        elif isinstance(event, Closed):
            if event.code != "peer_closed":
                log.warning("closing link to %s: %s: %s", self.name, event.code, event.reason)
                g._count(event.code)
            if event.code in PEER_FAULTS and self.peer_key is not None:
                g.penalize(self.peer_key, self.name, event.code)
        elif isinstance(event, Authenticated):  # the handshake's; handled by _shake
            pass


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
        self.throttled: dict[str, float] = {}
        """Seconds each peer (by name) was not read from: over its rate."""
        self.on_new_body: Callable[[bytes], None] | None = None
        self._penalties: dict[bytes, tuple[float, Backoff]] = {}

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
            with contextlib.suppress(Exception):
                await link.close("shutdown", "node stopping")
        self.tasks.clear()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        task.add_done_callback(lambda t: self.tasks.remove(t) if t in self.tasks else None)

    # --- penalties ------------------------------------------------------------------

    def penalize(self, peer_key: bytes, name: str, code: str) -> None:
        """A link closed for the peer's fault: the peer may not link again
        (dialled by it or by us) for ``peer_penalty`` seconds (10), doubling
        with each repeat up to
        ``backoff_max``; a peer reconnecting at once to misbehave again
        gains nothing. ``peer_penalty`` 0: no penalty."""
        first = self.config.peer_penalty
        if first <= 0:
            return
        _, backoff = self._penalties.get(peer_key, (0.0, None))
        if backoff is None:
            backoff = Backoff(first, max(first, self.config.backoff_max))
        wait = backoff.next()
        self._penalties[peer_key] = (time.monotonic() + wait, backoff)
        log.warning("peer %s may not link for %.0f s (%s)", name, wait, code)

    def penalty(self, peer_key: bytes) -> float:
        """Seconds until ``peer_key`` may link again (0: now)."""
        until, _ = self._penalties.get(peer_key, (0.0, None))
        return max(0.0, until - time.monotonic())

    # --- what links ask of the store (run on the store thread) ------------------------

    def held_ids(self, body_id: bytes) -> list[bytes] | None:
        body = self.ingest.bodies.get(body_id)
        return None if body is None else list(body.log.ids())

    def held_raws(self, body_id: bytes, ids: Sequence[bytes], budget: int | None) -> list[bytes]:
        """The messages of ``ids`` held, parents first, within ``budget`` bytes."""
        body = self.ingest.bodies.get(body_id)
        if body is None:
            return []
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

    # --- pushing --------------------------------------------------------------------

    def publish(self, body_id: bytes, accepted: tuple[Envelope, ...], origin: str) -> None:
        """Push newly accepted messages to every live link but their origin."""
        raws = [e.raw for e in accepted]
        for link in list(self.links.values()):
            if origin == f"peer {link.name}" or link.ws.closed:
                continue
            link.machine.push(body_id, raws)
            self._spawn(self._quietly(link.flush()))

    @staticmethod
    async def _quietly(coro: Any) -> None:
        with contextlib.suppress(Exception):
            await coro

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
        link.machine.judged(body_id, outcomes)

    async def _join(self, link: Link, body_id: bytes, raws: list[bytes]) -> None:
        """A body we were told to join: its genesis (id = body id) founds it
        here, then a reconciliation fetches the rest."""
        for raw in raws:
            if message_id(raw) == body_id:
                try:
                    await self.run_store(
                        lambda: self.ingest.found(raw, origin=f"peer {link.name}")  # noqa: B023
                    )
                except ProtocolError as exc:
                    link.machine.strike(f"{exc.code}: {exc.reason}")
                    return
                if self.on_new_body is not None:
                    self.on_new_body(body_id)
                log.info("joined body %s from %s", body_id.hex()[:16], link.name)
                link.machine.start_sync(body_id)
                return

    # --- connections ------------------------------------------------------------------

    def _machine(self, expect: bytes | None) -> GossipLink:
        return GossipLink(
            self.seed,
            os.urandom(32),
            now=time.monotonic(),
            rate=self.config.peer_rate,
            max_batch=self.config.max_batch,
            expect=expect,
            known=lambda key: key in self.pinned,
        )

    async def accept(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30)
        await ws.prepare(request)
        machine = self._machine(None)
        try:
            peer_key = await asyncio.wait_for(_shake(ws, machine), HANDSHAKE_TIMEOUT)
        except (TimeoutError, HandshakeError) as exc:
            log.warning("refused a peer connection: %s", exc)
            self._count("handshake")
            if not machine.closed:
                machine.close("handshake", str(exc) or "no handshake in time")
            with contextlib.suppress(Exception):
                for frame in machine.frames_to_send():
                    await ws.send_bytes(frame)
            await ws.close()
            return ws
        peer = self.pinned[peer_key]
        wait = self.penalty(peer_key)
        if wait > 0:
            self._count("penalty")
            machine.close("penalty", f"misbehaved: may link again in {wait:.0f} s")
            with contextlib.suppress(Exception):
                for frame in machine.frames_to_send():
                    await ws.send_bytes(frame)
            await ws.close()
            return ws
        await self._run_link(ws, machine, peer.name, dialled_by=peer_key)
        return ws

    async def _dial_loop(self, key: bytes, peer: Peer) -> None:
        backoff = Backoff(1.0, self.config.backoff_max, jitter=0.2, rand=random.random)
        while self.running:
            wait = self.penalty(key)
            if wait > 0:  # the peer misbehaved: not dialled until its penalty ends
                await asyncio.sleep(wait)
                continue
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.ws_connect(
                        f"{peer.url}/v0/peer", max_msg_size=MAX_FRAME, heartbeat=30
                    ) as ws,
                ):
                    machine = self._machine(key)
                    await asyncio.wait_for(_shake(ws, machine), HANDSHAKE_TIMEOUT)
                    backoff.reset()
                    await self._run_link(ws, machine, peer.name, dialled_by=self.key)
            except asyncio.CancelledError:
                raise
            except HandshakeError as exc:
                self._count("handshake")
                delay = backoff.next()
                log.warning(
                    "peer %s failed the handshake: %s; retrying in %.0f s", peer.name, exc, delay
                )
            except Exception as exc:
                delay = backoff.next()
                log.info(
                    "peer %s unreachable or closed: %s; retrying in %.0f s", peer.name, exc, delay
                )
            else:
                delay = backoff.next()  # the link ended cleanly: dial again, not at once
            if not self.running:
                return
            await asyncio.sleep(delay)

    async def _run_link(
        self, ws: WebSocket, machine: GossipLink, name: str, *, dialled_by: bytes
    ) -> None:
        peer_key = machine.peer_key
        assert peer_key is not None
        link = Link(self, ws, machine, name, dialled_by=dialled_by)
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
                machine.want(body_id, (body_id,))
            if dialled_by == self.key:
                link.last_sync = time.monotonic()
                for body_id in list(self.ingest.bodies):
                    machine.start_sync(body_id)
            await link.serve()
            await self._read(link)
        finally:
            if self.links.get(peer_key) is link:
                del self.links[peer_key]

    async def _read(self, link: Link) -> None:
        machine, ws = link.machine, link.ws
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                machine.receive_frame(msg.data, time.monotonic())
            elif msg.type == aiohttp.WSMsgType.TEXT:
                machine.receive_text()
            else:
                break
            await link.serve()
            if machine.closed:
                return
            wait = machine.pause()
            if wait > 0:
                # over this peer's rate: stop reading for a while
                self.throttled[link.name] = self.throttled.get(link.name, 0.0) + wait
                await asyncio.sleep(wait)

    def _count(self, code: str) -> None:
        self.disconnects[code] = self.disconnects.get(code, 0) + 1

    async def _periodic(self) -> None:
        while self.running:
            await asyncio.sleep(min(self.config.sync_interval, 5.0))
            now = time.monotonic()
            for link in list(self.links.values()):
                link.machine.handle_timer(now)
                if (
                    link.dialled_by == self.key
                    and now - link.last_sync >= self.config.sync_interval
                ):
                    link.last_sync = now
                    for body_id in list(self.ingest.bodies):
                        link.machine.start_sync(body_id)
                try:
                    await link.serve()
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
            "# HELP caracol_peer_throttled_seconds_total Seconds a peer was not read from, "
            "over its rate (messages it sent, or was sent by want or reconciliation).",
            "# TYPE caracol_peer_throttled_seconds_total counter",
        ]
        lines += [
            f'caracol_peer_throttled_seconds_total{{peer="{name}"}} {seconds:.3f}'
            for name, seconds in sorted(self.throttled.items())
        ]
        lines += [
            "# HELP caracol_peer_messages_total Messages exchanged per peer.",
            "# TYPE caracol_peer_messages_total counter",
        ]
        metric = "caracol_peer_messages_total"
        for link in self.links.values():
            st = link.stats
            lines.append(f'{metric}{{peer="{link.name}",direction="in"}} {st.received}')
            lines.append(f'{metric}{{peer="{link.name}",direction="out"}} {st.sent}')
        return lines


async def _shake(ws: WebSocket, machine: GossipLink) -> bytes:
    """Run the machine's handshake over ``ws``; the peer's node key."""
    while True:
        for frame in machine.frames_to_send():
            await ws.send_bytes(frame)
        for event in machine.events():
            if isinstance(event, Authenticated):
                return event.peer_key
            if isinstance(event, Closed):
                raise HandshakeError(event.reason)
        msg = await ws.receive()
        if msg.type != aiohttp.WSMsgType.BINARY:
            raise HandshakeError(
                f"expected a binary frame during the handshake, got {msg.type.name}"
            )
        machine.receive_frame(msg.data, time.monotonic())
