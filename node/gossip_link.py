"""One gossip link between two nodes, as a sans-IO state machine.

The link protocol of spec/node.md — the signed handshake, reconciliation
turns per shared body, pushed messages, wants, strikes and the per-peer
rate — lives here, with no sockets, no clock and no store: bytes come in
through ``receive_frame(data, now)``, frames to send are pulled with
``frames_to_send()``, and everything the link needs from the node or wants
it to do is an *event* (``events()``) the driver answers by calling back:

============================  ==================================================
event                         the driver
============================  ==================================================
``Authenticated(peer_key)``   the handshake succeeded: keep or refuse the link
``Snapshot(body)``            reads the body's message ids, calls ``open_session``
``Messages(body, raws)``      ingests them, calls ``judged(body, outcomes)``
``Wanted(body, ids, budget)`` reads those it holds (parents first, within
                              ``budget`` bytes; None: no bound), calls ``send_held``
``SyncDone(body)``            counts a completed reconciliation
``Closed(code, reason)``      sends what is left (the ``bye``) and closes
============================  ==================================================

The rate is a token bucket per link: messages received and messages sent in
answer to wants and reconciliation take tokens, and ``pause()`` says how long
the driver should stop reading from the peer (backpressure, not
disconnection). The same code runs behind aiohttp on a real node
(``node.gossip``) and in a simulator (``tests/node/test_gossip_link.py`` drives
two links through memory).

Wire format: canonical msgpack arrays ``[type, ...]`` (spec/node.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from crdt.reconcile import Done, HaveIds, PeerError, Session, SortedIds
from protocol import canonical
from protocol.errors import ProtocolError

from .errors import PeerLinkClosed
from .ingest import Outcome, Status
from .peering import Handshake, HandshakeError

MAX_STRIKES = 5
MAX_BATCH = 1024
"""Most messages one ``msgs`` frame may carry (senders use ``max_batch``, default 256)."""
MAX_FRAME = 4 * 1024 * 1024
MAX_WANT_IDS = 4096
WANT_BYTES = 1024 * 1024
"""Most bytes of messages one ``want`` is answered with: a want of 4,096 ids
(132 KiB) could otherwise ask for 4,096 messages of 16 KiB (64 MiB). What
is left out the peer asks for again, or reconciliation brings."""
RECON_FRAME = 256 * 1024


# --- events ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Authenticated:
    peer_key: bytes


@dataclass(frozen=True, slots=True)
class Snapshot:
    body: bytes


@dataclass(frozen=True, slots=True)
class Messages:
    body: bytes
    raws: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Wanted:
    """Messages to send the peer, if held: those a ``want`` asked for
    (``want``), or those reconciliation found it lacks. Either way they
    count against the peer's rate; a push of new messages does not."""

    body: bytes
    ids: tuple[bytes, ...]
    budget: int | None
    want: bool


@dataclass(frozen=True, slots=True)
class SyncDone:
    body: bytes


@dataclass(frozen=True, slots=True)
class Closed:
    code: str
    reason: str


Event = Authenticated | Snapshot | Messages | Wanted | SyncDone | Closed


