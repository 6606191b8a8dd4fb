"""Driving a radio Transport: the duty-cycle queue on the way out, the frame
codec both ways, and reconciliation of bodies with the stations in range
(anyio: runs on trio — the simulator — and on asyncio — the node's bridge).

``RadioLink`` takes messages and verdict objects, turns them into frames
(abbreviated where the receiver can expand them, fragmented to the MTU),
queues them by priority and releases them only within the duty-cycle
budget. Incoming frames are decoded as untrusted input: fragments are
reassembled (missing pieces re-requested), abbreviated messages expanded
and verified (the full form asked for with EXPAND_REQ when they cannot be),
and anything bad is dropped with its reason in ``dropped``.

A body whose ``Context`` has ``ids`` and ``raw_of`` is also *reconciled*:
the link is a station with a 4-byte id on a broadcast channel; it announces
itself, opens a ``crdt.reconcile`` session with a station when it first
hears it, an hour after the last session with it, and soon after a message
arrives whose parents it lacks, answers sessions addressed to it (a few at
a time, one per peer), ignores the rest, and sends what the peer lacks as
bulk history in replay order (spec/mesh.md, "Reconciliation over radio").
Time is the link's clock and randomness its ``rng``: the state changes are
plain methods the loops call, so tests can drive them directly.
"""

from __future__ import annotations

import random
import time as _time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import anyio

from crdt.errors import CrdtError
from crdt.reconcile import Done, HaveIds, NeedIds, PeerError, Session, SortedIds
from protocol import envelope
from protocol.envelope import SIGNATURE_BYTES, Envelope
from protocol.errors import ProtocolError

from . import frames
from .dutycycle import Budget, Priority, QueueReport, SendQueue
from .errors import LocalMeshError, MeshError, Unexpandable
from .transport import Transport

Key = tuple[bytes, bytes]  # (ctx, station)


@dataclass(frozen=True, slots=True)
class RadioLinkStatistics:
    """What the link did since it started (``caracol mesh bridge`` shows it)."""

    station: str
    frames_in: Mapping[str, int]  # by frame type: MSG, FRAG, FRAG_REQ, SYNC, ...
    frames_out: Mapping[str, int]
    bytes_in: Mapping[str, int]
    bytes_out: Mapping[str, int]
    dropped: int
    messages_delivered: int
    expand_requests_sent: int
    expand_requests_answered: int
    expand_requests_ignored: int
    expand_requests_pending: int  # full forms this side still waits for
    fragment_requests_sent: int
    sync_started: int
    sync_completed: int
    sync_failed: int
    sync_ignored: int  # session frames addressed to other stations, or stale
    sync_sessions_open: int
    stations_known: int
    queue: QueueReport


@dataclass
class _Peer:
    """A station heard on the channel, per body."""

    heard: float
    due: float | None = None  # when to open a session with it
    last_done: float | None = None
    failures: int = 0
    awaiting: set[bytes] = field(default_factory=set)  # ids it said it would send
    progress: float = 0.0  # when one of those last arrived
    owed: int = 0  # our frames for it still queued
    urgent: bool = False  # a message arrived whose parents we lack
    last_urgent: float | None = None


@dataclass
class _Sync:
    sid: bytes
    session: Session
    initiator: bool
    started: float
    rank: dict[bytes, int]  # our ids in replay order
    last_out: float
    unsent: int = 0  # frames of this session still queued


@dataclass
class _Want:
    """An EXPAND_REQ this side is waiting on."""

    ctx: bytes
    signature: bytes
    attempts: int
    next: float


@dataclass
class _Cached:
    ctx: bytes
    raw: bytes
    priority: Priority
    answered: float | None = None


