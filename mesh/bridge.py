"""``caracol mesh bridge``: a node's body carried both ways over one radio.

    caracol mesh bridge --node http://127.0.0.1:8001 --body ID --meshtastic 192.168.1.20

The bridge talks to the node only through its member API: it fetches the
body's roster and every message (paged), follows live events over the
WebSocket (reconnecting with back-off when the node restarts, then catching
up on what it missed), and submits verified messages heard on the radio in
batches. Messages the node accepts go out as compact frames through the
duty-cycle queue (verdicts, recall votes and votes first). A Community's log
is small, so ids and raw bytes are kept in memory: the radio link expands
abbreviated messages against them and reconciles from them.

Radios (exactly one): ``--kiss HOST:PORT`` (a TNC's KISS TCP port, e.g.
Direwolf), ``--kiss-serial DEVICE [--baud N]``, ``--meshtastic HOST[:PORT]``
(the device's TCP API, port 4403), ``--meshtastic-serial DEVICE``,
``--reticulum CONFIGDIR`` with ``--listen`` or ``--peer DESTHASH`` (or
``--peer-key HEX``, the peer's public key). Reticulum's identity is kept in
``--identity FILE`` (default ``CONFIGDIR/identity``), so the bridge's
``caracol.sync`` hash survives restarts. With ``--propagation-node HASH``
both sides collect LXMF deposits (every ``--collect-every`` seconds), verify
them as untrusted input and submit the messages as if heard on the radio;
the ``--peer`` side, instead of ending when no live link comes up, keeps
trying (with back-off) and meanwhile deposits what the peer may lack, in
batches at most every ``--deposit-every`` seconds (spec/mesh.md, Reticulum).

For operators the bridge serves its status as JSON on 127.0.0.1
(``--status-port``, default 8471): link state and quality, the duty-cycle
budget, the queue, message counts and the last drop reasons;
``caracol mesh status`` prints it as a table. A periodic line goes to stdout.
A configuration problem, an unreachable node or radio, or a radio that fails
while running (or stays DOWN for two minutes) ends the bridge with one clear
error (exit 1): run it under a supervisor (systemd ``Restart=on-failure``)
to come back on its own. A node that goes away is waited for.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import anyio
import anyio.abc
import anyio.lowlevel
from aiohttp import WSMsgType, web

from node.backoff import Backoff
from node.client import AsyncNodeClient, ClientError
from protocol import envelope
from protocol.envelope import Envelope
from protocol.errors import ProtocolError
from protocol.kinds import Kind

from . import frames
from .bridge_config import (
    BATCH,
    LAST_DROPS,
    MAX_PENDING,
    PAGE,
    PRIORITY,
    RETRY_FIRST,
    RETRY_MAX,
    ROSTER_KINDS,
    BridgeConfig,
    BridgeError,
    Radio,
    config_from_args,
    load_bridge_identity,
    open_radio,
)
from .bridge_messages import Messages
from .bridge_status import (
    fetch_status,
    log_line,
    region_mismatch,
    render_status,
    status_command,
    status_of,
)
from .digest import digest_texts
from .dutycycle import Budget, Priority, sub_band
from .errors import MeshError, OverBudget
from .radio_link import RadioLink
from .transport import LinkState, Transport

if TYPE_CHECKING:
    from .bridge_lxmf import StoreAndForward

__all__ = [
    "Bridge",
    "BridgeConfig",
    "BridgeError",
    "Messages",
    "NodeUnreachable",
    "Radio",
    "bridge",
    "config_from_args",
    "fetch_status",
    "load_bridge_identity",
    "log_line",
    "region_mismatch",
    "render_status",
    "status_command",
]

# --- the node's side ----------------------------------------------------------------


class NodeUnreachable(BridgeError):
    """The node is unreachable or answered unexpectedly."""


@dataclass(frozen=True, slots=True)
class Drop:
    at: float  # unix time
    where: str  # radio | node | bridge
    reason: str


DIGEST_RESERVE = 0.5
"""The daily digest uses at most half the hour's allowance, leaving the
rest (and always the decisions' reserved share) to signed messages."""


class Bridge:
    """One body between one node and one radio (see the module docstring)."""

    def __init__(self, config: BridgeConfig) -> None:
        self.config = config
        self.body = config.body
        self.path = f"/v0/bodies/{config.body.hex()}"
        self.api = f"{config.node}{self.path}"
        self.messages = Messages(config.body)
        self.roster: list[bytes] = []
        self.radio: Transport | None = None
        self.link: RadioLink | None = None
        self.started = time.time()
        self.pending: deque[Envelope] = deque()
        self.drops: deque[Drop] = deque(maxlen=LAST_DROPS)
        self.warnings: list[str] = []  # about the configuration, found once running
        self.counts = {
            "heard": 0,  # verified messages heard on the radio
            "heard_known": 0,  # of those, ones the node already had
            "submitted": 0,  # sent to the node
            "accepted": 0,
            "pending": 0,  # the node holds them until their parents arrive
            "duplicate": 0,
            "rejected": 0,
            "to_radio": 0,  # messages the node accepted, queued for the radio
        }
        self.events_connected = False
        self.reconnects = 0
        self._link_drops_seen = 0
        self._roster_stale = False
        self._submit_wake = anyio.Event()
        self._budget: Budget | None = None  # one for every link the bridge opens
        self.linked = False  # a live radio link carries what the node accepts
        # Reticulum (start_reticulum) and LXMF store and forward
        self.identity: Any = None
        self.reticulum: dict[str, Any] | None = None
        self.store_and_forward: StoreAndForward | None = None  # with --propagation-node
        self.digests_sent = 0  # daily digest texts put on the air

    # --- fetching ---------------------------------------------------------------

    async def _get_json(self, http: aiohttp.ClientSession, path: str) -> Any:
        try:
            return await AsyncNodeClient(self.config.node, http).get(f"{self.path}{path}")
        except ClientError as exc:
            if exc.status == 404:
                raise NodeUnreachable(
                    f"the node at {self.config.node} holds no body {self.body.hex()}"
                ) from None
            raise NodeUnreachable(str(exc)) from None

    async def fetch_roster(self, http: aiohttp.ClientSession) -> None:
        doc = await self._get_json(http, "/roster")
        try:
            keys = sorted(bytes.fromhex(k) for k in doc["members"].values())
        except (KeyError, TypeError, AttributeError, ValueError):
            raise NodeUnreachable("the node's roster is not {members: {name: hex key}}") from None
        self.roster[:] = keys  # in place: the radio link's context holds this list
        self._roster_stale = False

    async def fetch_messages(self, http: aiohttp.ClientSession) -> list[Envelope]:
        """Every message of the body, paged; returns those not known before."""
        new: list[Envelope] = []
        start, total = 0, None
        for _ in range(100_000):  # bounded: a page per 5,000 messages
            doc = await self._get_json(http, f"/messages?start={start}&limit={PAGE}")
            try:
                page = [bytes.fromhex(h) for h in doc["messages"]]
                total = int(doc["total"])
            except (KeyError, TypeError, ValueError):
                raise NodeUnreachable(
                    "the node's messages page is not {start, total, messages}"
                ) from None
            for raw in page:
                if (env := self._from_node(raw)) is not None:
                    new.append(env)
            start += len(page)
            if not page or start >= total:
                break
        return new

    # --- node -> radio ------------------------------------------------------------

    def _from_node(self, raw: bytes) -> Envelope | None:
        """A message of the node's log into the bridge's; None when it was
        known (or, never from an honest node, when it does not decode)."""
        try:
            env = envelope.decode_untrusted(raw, self.body)
        except ProtocolError as exc:
            self.drop("node", f"a message from the node does not decode: {exc}")
            return None
        return env if self.messages.add(env) else None

    def _to_radio(self, env: Envelope) -> None:
        try:
            kind = Kind(env.kind)
        except ValueError as exc:
            self.drop("node", f"a message from the node has an unknown kind: {exc}")
            return
        if kind in ROSTER_KINDS:
            self._roster_stale = True
        if self.link is None or not self.linked:  # the next sync (or a deposit) carries it
            return
        try:
            self.link.send_message(env, PRIORITY.get(kind, Priority.FRESH))
        except MeshError as exc:
            self.drop("bridge", f"{kind.name.lower()} {env.id.hex()[:16]} not sent: {exc}")
            return
        self.counts["to_radio"] += 1

    async def follow_node(self, http: aiohttp.ClientSession) -> None:
        """Live events from the node; after every (re)connect, catch up on
        what was accepted meanwhile. Reconnects with back-off, 0.5 s to 30 s."""
        backoff = Backoff(0.5, 30.0)
        while True:
            try:
                async with http.ws_connect(f"{self.api}/events", heartbeat=30) as ws:
                    self.events_connected = True
                    backoff.reset()
                    for env in await self.fetch_messages(http):
                        self._to_radio(env)
                    if self._roster_stale:
                        await self.fetch_roster(http)
                    async for msg in ws:
                        if msg.type is not WSMsgType.TEXT:
                            break
                        await self._on_event(http, msg.data)
            except (aiohttp.ClientError, OSError, TimeoutError, NodeUnreachable) as exc:
                self.drop("node", f"node events: {exc or type(exc).__name__}")
            was = self.events_connected
            self.events_connected = False
            self.reconnects += 1
            delay = backoff.next()
            if was:
                print(f"lost the node's events; reconnecting in {delay:g} s", flush=True)
            await anyio.sleep(delay)

    async def _on_event(self, http: aiohttp.ClientSession, data: str) -> None:
        try:
            event: dict[str, Any] = json.loads(data)
            raw = bytes.fromhex(event["message"])
        except (ValueError, KeyError, TypeError) as exc:
            self.drop("node", f"an event that is not {{message: hex}}: {exc}")
            return
        if (env := self._from_node(raw)) is not None:
            self._to_radio(env)
        if self._roster_stale:
            await self.fetch_roster(http)

    # --- radio -> node ------------------------------------------------------------

    def on_heard(self, env: Envelope) -> None:
        """A verified message from the radio (called by the radio link)."""
        self.counts["heard"] += 1
        if self.store_and_forward is not None:  # one peer on the link: it holds what it sent
            self.store_and_forward.heard_from_peer(env.id)
        if not self.take(env):
            self.counts["heard_known"] += 1

    def take(self, env: Envelope) -> bool:
        """A verified message for the node (from the radio or a deposit);
        False when it is known already."""
        if not self.messages.hold(env):
            return False
        if Kind(env.kind) in ROSTER_KINDS:
            self._roster_stale = True
        if len(self.pending) >= MAX_PENDING:
            old = self.pending.popleft()
            self.messages.forget(old.id)
            self.drop("bridge", f"{MAX_PENDING} messages wait for the node; dropped the oldest")
        self.pending.append(env)
        self._submit_wake.set()
        return True

    async def submit_heard(self, http: aiohttp.ClientSession) -> None:
        """Heard messages to the node, in batches; retried while it is away."""
        backoff = Backoff(0.5, 30.0)
        node = AsyncNodeClient(self.config.node, http)
        while True:
            if not self.pending:
                self._submit_wake = anyio.Event()
                with anyio.move_on_after(1.0):
                    await self._submit_wake.wait()
                continue
            batch = [self.pending.popleft() for _ in range(min(BATCH, len(self.pending)))]
            try:
                results = await node.submit_raw(self.body, [e.raw for e in batch])
            except ClientError as exc:
                code = exc.status
                if code == 0 or code >= 500 or code == 404:
                    self.pending.extendleft(reversed(batch))  # the node is away: again, in order
                    self.drop("node", f"submitting heard messages: {code or 'no answer'}: {exc}")
                    await anyio.sleep(backoff.next())
                    continue
                # the node refuses the request itself: retrying cannot help
                self.drop("node", f"the node refused {len(batch)} heard messages ({code}): {exc}")
                for env in batch:
                    self.messages.forget(env.id)
                continue
            backoff.reset()
            self.counts["submitted"] += len(batch)
            for env, result in zip(batch, results, strict=False):
                outcome = str(result.get("status", "rejected"))
                if outcome in self.counts:
                    self.counts[outcome] += 1
                if outcome != "rejected":
                    self.messages.confirm(env.id)
                else:
                    self.messages.forget(env.id)
                    why = result.get("reason") or result.get("code") or "no reason given"
                    self.drop("node", f"rejected {env.id.hex()[:16]}: {why}")
            if self._roster_stale:
                try:
                    await self.fetch_roster(http)
                except NodeUnreachable as exc:
                    self.drop("node", str(exc))

    # --- status ---------------------------------------------------------------------

    def drop(self, where: str, reason: str) -> None:
        self.drops.append(Drop(time.time(), where, reason))

    def _collect_link_drops(self) -> None:
        """The radio link's new drop reasons (it keeps a bounded deque and a total)."""
        if self.link is None:
            return
        total, kept = self.link.dropped_total, list(self.link.dropped)
        new = min(total - self._link_drops_seen, LAST_DROPS, len(kept))
        for reason in kept[len(kept) - new :] if new > 0 else ():
            self.drop("radio", str(reason))
        self._link_drops_seen = total

    def status(self) -> dict[str, Any]:
        """What ``caracol mesh status`` shows (JSON-safe)."""
        self._collect_link_drops()
        return status_of(self)

    async def watch_link(self, radio: Transport) -> None:
        """End the bridge when the radio link stays DOWN for ``down_limit``
        seconds (a device that went away and did not come back)."""
        down_since: float | None = None
        while True:
            await anyio.sleep(min(1.0, self.config.down_limit / 4))
            if radio.link_state() is not LinkState.DOWN:
                down_since = None
                continue
            now = time.monotonic()
            down_since = now if down_since is None else down_since
            if now - down_since >= self.config.down_limit:
                raise BridgeError(
                    f"the radio link ({self.config.radio.kind} {self.config.radio.address}) "
                    f"has been down for {self.config.down_limit:g} s"
                )

    async def report(self) -> None:
        while True:
            await anyio.sleep(self.config.report_every)
            print(log_line(self.status()), flush=True)

    async def serve_status(
        self, *, task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        async def get_status(request: web.Request) -> web.Response:
            return web.json_response(self.status(), dumps=lambda d: json.dumps(d, indent=1))

        app = web.Application()
        app.router.add_get("/", get_status)
        app.router.add_get("/status", get_status)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", self.config.status_port)
            try:
                await site.start()
            except OSError as exc:
                raise BridgeError(
                    f"cannot serve the status on 127.0.0.1:{self.config.status_port}: {exc} "
                    "(another bridge there? pick one with --status-port, 0 for any)"
                ) from None
            host, port = runner.addresses[0][:2]
            task_status.started(f"http://{host}:{port}/status")
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                await runner.cleanup()

    # --- the daily digest ---------------------------------------------------------

    async def send_digest(self, http: aiohttp.ClientSession) -> int:
        """Open proposals, stages and deadlines as plain text messages, if the
        radio carries text (Meshtastic); each within the duty cycle, leaving
        the decisions' reserved share untouched. The texts sent."""
        radio = self.radio
        send_text = getattr(radio, "send_text", None)
        if radio is None or send_text is None:
            return 0
        doc = await self._get_json(http, "/proposals")
        genesis = await self._get_json(http, "")
        name = str(genesis["genesis"]["payload"][1])
        texts = digest_texts(name, doc["proposals"], int(time.time()))
        if self._budget is None:
            self._budget = Budget(sub_band(self.config.region, self.config.mhz))
        budget = self._budget
        limit = budget.allowance_s * (1 - DIGEST_RESERVE)
        sent = 0
        for text in texts:
            air = radio.airtime(len(text.encode()))
            try:
                at = budget.when(time.monotonic(), air, limit_s=limit)
            except OverBudget as exc:
                self.drop("bridge", f"digest not sent: {exc}")
                break
            wait = at - time.monotonic()
            if wait > self.config.digest_every:
                self.drop("bridge", "digest not sent: no airtime left before the next one")
                break
            if wait > 0:
                await anyio.sleep(wait)
            try:
                await send_text(text)
            except MeshError as exc:
                self.drop("bridge", f"digest not sent: {exc}")
                break
            budget.record(time.monotonic(), air)
            sent += 1
        self.digests_sent += sent
        return sent

    async def digest_loop(self, http: aiohttp.ClientSession) -> None:
        if not self.config.digest_every:
            return
        while True:
            try:
                await self.send_digest(http)
            except (NodeUnreachable, KeyError, TypeError, ValueError) as exc:
                self.drop("node", f"digest: {exc}")
            await anyio.sleep(self.config.digest_every)

    # --- running ------------------------------------------------------------------

    def _make_link(self, radio: Transport) -> RadioLink:
        """The radio link, reconciling the body from the messages held here."""
        if self._budget is None:
            self._budget = Budget(sub_band(self.config.region, self.config.mhz))
        link = RadioLink(radio, self._budget)
        m = self.messages
        link.add_context(frames.Context(self.body, self.roster, m.with_prefix, m.ids, m.raw_of))
        link.on_message = self.on_heard
        return link

    def _attach(self, radio: Transport) -> RadioLink:
        self._collect_link_drops()  # those of the link before, if any
        self.radio = radio
        self.link = link = self._make_link(radio)
        self._link_drops_seen = 0
        if self.store_and_forward is not None:
            self.store_and_forward.new_link()
        self.linked = True
        return link

    async def carry(self, radio: Transport) -> None:
        """Run the radio link until the radio fails or stays DOWN (which ends the bridge)."""
        link = self.link if self.radio is radio and self.link is not None else self._attach(radio)
        async with anyio.create_task_group() as tg:
            tg.start_soon(link.run)
            tg.start_soon(self.watch_link, radio)

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        cfg = self.config.radio
        reticulum = cfg.kind == "reticulum"
        if reticulum:
            self.start_reticulum()  # a bad identity or config ends the bridge before anything
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=None)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            await self.fetch_roster(http)
            await self.fetch_messages(http)
            radio: Transport | None = None
            if not reticulum:
                radio = await open_radio(cfg)
            elif cfg.peer is not None and self.store_and_forward is None:
                radio = await self.connect_peer()  # an unreachable peer ends the bridge
            try:
                if radio is not None:
                    self._attach(radio)
                async with anyio.create_task_group() as tg:
                    status_url = await tg.start(self.serve_status)
                    for task in (self.follow_node, self.submit_heard, self.digest_loop):
                        tg.start_soon(task, http)
                    tg.start_soon(self.report)
                    if radio is not None:
                        tg.start_soon(self.carry, radio)
                    elif cfg.peer is None:
                        tg.start_soon(self.listen_links)
                    else:
                        tg.start_soon(self.peer_links)
                    if self.store_and_forward is not None:
                        tg.start_soon(self.store_and_forward.collect_loop)
                    warning = region_mismatch(self.config.region, radio) if radio else None
                    if warning:
                        print(f"warning: {warning}", flush=True)
                        self.warnings.append(warning)
                    print(
                        f"bridging body {self.body.hex()[:16]}… of {self.config.node} over "
                        f"{cfg.kind} {cfg.address} "
                        f"(MTU {radio.mtu if radio else _reticulum_mtu()}); status on {status_url}",
                        flush=True,
                    )
                    task_status.started(status_url)
                    if self.config.seconds:
                        await anyio.sleep(self.config.seconds)
                        tg.cancel_scope.cancel()
            finally:
                with anyio.CancelScope(shield=True):
                    if self.radio is not None:
                        await self.radio.aclose()

    # --- Reticulum: identity, links, LXMF store and forward ------------------------

    def start_reticulum(self) -> None:
        """See ``bridge_reticulum.start``."""
        from .bridge_reticulum import start

        start(self)

    async def connect_peer(self) -> Transport:
        from .reticulum import ReticulumTransport

        assert self.config.radio.peer is not None
        try:
            return await ReticulumTransport.connect(
                self.config.radio.peer, timeout=self.config.radio.link_timeout
            )
        except MeshError as exc:
            raise BridgeError(str(exc)) from None

    async def listen_links(self) -> None:
        """See ``bridge_reticulum.listen_links``."""
        from .bridge_reticulum import listen_links

        await listen_links(self)

    async def peer_links(self) -> None:
        """``--peer`` with a propagation node: keep trying a live link to the
        peer (each attempt bounded by ``--link-timeout``, then a back-off of
        5 s doubling to 5 min) and carry each one until it ends; meanwhile
        ``deposit_loop`` deposits for the peer while none is up."""
        cfg = self.config.radio
        assert cfg.peer is not None
        backoff = Backoff(RETRY_FIRST, RETRY_MAX)
        async with anyio.create_task_group() as tg:
            if self.store_and_forward is not None:
                tg.start_soon(self.store_and_forward.deposit_loop)
            while True:
                try:
                    transport = await self.connect_peer()
                except BridgeError as exc:
                    self.drop("radio", f"no live link to the peer: {exc}")
                    await anyio.sleep(backoff.next())
                    continue
                backoff.reset()
                print(f"reticulum link to {cfg.peer.hex()} is up", flush=True)
                why = await self.carry_until_down(transport)
                self.drop("radio", f"the link to the peer ended: {why}")
                print(
                    f"reticulum link to {cfg.peer.hex()} ended ({why}); trying again, "
                    "depositing with the propagation node meanwhile",
                    flush=True,
                )

    async def carry_until_down(self, transport: Transport) -> str:
        """Run one live link until it closes or stays DOWN for ``--link-timeout``."""
        link = self._attach(transport)
        limit = self.config.radio.link_timeout

        async def until_down() -> None:
            down_since: float | None = None
            while True:
                await anyio.sleep(min(1.0, limit / 4))
                if transport.link_state() is not LinkState.DOWN:
                    down_since = None
                    continue
                now = time.monotonic()
                down_since = now if down_since is None else down_since
                if now - down_since >= limit:
                    raise BridgeError(f"down for {limit:g} s")

        why = "it ended"
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(link.run)
                tg.start_soon(until_down)
        except BaseExceptionGroup as group:
            found = _first_mesh_error(group)
            if found is None:
                raise
            why = str(found)
        finally:
            self.linked = False
            if self.store_and_forward is not None:
                self.store_and_forward.link_ended()
            with anyio.CancelScope(shield=True):
                await transport.aclose()
        return why


def _reticulum_mtu() -> int:
    from .reticulum import MTU

    return MTU


_RADIO_CLOSED = (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError)


def _first_mesh_error(exc: BaseException) -> MeshError | None:
    """The error to tell the operator, from what ended the bridge's tasks."""
    if isinstance(exc, MeshError):
        return exc
    if isinstance(exc, _RADIO_CLOSED):  # a radio whose receive ends like a stream
        return BridgeError(f"the radio link closed ({type(exc).__name__})")
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first_mesh_error(inner)
            if found is not None:
                return found
    return None


async def bridge(args: argparse.Namespace) -> int:
    """``caracol mesh bridge``: runs until interrupted (or ``--seconds``)."""
    config = config_from_args(args)
    try:
        await Bridge(config).run()
    except BaseExceptionGroup as group:
        found = _first_mesh_error(group)
        if found is None:
            raise
        raise found from None
    return 0


# --- caracol mesh status ------------------------------------------------------------