class State(Enum):
    HANDSHAKE = "handshake"
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class TokenBucket:
    """``rate`` tokens a second up to ``burst``; time comes in as ``now``."""

    rate: float
    burst: float
    now: float

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.stamp = self.now

    def delay(self, n: int, now: float) -> float:
        """Take ``n`` tokens; the seconds until they are earned (0: none)."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= n
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass
class LinkStats:
    received: int = 0
    sent: int = 0
    rejected: int = 0
    syncs: int = 0
    wants_answered: int = 0
    throttled: float = 0.0
    """Seconds the driver was told not to read from the peer."""


class GossipLink:
    """One side of one link (see the module docstring).

    ``known(key)`` says whether a node key may link here at all (the pinned
    peers); ``expect`` is the one key a dialled peer must present.
    """

    def __init__(
        self,
        seed: bytes,
        nonce: bytes,
        *,
        now: float,
        rate: float,
        max_batch: int = 256,
        expect: bytes | None = None,
        known: Callable[[bytes], bool] = lambda key: True,
    ) -> None:
        self.state = State.HANDSHAKE
        self.peer_key: bytes | None = None
        self.stats = LinkStats()
        self.strikes = 0
        self.max_batch = min(max_batch, MAX_BATCH)
        self.bucket = TokenBucket(rate, max(rate * 2, 1.0), now)
        self._handshake = Handshake(seed, nonce, pinned=expect)
        self._known = known
        self._sessions: dict[bytes, Session] = {}
        self._waiting_snapshot: dict[bytes, list[tuple[bytes, float]]] = {}
        self._out: list[bytes] = []
        self._events: list[Event] = []
        self._pause = 0.0
        self._send("hello", self._handshake.hello.node_key, self._handshake.hello.nonce)

    # --- outputs ------------------------------------------------------------------------

    def frames_to_send(self) -> list[bytes]:
        out, self._out = self._out, []
        return out

    def events(self) -> list[Event]:
        out, self._events = self._events, []
        return out

    def pause(self) -> float:
        """Seconds to stop reading from the peer before the next frame."""
        wait, self._pause = self._pause, 0.0
        return wait

    def next_timer(self) -> float | None:
        timers = [t for s in self._sessions.values() if (t := s.get_timer()) is not None]
        return min(timers, default=None)

    @property
    def closed(self) -> bool:
        return self.state is State.CLOSED

    def syncing(self) -> tuple[bytes, ...]:
        """Bodies with a reconciliation under way."""
        return tuple(self._sessions)

    # --- inputs -------------------------------------------------------------------------

    def receive_frame(self, data: bytes, now: float) -> None:
        """One binary frame from the peer. Never raises: a frame that breaks
        the protocol closes the link (``Closed``, and a ``bye`` to send)."""
        if self.state is State.CLOSED:
            return
        try:
            if self.state is State.HANDSHAKE:
                self._shake(data)
            else:
                self._dispatch(data, now)
        except HandshakeError as exc:
            self.close("handshake", exc.reason)
        except PeerLinkClosed as exc:
            self.close(exc.code, exc.reason, tell=exc.code != "peer_closed")

    def receive_text(self) -> None:
        self.close("malformed", "text frames are not used")

    def close(self, code: str, reason: str, *, tell: bool = True) -> None:
        """End the link (``tell``: say why in a ``bye``)."""
        if self.state is State.CLOSED:
            return
        if tell:
            self._send("bye", code, reason)
        self.state = State.CLOSED
        self._sessions.clear()
        self._events.append(Closed(code, reason))

    def start_sync(self, body: bytes) -> None:
        """Reconcile ``body`` with the peer (once its ids are read: ``Snapshot``)."""
        if (
            self.state is State.OPEN
            and body not in self._sessions
            and body not in self._waiting_snapshot
        ):
            self._waiting_snapshot[body] = []
            self._events.append(Snapshot(body))

    def open_session(self, body: bytes, ids: Iterable[bytes], now: float) -> None:
        """The ids of ``body`` this node holds, as a ``Snapshot`` asked: the
        session starts (this side initiates unless a peer's frame is waiting)."""
        waiting = self._waiting_snapshot.pop(body, None)
        if self.state is not State.OPEN or waiting is None:
            return
        session = Session(SortedIds(ids), max_frame=RECON_FRAME, now=now)
        self._sessions[body] = session
        if not waiting:
            session.initiate()
        for frame, at in waiting:
            session.receive_frame(frame, at)
        self._flush_session(body, session)

    def decline(self, body: bytes) -> None:
        """No session for ``body`` (this node does not hold it): what the
        peer sent for it is dropped."""
        self._waiting_snapshot.pop(body, None)

    def handle_timer(self, now: float) -> None:
        for body, session in list(self._sessions.items()):
            session.handle_timer(now)
            self._flush_session(body, session)

    def push(self, body: bytes, raws: Sequence[bytes]) -> None:
        """Newly accepted messages for the peer (not charged to its rate)."""
        if self.state is State.OPEN:
            self._frame_messages(body, raws)

    def want(self, body: bytes, ids: Iterable[bytes]) -> None:
        """Ask the peer for messages (parents of what it sent, or a body to join)."""
        wanted = tuple(sorted(set(ids)))[:MAX_WANT_IDS]
        if self.state is State.OPEN and wanted:
            self._send("want", body, wanted)

    def judged(self, body: bytes, outcomes: Sequence[Outcome]) -> None:
        """What the node made of a ``Messages`` event: a rejection is a strike
        (a quota refusal is this node's limit, not the peer's fault), pending
        ones make a want for their missing parents."""
        missing: list[bytes] = []
        for o in outcomes:
            if o.status is Status.REJECTED and o.code != "quota_exceeded":
                self._strike(f"{o.code}: {o.reason}")
                if self.closed:
                    return
            elif o.status is Status.PENDING:
                missing.extend(o.missing)
        self.want(body, missing)

    def strike(self, reason: str) -> None:
        """The peer sent something the node refused (a bad genesis to join)."""
        self._strike(reason)

    def send_held(self, wanted: Wanted, raws: Sequence[bytes], now: float) -> None:
        """The messages of a ``Wanted`` the node holds (parents first, within
        its budget), charged to the peer's rate."""
        if self.state is not State.OPEN or not raws:
            return
        self._frame_messages(wanted.body, raws)
        if wanted.want:
            self.stats.wants_answered += len(raws)
        self._throttle(self.bucket.delay(len(raws), now))

    # --- the handshake --------------------------------------------------------------------

    def _shake(self, data: bytes) -> None:
        try:
            frame = canonical.decode(data, max_bytes=MAX_FRAME)
        except ProtocolError as exc:
            raise HandshakeError(f"a handshake frame is not canonical: {exc}") from None
        hs = self._handshake
        if hs.peer is None:
            if type(frame) is not tuple or len(frame) != 3 or frame[0] != "hello":
                raise HandshakeError(f"expected hello, got {frame!r:.60}")
            key, nonce = frame[1], frame[2]
            if type(key) is not bytes or type(nonce) is not bytes:
                raise HandshakeError("handshake fields are bin")
            if hs.pinned is None and not self._known(key):
                raise HandshakeError("unknown node key: not a configured peer")
            proof = hs.receive_hello({"node_key": key.hex(), "nonce": nonce.hex()})
            self._send("proof", bytes.fromhex(proof["sig"]))
            return
        if type(frame) is not tuple or len(frame) != 2 or frame[0] != "proof":
            raise HandshakeError("expected proof")
        if type(frame[1]) is not bytes:
            raise HandshakeError("handshake fields are bin")
        self.peer_key = hs.receive_proof({"sig": frame[1].hex()})
        self.state = State.OPEN
        self._events.append(Authenticated(self.peer_key))

    # --- frames of an open link -----------------------------------------------------------

    def _dispatch(self, data: bytes, now: float) -> None:
        try:
            frame = canonical.decode(data, max_bytes=MAX_FRAME)
        except ProtocolError as exc:
            raise PeerLinkClosed("malformed", f"frame is not canonical: {exc}") from None
        if type(frame) is not tuple or not frame or type(frame[0]) is not str:
            raise PeerLinkClosed("malformed", "a frame is an array starting with its type")
        kind, args = frame[0], frame[1:]
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise PeerLinkClosed("malformed", f"unknown frame type {kind!r}")
        arity, handle = handler
        if len(args) != arity:
            raise PeerLinkClosed("malformed", f"{kind} frame has the wrong number of fields")
        handle(self, now, *args)

    def _on_recon(self, now: float, body: object, payload: object) -> None:
        body = _id32(body)
        if type(payload) is not bytes:
            raise PeerLinkClosed("malformed", "recon carries bytes")
        session = self._sessions.get(body)
        if session is not None:
            session.receive_frame(payload, now)
            self._flush_session(body, session)
            return
        waiting = self._waiting_snapshot.get(body)
        if waiting is None:
            self._waiting_snapshot[body] = waiting = []
            self._events.append(Snapshot(body))
        if len(waiting) >= 4:
            raise PeerLinkClosed("limit", "reconciliation frames before the session could start")
        waiting.append((payload, now))

    def _on_msgs(self, now: float, body: object, raws: object) -> None:
        body = _id32(body)
        if type(raws) is not tuple or not all(type(r) is bytes for r in raws):
            raise PeerLinkClosed("malformed", "msgs carries an array of bin")
        if len(raws) > MAX_BATCH:
            raise PeerLinkClosed("limit", f"batch of {len(raws)} messages exceeds {MAX_BATCH}")
        # over this peer's rate: stop reading for a while (TCP backpressure
        # slows an honest peer's bulk sync; a flooder gains nothing)
        self._throttle(self.bucket.delay(len(raws), now))
        self.stats.received += len(raws)
        self._events.append(Messages(body, raws))

    def _on_want(self, now: float, body: object, ids: object) -> None:
        body = _id32(body)
        if type(ids) is not tuple or len(ids) > MAX_WANT_IDS:
            raise PeerLinkClosed("malformed", f"want carries at most {MAX_WANT_IDS} ids")
        # bounded work per want: each distinct id answered once (duplicates
        # once cost 5.6x what was asked), at most WANT_BYTES in all, and the
        # answer is charged to the peer's rate (send_held)
        wanted = tuple(dict.fromkeys(_id32(i) for i in ids))
        self._events.append(Wanted(body, wanted, WANT_BYTES, want=True))

    def _on_bye(self, now: float, code: object, reason: object) -> None:
        raise PeerLinkClosed("peer_closed", f"{code}: {reason}")

    # --- helpers ---------------------------------------------------------------------------

    def _flush_session(self, body: bytes, session: Session) -> None:
        for frame in session.frames_to_send():
            self._send("recon", body, frame)
        for event in session.events():
            if isinstance(event, HaveIds):
                # what reconciliation finds the peer lacks counts against its
                # rate, as a want's answer does
                self._events.append(Wanted(body, tuple(event.ids), None, want=False))
            elif isinstance(event, Done):
                self._sessions.pop(body, None)
                self.stats.syncs += 1
                self._events.append(SyncDone(body))
            elif isinstance(event, PeerError):
                self.close("reconcile", f"{event.code}: {event.reason}")
                return

    def _frame_messages(self, body: bytes, raws: Sequence[bytes]) -> None:
        for i in range(0, len(raws), self.max_batch):
            chunk = tuple(raws[i : i + self.max_batch])
            self._send("msgs", body, chunk)
            self.stats.sent += len(chunk)

    def _strike(self, reason: str) -> None:
        self.strikes += 1
        self.stats.rejected += 1
        if self.strikes >= MAX_STRIKES:
            self.close("misbehaving", f"{self.strikes} invalid messages; last: {reason}")

    def _throttle(self, wait: float) -> None:
        if wait > 0:
            self._pause += wait
            self.stats.throttled += wait

    def _send(self, *items: Any) -> None:
        self._out.append(canonical.encode(items))


_HANDLERS: dict[str, tuple[int, Callable[..., None]]] = {
    "recon": (2, GossipLink._on_recon),
    "msgs": (2, GossipLink._on_msgs),
    "want": (2, GossipLink._on_want),
    "bye": (2, GossipLink._on_bye),
}
"""Each frame type of an open link: its number of fields and its handler."""


def _id32(value: object) -> bytes:
    if type(value) is not bytes or len(value) != 32:
        raise PeerLinkClosed("malformed", "a body or message id is 32 bytes")
    return value