@dataclass
class RadioLink:
    radio: Transport
    budget: Budget
    contexts: dict[bytes, frames.Context] = field(default_factory=dict)  # ctx -> context
    on_message: Callable[[Envelope], None] | None = None
    on_object: Callable[[bytes, frames.ObjectKind, bytes], None] | None = None
    request_wait: float = 60.0
    clock: Callable[[], float] = field(default=_time.monotonic)
    rng: random.Random = field(default_factory=random.Random)
    station: bytes | None = None  # 4 bytes; drawn from ``rng`` when not given
    auto_sync: bool = True  # False: sessions only by sync() (answered either way)
    resync_interval: float = 3600.0
    sync_timeout: float | None = None  # None: one budget window + 5 min (see timeout)
    sync_retry: float = 120.0  # first back-off after a failed session
    max_sessions: int = 4
    max_answered_per_hour: int = 16  # sessions other stations may open with us
    max_peers: int = 32
    max_failures: int = 6  # then the station is forgotten until heard again
    first_contact_delay: float = 10.0  # a random wait up to this before a first session
    announce_interval: float = 4 * 3600.0
    expand_keep: int = 2048  # abbreviated messages remembered for EXPAND_REQ
    max_expand_pending: int = 64
    expand_attempts: int = 4
    keep_dropped: int = 1000

    def __post_init__(self) -> None:
        self.queue = SendQueue(self.budget, self.radio.airtime)
        self.fragmenter = frames.Fragmenter(self.radio.mtu)
        self.reassembler = frames.Reassembler(timeout=self.request_wait)
        self.dropped: deque[str] = deque(maxlen=self.keep_dropped)
        self.dropped_total = 0
        self._wake = anyio.Event()
        self._sync_wake = anyio.Event()
        self.delivered = 0
        if self.station is None:
            self.station = self.rng.randrange(1, 1 << 32).to_bytes(4, "big")
        if len(self.station) != frames.STATION or self.station == frames.BROADCAST:
            raise LocalMeshError("a station id is 4 bytes, not 00000000")
        self.me: bytes = self.station
        self.sync_frame = min(self.radio.mtu - frames.SYNC_OVERHEAD, 65536)
        for context in list(self.contexts.values()):
            self.add_context(context)  # checks what the MTU allows
        self._peers: OrderedDict[Key, _Peer] = OrderedDict()
        self._sessions: dict[Key, _Sync] = {}
        self._retired: OrderedDict[tuple[bytes, bytes, bytes], None] = OrderedDict()
        # frame -> who queued it, one entry per copy: (session id, key) for a
        # session frame, (None, key) for history owed to a station
        self._queued_for: dict[bytes, deque[tuple[bytes | None, Key]]] = {}
        self._sent_abbrev: OrderedDict[bytes, _Cached] = OrderedDict()
        self._wants: OrderedDict[bytes, _Want] = OrderedDict()
        self._want_by_sig: dict[bytes, bytes] = {}
        self._in: Counter[str] = Counter()
        self._out: Counter[str] = Counter()
        self._bytes_in: Counter[str] = Counter()
        self._bytes_out: Counter[str] = Counter()
        self._n = Counter[str]()
        self._last_arrival: dict[bytes, float] = {}  # ctx -> when a message last arrived
        self._answered: deque[float] = deque()  # when we accepted others' sessions

    def add_context(self, context: frames.Context) -> None:
        if context.ids is not None and self.sync_frame < 120:
            raise LocalMeshError(
                f"an MTU of {self.radio.mtu} cannot carry reconciliation frames (137 at least)"
            )
        self.contexts[context.ctx] = context

    def _drop(self, reason: str) -> None:
        self.dropped.append(reason)
        self.dropped_total += 1

    @property
    def timeout(self) -> float:
        """How long a session may go without a frame from the peer: its reply
        can wait up to one rolling window for its duty-cycle allowance."""
        if self.sync_timeout is not None:
            return self.sync_timeout
        return 300.0 if self.budget.band.duty >= 1.0 else self.budget.window_s + 300.0

    # --- out ------------------------------------------------------------------

    def _queue(
        self, frame: bytes, priority: Priority, *, created: float | None = None
    ) -> list[bytes]:
        pushed = []
        for f in self.fragmenter.split(frame):
            if f not in self.queue:
                self.queue.push(f, priority, created=self.clock() if created is None else created)
                pushed.append(f)
        self._wake.set()
        return pushed

    def _msg_frame(self, ctx: bytes, raw: bytes, priority: Priority) -> bytes:
        context = self.contexts.get(ctx)
        if context is None:
            return frames.encode_msg(ctx, raw)
        abbrev = frames.abbreviate(raw, context)
        handle = frames.handle_of(abbrev)
        self._sent_abbrev[handle] = _Cached(ctx, raw, priority)
        self._sent_abbrev.move_to_end(handle)
        while len(self._sent_abbrev) > self.expand_keep:
            self._sent_abbrev.popitem(last=False)
        return frames.encode_msg(ctx, abbrev, abbreviated=True)

    def send_message(self, env: Envelope, priority: Priority) -> None:
        ctx = env.body[: frames.CTX]
        self._queue(self._msg_frame(ctx, env.raw, priority), priority)

    def send_object(
        self, body: bytes, what: frames.ObjectKind, data: bytes, priority: Priority
    ) -> None:
        self._queue(frames.encode(frames.Object(body[: frames.CTX], what, data)), priority)

    def frame_sent(self, frame: bytes, now: float) -> None:
        """Bookkeeping once a frame from the queue has left the radio (``pump``
        calls it; a driver popping ``queue`` itself must too)."""
        name = _type_name(frame)
        self._out[name] += 1
        self._bytes_out[name] += len(frame)
        owners = self._queued_for.get(frame)
        if not owners:
            return
        sid, key = owners.popleft()
        if not owners:
            del self._queued_for[frame]
        if sid is not None:
            st = self._sessions.get(key)
            if st is not None and st.sid == sid:
                st.unsent = max(0, st.unsent - 1)
                st.last_out = now
        else:
            peer = self._peers.get(key)
            if peer is not None:
                peer.owed = max(0, peer.owed - 1)

    async def pump(self) -> None:
        """Send queued frames whenever the budget allows (run in a nursery)."""
        while True:
            frame, wake = self.queue.pop_ready(self.clock())
            if frame is not None:
                await self.radio.send(frame)
                self.frame_sent(frame, self.clock())
                continue
            self._wake = anyio.Event()
            with anyio.move_on_after(max(0.0, (wake or self.clock() + 3600) - self.clock())):
                await self._wake.wait()

    # --- in -------------------------------------------------------------------

    async def listen(self) -> None:
        while True:
            data = await self.radio.receive()
            self.receive(data)

    def receive(self, data: bytes) -> None:
        """Handle one frame from the air (never raises for bad input)."""
        name = _type_name(data)
        self._in[name] += 1
        self._bytes_in[name] += len(data)
        try:
            self._handle(data)
        except (MeshError, ProtocolError, CrdtError) as exc:
            self._drop(f"{exc.code}: {exc}")

    async def ask_for_missing(self) -> None:
        while True:
            await anyio.sleep(self.request_wait / 2)
            self.request_missing(self.clock())

    def request_missing(self, now: float) -> None:
        """FRAG_REQ for idle partial messages; EXPAND_REQ again (backing off)
        for abbreviations still unexpanded."""
        for req in self.reassembler.requests(now, self.request_wait):
            self.queue.push(req, Priority.VERDICT, created=now)
            self._n["fragment_requests"] += 1
            self._wake.set()
        self._flush_reassembler()
        for handle, want in list(self._wants.items()):
            if now < want.next:
                continue
            if want.attempts >= self.expand_attempts:
                self._forget_want(handle)
                self._drop(
                    f"unexpandable: no full form of {handle.hex()} after {want.attempts} requests"
                )
                continue
            self._ask_expand(handle, want, now)

    def _ask_expand(self, handle: bytes, want: _Want, now: float) -> None:
        self.queue.push(
            frames.encode(frames.ExpandReq(want.ctx, handle)), Priority.VERDICT, created=now
        )
        want.attempts += 1
        want.next = now + self.request_wait * 2 ** (want.attempts - 1)
        self._n["expand_requests_sent"] += 1
        self._wake.set()

    def _forget_want(self, handle: bytes) -> None:
        want = self._wants.pop(handle, None)
        if want is not None:
            self._want_by_sig.pop(want.signature, None)

    def _flush_reassembler(self) -> None:
        for reason in self.reassembler.dropped:
            self._drop(reason)
        self.reassembler.dropped.clear()

    def _handle(self, data: bytes) -> None:
        frame = frames.decode_untrusted(data)
        now = self.clock()
        if isinstance(frame, frames.Frag):
            whole = self.reassembler.receive(frame, now)
            self._flush_reassembler()
            if whole is not None:
                self._handle(whole)
            return
        if isinstance(frame, frames.FragReq):
            for f in self.fragmenter.resend(frame):
                if f not in self.queue:  # already waiting for air time
                    self.queue.push(f, Priority.VERDICT, created=now)
            self._wake.set()
            return
        if isinstance(frame, frames.Object):
            if self.on_object is not None:
                self.on_object(frame.ctx, frame.what, frame.data)
            return
        if isinstance(frame, frames.ExpandReq):
            self._answer_expand(frame, now)
            return
        if isinstance(frame, frames.Sync):
            self._handle_sync(frame, now)
            return
        self._handle_msg(frame, now)

    def _handle_msg(self, frame: frames.Msg, now: float) -> None:
        context = self.contexts.get(frame.ctx)
        if context is None:
            self._drop(f"a message for unknown body {frame.ctx.hex()}")
            return
        if frame.abbreviated:
            try:
                raw = frames.expand_untrusted(frame.body, context)
            except Unexpandable as exc:
                self._want_full(frame, now)
                self._drop(f"{exc.code}: {exc}")
                return
        else:
            raw = frame.body
        if len(raw) < 2:
            self._drop("bad_frame: a message of less than 2 bytes")
            return
        env = envelope.open_untrusted(raw, None if raw[1] == 1 else context.body)
        if env.body != context.body:
            self._drop(f"a message of body {env.body.hex()[:16]}… under ctx {frame.ctx.hex()}")
            return
        handle = self._want_by_sig.get(raw[-SIGNATURE_BYTES:])
        if handle is not None:
            self._forget_want(handle)
        lacks = context.raw_of is not None and any(context.raw_of(p) is None for p in env.parents)
        self._arrived(frame.ctx, env.id, now)
        self._last_arrival[frame.ctx] = now
        self.delivered += 1
        if self.on_message is not None:
            self.on_message(env)
        if lacks and self.auto_sync:
            self._lacking_parents(frame.ctx, now)

    def _want_full(self, frame: frames.Msg, now: float) -> None:
        handle = frames.handle_of(frame.body)
        if handle in self._wants:
            return  # asked already; request_missing asks again, backing off
        if len(frame.body) <= SIGNATURE_BYTES:
            return
        want = _Want(frame.ctx, frame.body[-SIGNATURE_BYTES:], 0, now)
        self._wants[handle] = want
        self._want_by_sig[want.signature] = handle
        while len(self._wants) > self.max_expand_pending:
            old = next(iter(self._wants))
            self._forget_want(old)
            self._drop(f"unexpandable: gave up on {old.hex()}: too many pending requests")
        self._ask_expand(handle, want, now)

    def _answer_expand(self, req: frames.ExpandReq, now: float) -> None:
        cached = self._sent_abbrev.get(req.handle)
        if cached is None or cached.ctx != req.ctx:
            self._n["expand_requests_ignored"] += 1  # not ours: another station's, or too old
            return
        if cached.answered is not None and now - cached.answered < self.request_wait:
            self._n["expand_requests_ignored"] += 1  # answered just now; it is on its way
            return
        cached.answered = now
        self._queue(frames.encode_msg(req.ctx, cached.raw), cached.priority)
        self._n["expand_requests_answered"] += 1

    # --- reconciliation ---------------------------------------------------------

    def _reconciled(self, ctx: bytes) -> frames.Context | None:
        context = self.contexts.get(ctx)
        if context is None or context.ids is None or context.raw_of is None:
            return None
        return context

    def sync(self, ctx: bytes, peer: bytes) -> bool:
        """Open a session with station ``peer`` for body ``ctx`` now (False when
        one is already open with it, or too many are)."""
        if self._reconciled(ctx) is None:
            raise LocalMeshError(f"body {ctx.hex()} is not reconciled over this link")
        now = self.clock()
        key = (ctx, peer)
        if key not in self._peers:
            self._remember(key, now)
        return self._open(key, now)

    def announce(self, *, unless_busy: bool = False) -> None:
        """Say on the channel which bodies this station reconciles (with
        ``unless_busy``: only those with no session in the last interval)."""
        now = self.clock()
        for ctx in self.contexts:
            if unless_busy and any(
                c == ctx and p.last_done is not None and now - p.last_done < self.announce_interval
                for (c, _), p in self._peers.items()
            ):
                continue
            if self._reconciled(ctx) is not None:
                a = frames.Sync(ctx, bytes(frames.SESSION), self.me, frames.BROADCAST, b"")
                self.queue.push(frames.encode(a), Priority.FRESH, created=self.clock())
        self._wake.set()

    def _remember(self, key: Key, now: float) -> _Peer:
        peer = self._peers.get(key)
        if peer is None:
            peer = _Peer(heard=now)
            if self.auto_sync:
                peer.due = now + self.rng.uniform(0.0, self.first_contact_delay)
                self._sync_wake.set()
            self._peers[key] = peer
            while len(self._peers) > self.max_peers:
                for old in self._peers:  # the least recently heard without a session
                    if old not in self._sessions:
                        del self._peers[old]
                        break
                else:
                    break
        peer.heard = now
        self._peers.move_to_end(key)
        return peer

    def _open(self, key: Key, now: float) -> bool:
        if key in self._sessions or len(self._sessions) >= self.max_sessions:
            return False
        sid = self.rng.randrange(1, 1 << 32).to_bytes(4, "big")
        st = self._new_session(key, sid, initiator=True, now=now)
        st.session.initiate()
        self._n["sync_started"] += 1
        peer = self._peers.get(key)
        if peer is not None:
            peer.due = None
        self._after(key, st, now)
        return True

    def _new_session(self, key: Key, sid: bytes, *, initiator: bool, now: float) -> _Sync:
        context = self._reconciled(key[0])
        assert context is not None and context.ids is not None
        ids = list(context.ids())
        session = Session(SortedIds(ids), max_frame=self.sync_frame, timeout=self.timeout, now=now)
        st = _Sync(sid, session, initiator, now, {m: i for i, m in enumerate(ids)}, now)
        self._sessions[key] = st
        self._sync_wake.set()
        return st

    def _handle_sync(self, frame: frames.Sync, now: float) -> None:
        if frame.sender == self.me:
            return  # our own frame, relayed back
        if self._reconciled(frame.ctx) is None:
            self._n["sync_ignored"] += 1  # a body we do not reconcile here
            return
        key = (frame.ctx, frame.sender)
        self._remember(key, now)
        if frame.announcement:
            return
        if frame.receiver != self.me:
            self._n["sync_ignored"] += 1  # a session between two other stations
            return
        st = self._sessions.get(key)
        if st is not None and st.sid == frame.session:
            st.session.receive_frame(frame.frame, now)
            self._after(key, st, now)
            return
        if (frame.ctx, frame.sender, frame.session) in self._retired:
            self._n["sync_ignored"] += 1  # a late frame of a session already over
            return
        peer_name = frame.sender.hex()
        if st is not None:
            if not (st.initiator and frame.sender < self.me):
                self._drop(
                    f"sync: station {peer_name} opened session {frame.session.hex()} "
                    f"while {st.sid.hex()} is open with it"
                )
                return
            # Both opened at once: the lower station id's session goes on.
            self._retire(key, st)
        if len(self._sessions) >= self.max_sessions:
            self._drop(f"sync: {self.max_sessions} sessions open; refused one from {peer_name}")
            return
        while self._answered and self._answered[0] <= now - 3600.0:
            self._answered.popleft()
        if len(self._answered) >= self.max_answered_per_hour:
            self._drop(
                f"sync: {self.max_answered_per_hour} sessions answered this hour; "
                f"refused one from {peer_name}"
            )
            return
        self._answered.append(now)
        st = self._new_session(key, frame.session, initiator=False, now=now)
        self._n["sync_started"] += 1
        st.session.receive_frame(frame.frame, now)
        self._after(key, st, now)

    def _retire(self, key: Key, st: _Sync) -> None:
        self._sessions.pop(key, None)
        self._retired[(key[0], key[1], st.sid)] = None
        while len(self._retired) > 64:
            self._retired.popitem(last=False)

    def _after(self, key: Key, st: _Sync, now: float) -> None:
        """Send what the session produced and act on its events."""
        ctx, station = key
        for f in st.session.frames_to_send():
            data = frames.encode(frames.Sync(ctx, st.sid, self.me, station, f))
            self.queue.push(data, Priority.FRESH, created=now)
            self._queued_for.setdefault(data, deque()).append((st.sid, key))
            st.unsent += 1
            st.last_out = now
        self._wake.set()
        have: set[bytes] = set()
        peer = self._peers.setdefault(key, _Peer(heard=now))
        for ev in st.session.events():
            if isinstance(ev, HaveIds):
                have.update(ev.ids)
            elif isinstance(ev, NeedIds):
                peer.awaiting.update(ev.ids)
                peer.progress = now
            elif isinstance(ev, Done):
                self._retire(key, st)
                self._n["sync_completed"] += 1
                peer.last_done = now
                peer.failures = 0
                peer.due = now + self.resync_interval
            elif isinstance(ev, PeerError):
                self._retire(key, st)
                self._failed(key, peer, f"sync with {station.hex()}: {ev.code}: {ev.reason}", now)
        if have:
            self._send_history(key, st, have)

    def _failed(self, key: Key, peer: _Peer, reason: str, now: float) -> None:
        self._n["sync_failed"] += 1
        self._drop(reason)
        peer.failures += 1
        if peer.failures >= self.max_failures and key not in self._sessions:
            self._peers.pop(key, None)
            return
        back_off = min(self.sync_retry * 2 ** (peer.failures - 1), 6 * 3600.0)
        peer.due = now + back_off * self.rng.uniform(1.0, 1.5)
        self._sync_wake.set()

    def _send_history(self, key: Key, st: _Sync, ids: set[bytes]) -> None:
        """The messages the peer lacks, as bulk history, parents first: every
        message of a session is as fresh as the session, in replay order."""
        context = self._reconciled(key[0])
        assert context is not None and context.raw_of is not None
        peer = self._peers.setdefault(key, _Peer(heard=st.started))
        for mid in sorted(ids, key=lambda m: st.rank.get(m, len(st.rank))):
            raw = context.raw_of(mid)
            if raw is None:
                continue  # offered, then no longer held: the next session sorts it out
            frame = self._msg_frame(key[0], raw, Priority.BULK)
            created = st.started - st.rank.get(mid, len(st.rank)) * 1e-6
            for f in self._queue(frame, Priority.BULK, created=created):
                self._queued_for.setdefault(f, deque()).append((None, key))
                peer.owed += 1

    def _arrived(self, ctx: bytes, mid: bytes, now: float) -> None:
        for (c, _), peer in self._peers.items():
            if c == ctx and mid in peer.awaiting:
                peer.awaiting.discard(mid)
                peer.progress = now

    def _lacking_parents(self, ctx: bytes, now: float) -> None:
        """A message whose parents we lack: sync soon with the stations we know
        for the body (those sending us history will be asked once it is in)."""
        soon = now + self.request_wait
        for (c, _), peer in self._peers.items():
            if c != ctx or (
                peer.last_urgent is not None and now - peer.last_urgent < self.resync_interval
            ):
                continue  # at most one such session an hour per station
            peer.urgent = True
            if peer.due is None or peer.due > soon:
                peer.due = soon
        self._sync_wake.set()

    def sync_timer(self, now: float) -> float:
        """Time out stalled sessions, open due ones; returns when to call again."""
        timeout = self.timeout
        for key, st in list(self._sessions.items()):
            if st.unsent == 0 and now >= st.last_out + timeout:
                st.session.handle_timer(now)
                self._after(key, st, now)
        for key, peer in list(self._peers.items()):
            if peer.awaiting and now >= peer.progress + timeout:
                context = self._reconciled(key[0])
                raw_of = context.raw_of if context is not None else None
                missing = [m for m in peer.awaiting if raw_of is None or raw_of(m) is None]
                peer.awaiting.clear()
                if missing:
                    self._failed(
                        key,
                        peer,
                        f"sync: {len(missing)} messages station {key[1].hex()} offered "
                        f"have not arrived",
                        now,
                    )
                    continue
        for key, peer in list(self._peers.items()) if self.auto_sync else ():
            if peer.due is None or now < peer.due or key in self._sessions:
                continue
            if peer.awaiting or peer.owed:
                continue  # history is still flowing; ask again once it is in
            quiet = now - self._last_arrival.get(key[0], float("-inf")) >= timeout
            if peer.last_done is not None and not peer.urgent and not quiet:
                continue  # messages are still arriving: history is on its way
            if peer.urgent:
                peer.urgent, peer.last_urgent = False, now
            if not self._open(key, now):
                peer.due = now + self.request_wait
        wakes = [now + self.request_wait]
        for st in self._sessions.values():
            timer = st.session.get_timer()
            if timer is not None and st.unsent == 0:
                wakes.append(max(timer, st.last_out + timeout))
        for peer in self._peers.values():
            if peer.due is not None and not (peer.awaiting or peer.owed):
                wakes.append(peer.due)
            if peer.awaiting:
                wakes.append(peer.progress + timeout)
        return min(w for w in wakes if w > now)

    async def sync_loop(self) -> None:
        while True:
            wake = self.sync_timer(self.clock())
            self._sync_wake = anyio.Event()
            with anyio.move_on_after(max(0.0, wake - self.clock())):
                await self._sync_wake.wait()

    async def run(self) -> None:
        """Everything a link does, in one task group: the send pump, the
        listener, re-requests of missing pieces, and reconciliation."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.pump)
            tg.start_soon(self.listen)
            tg.start_soon(self.ask_for_missing)
            tg.start_soon(self.sync_loop)
            if self.auto_sync:
                tg.start_soon(self._announcer)

    async def _announcer(self) -> None:
        await anyio.sleep(self.rng.uniform(0.0, self.first_contact_delay))
        self.announce()
        while True:
            await anyio.sleep(self.announce_interval * self.rng.uniform(1.0, 1.25))
            self.announce(unless_busy=True)

    # --- report -------------------------------------------------------------------

    def statistics(self) -> RadioLinkStatistics:
        n = self._n
        return RadioLinkStatistics(
            station=self.me.hex(),
            frames_in=dict(self._in),
            frames_out=dict(self._out),
            bytes_in=dict(self._bytes_in),
            bytes_out=dict(self._bytes_out),
            dropped=self.dropped_total,
            messages_delivered=self.delivered,
            expand_requests_sent=n["expand_requests_sent"],
            expand_requests_answered=n["expand_requests_answered"],
            expand_requests_ignored=n["expand_requests_ignored"],
            expand_requests_pending=len(self._wants),
            fragment_requests_sent=n["fragment_requests"],
            sync_started=n["sync_started"],
            sync_completed=n["sync_completed"],
            sync_failed=n["sync_failed"],
            sync_ignored=n["sync_ignored"],
            sync_sessions_open=len(self._sessions),
            stations_known=len(self._peers),
            queue=self.queue.report(self.clock()),
        )


def _type_name(frame: bytes) -> str:
    if not frame or frame[0] >> 4 != frames.VERSION:
        return "INVALID"
    try:
        return frames.FrameType(frame[0] & 0x0F).name
    except ValueError:
        return "INVALID"
