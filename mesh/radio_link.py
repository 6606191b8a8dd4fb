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
Sessions survive frame loss by turns (``radio_sync.Turns``): a turn goes to
the session only when all its parts are in, and a lost one is sent again
(on silence, on a repeat of the peer's previous turn, or the parts a NACK
names), also by the side whose final turn ended its session.
History sent after a session is followed by OFFERs naming it; messages a
peer offered (in the session, or by OFFER) that do not arrive are asked for
directly (WANT, by 8-byte prefix) once their arrival has stalled, a few
rounds with back-off, before a new session is opened to find them
(spec/mesh.md, "Lost frames").
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
from .radio_sync import Heard, Turns, answer_wait
from .transport import Transport

Key = tuple[bytes, bytes]  # (ctx, station)
# owners in ``_queued_for`` besides a session id (4 bytes) and None (history
# owed to a station): never 4 bytes long, so never a session's id
_OUR_WANT = b"w"  # a WANT of ours
_FOR_WANT = b"r"  # a message sent again because a station's WANT asked for it


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
    sync_turns_resent: int  # our turns (or parts of them) sent again: lost on the way
    sync_nacks_sent: int  # NACKs for parts of the peer's turns that did not arrive
    sync_duplicates: int  # session frames heard again (never fed twice to the session)
    sync_superseded: int  # our sessions ended by the peer opening a new one
    wants_sent: int  # WANT frames we sent for messages offered that did not arrive
    wants_answered: int  # WANTs addressed to us that named messages we hold
    wants_ignored: int  # WANTs for other stations, over the limits, or naming nothing held
    want_prefixes_unknown: int  # prefixes in WANTs to us that match no message here
    messages_resent_for_wants: int  # messages queued again because a WANT asked
    offers_sent: int  # OFFER frames after history we sent: the ids, so losses can be WANTed
    offers_ignored: int  # OFFERs for other stations or bodies, or from stations unknown here
    stations_known: int
    queue: QueueReport


@dataclass
class _Peer:
    """A station heard on the channel, per body."""

    heard: float
    due: float | None = None  # when to open a session with it
    last_done: float | None = None
    failures: int = 0
    # ids it said it would send (NeedIds), and 8-byte prefixes of those its
    # OFFERs named that we lack
    awaiting: set[bytes] = field(default_factory=set)
    progress: float = 0.0  # when one of those last arrived
    expect_from: float = 0.0  # from when the peer sends ``expect_frames`` of them …
    expect_frames: int = 0  # … at its duty cycle's pace (see _expect_until)
    want_rounds: int = 0  # WANT rounds for them since one last arrived
    want_unsent: int = 0  # our WANT frames for it still queued
    want_at: float = 0.0  # when we queued our last WANT round
    want_out: float = 0.0  # when it left the radio
    want_asked: int = 0  # ids that round asked for
    history_out: float = float("-inf")  # when history for it last left the radio
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
    turns: Turns
    last_in: float  # when a new part of the peer's turn last arrived
    unsent: int = 0  # frames of this session not yet sent (in the queue or the outbox)
    in_queue: int = 0  # of those, in the send queue
    # the rest, handed to the queue a few at a time: a session that ends
    # leaves at most ``sync_window`` frames behind to waste air time
    outbox: deque[bytes] = field(default_factory=deque)


@dataclass
class _Retired:
    """A session that ended Done: its last turn is kept, to send again when the
    peer shows it never got it."""

    turns: Turns
    at: float


@dataclass
class _Want:
    """An EXPAND_REQ this side is waiting on."""

    ctx: bytes
    signature: bytes
    attempts: int
    next: float
    priority: Priority = Priority.VERDICT  # FRESH when the expansion did not verify


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
    turn_wait: float = 30.0  # margin of every wait for a turn (see _turn_wait)
    turn_retries: int = 6  # resends of our turn, NACKs for the peer's, per turn
    max_turn_resends: int = 12  # our turn sent again at most this often, for any reason
    sync_window: int = 4  # frames of one session in the send queue at once
    expand_keep: int = 2048  # abbreviated messages remembered for EXPAND_REQ
    max_expand_pending: int = 64
    expand_attempts: int = 4
    keep_dropped: int = 1000
    want_rounds: int = 4  # WANT rounds without an arrival before a new session
    want_frames_per_round: int = 8  # WANT frames in one round (27 prefixes each at MTU 233)
    max_wants_per_peer_hour: int = 16  # WANTs from one station considered per hour
    max_wants_per_hour: int = 64  # from all stations (station ids are not authenticated)
    max_want_messages: int = 32  # messages queued for one WANT
    max_want_backlog: int = 256  # frames queued for WANTs at once
    max_awaiting: int = 4096  # ids (or prefixes) awaited from one station

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
        self._retired: OrderedDict[tuple[bytes, bytes, bytes], _Retired | None] = OrderedDict()
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
        self._want_times: OrderedDict[Key, deque[float]] = OrderedDict()  # WANTs heard, by station
        self._wants_heard: deque[float] = deque()  # WANTs to us considered, all stations
        self._want_backlog = 0  # frames queued for WANTs, not yet sent
        # the last frame of a few history messages -> the OFFER naming them, to
        # queue once it has left (key, ids, created)
        self._offer_after: dict[bytes, tuple[Key, list[bytes], float]] = {}

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

    def _turn_wait(self, frames_expected: int, attempt: int) -> float:
        """How long to wait for ``frames_expected`` frames of the peer's before
        asking again (``attempt`` times already): their air time at the rate
        the duty cycle lets the peer send, plus ``turn_wait``, doubling, at
        most a quarter of the session timeout."""
        duty = self.budget.band.duty
        rate = duty * self.budget.margin if duty < 1.0 else 1.0
        return answer_wait(
            frames_expected,
            attempt,
            frame_airtime=self.radio.airtime(self.radio.mtu),
            rate=rate,
            margin=self.turn_wait,
            cap=self.timeout / 4,
        )

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
        offer = self._offer_after.pop(frame, None)
        if offer is not None:
            self._queue_offer(*offer)
        owners = self._queued_for.get(frame)
        if not owners:
            return
        sid, key = owners.popleft()
        if not owners:
            del self._queued_for[frame]
        if sid == _OUR_WANT:
            peer = self._peers.get(key)
            if peer is not None and peer.want_unsent:
                peer.want_unsent -= 1
                if not peer.want_unsent:
                    # the round has left: the peer needs the air time of what it asked for
                    peer.want_out = now
                    peer.expect_from, peer.expect_frames = now, peer.want_asked
                    self._sync_wake.set()
            return
        if sid == _FOR_WANT:
            self._want_backlog = max(0, self._want_backlog - 1)
            sid = None
        if sid is not None:
            st = self._sessions.get(key)
            if st is not None and st.sid == sid:
                st.unsent = max(0, st.unsent - 1)
                st.in_queue = max(0, st.in_queue - 1)
                st.last_out = now
                self._feed(key, st, now)
        else:
            peer = self._peers.get(key)
            if peer is not None:
                peer.owed = max(0, peer.owed - 1)
                peer.history_out = now

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
            frames.encode(frames.ExpandReq(want.ctx, handle)), want.priority, created=now
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
        if isinstance(frame, frames.Want):
            if frame.offer:
                self._heard_offer(frame, len(data), now)
            else:
                self._answer_want(frame, len(data), now)
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
        try:
            env = envelope.open_untrusted(raw, None if raw[1] == 1 else context.body)
        except ProtocolError as exc:
            if frame.abbreviated and exc.code == "bad_signature":
                # Rebuilt bytes that do not verify: the two ends' rosters (an
                # admission or a departure one of them missed) or parent
                # prefixes disagree, or the frame is forged. Only the full
                # form can tell; asked for below the reserve, as a forger
                # must not spend our decisions' air time.
                self._want_full(frame, now, priority=Priority.FRESH)
                self._drop(
                    "unexpandable: the abbreviated message did not verify once expanded "
                    "(roster or parents differ here); asked for the full form"
                )
                return
            raise
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

    def _want_full(
        self, frame: frames.Msg, now: float, *, priority: Priority = Priority.VERDICT
    ) -> None:
        handle = frames.handle_of(frame.body)
        if handle in self._wants:
            return  # asked already; request_missing asks again, backing off
        if len(frame.body) <= SIGNATURE_BYTES:
            return
        want = _Want(frame.ctx, frame.body[-SIGNATURE_BYTES:], 0, now, priority)
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
                a = frames.announcement(ctx, self.me)
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
        rank = {m: i for i, m in enumerate(ids)}
        st = _Sync(sid, session, initiator, now, rank, now, Turns(initiator), now)
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
            self._in_session(key, st, frame, now)
            return
        if (frame.ctx, frame.sender, frame.session) in self._retired:
            self._in_retired(
                key, frame, self._retired[(frame.ctx, frame.sender, frame.session)], now
            )
            return
        peer_name = frame.sender.hex()
        if frame.is_nack:
            self._drop(
                f"sync: a NACK from {peer_name} for session {frame.session.hex()}, not one of ours"
            )
            return
        if frame.turn != 0:
            self._drop(
                f"sync: session {frame.session.hex()} from {peer_name} "
                f"starts at turn {frame.turn}, not 0"
            )
            return
        if st is not None:
            opening = st.initiator and st.turns.expect == 1 and st.turns.waiting
            if opening and frame.sender > self.me:
                # Both opened at once: the lower station id's session goes on.
                self._drop(
                    f"sync: station {peer_name} opened session {frame.session.hex()} "
                    f"while {st.sid.hex()} is opening"
                )
                return
            # Both opened at once and theirs goes on, or the peer has ended ours
            # (a station keeps one session per peer): its final turn or its
            # timeout did not reach us. Ours is superseded.
            self._n["sync_superseded"] += 1
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
        self._in_session(key, st, frame, now)

    def _in_session(self, key: Key, st: _Sync, frame: frames.Sync, now: float) -> None:
        """A frame of an open session: a NACK, or a part of a turn, fed to the
        session only once the turn is whole (spec/mesh.md, "Lost frames")."""
        turns = st.turns
        who = f"sync: station {key[1].hex()}, session {st.sid.hex()}"
        if frame.is_nack:
            asked = turns.nacked_parts(frame.turn, frame.part, frame.missing)
            if asked.heard is Heard.BAD:
                self._drop(f"{who}: {asked.reason}")
            elif asked.heard is Heard.STALE:
                self._n["sync_ignored"] += 1
            else:
                self._resend(key, st.sid, turns, list(frame.missing), now, st)
            return
        heard = turns.receive(frame.turn, frame.part, frame.parts, frame.frame, now)
        if heard.heard is Heard.COMPLETE:
            st.last_in = now
            for f in heard.frames:
                st.session.receive_frame(f, now)
            self._after(key, st, now)
        elif heard.heard is Heard.BUFFERED:
            st.last_in = now
            self._sync_wake.set()  # a NACK may be due
        elif heard.heard is Heard.PREVIOUS:
            self._n["sync_duplicates"] += 1  # our answer to it was lost
            self._resend(key, st.sid, turns, list(range(len(turns.out))), now, st)
        elif heard.heard is Heard.DUPLICATE:
            self._n["sync_duplicates"] += 1
        elif heard.heard is Heard.STALE:
            self._n["sync_ignored"] += 1
        else:
            self._drop(f"{who}: {heard.reason}")

    def _in_retired(self, key: Key, frame: frames.Sync, old: _Retired | None, now: float) -> None:
        """A frame of a session already over. When it ended Done on our final
        turn, a repeat of the peer's turn before it or a NACK for it means
        the final turn was lost: send it again (for one session timeout)."""
        if old is None or now > old.at + self.timeout:
            self._n["sync_ignored"] += 1  # a late frame of a session already over
            return
        turns = old.turns
        if frame.is_nack:
            asked = turns.nacked_parts(frame.turn, frame.part, frame.missing)
            if asked.heard is Heard.COMPLETE:
                self._resend(key, frame.session, turns, list(frame.missing), now, None)
                return
        elif frame.turn < turns.expect:
            heard = turns.receive(frame.turn, frame.part, frame.parts, frame.frame, now)
            if heard.heard is Heard.PREVIOUS:
                self._n["sync_duplicates"] += 1
                self._resend(key, frame.session, turns, list(range(len(turns.out))), now, None)
                return
        self._n["sync_ignored"] += 1

    def _push_sync(self, key: Key, sid: bytes, sync: frames.Sync, now: float) -> bool:
        """Queue a session frame of ours (not when it is waiting already): an
        open session's through its outbox, a retired one's straight away."""
        data = frames.encode(sync)
        if data in self.queue:
            return False
        st = self._sessions.get(key)
        if st is not None and st.sid == sid:
            if data in st.outbox:
                return False
            st.outbox.append(data)
            st.unsent += 1
            st.last_out = now
            self._feed(key, st, now)
            return True
        self.queue.push(data, Priority.FRESH, created=now)
        self._queued_for.setdefault(data, deque()).append((sid, key))
        self._wake.set()
        return True

    def _feed(self, key: Key, st: _Sync, now: float) -> None:
        """Hand a session's frames to the send queue, ``sync_window`` at a time."""
        while st.outbox and st.in_queue < self.sync_window:
            data = st.outbox.popleft()
            self.queue.push(data, Priority.FRESH, created=now)
            self._queued_for.setdefault(data, deque()).append((st.sid, key))
            st.in_queue += 1
        self._wake.set()

    def _resend(
        self, key: Key, sid: bytes, turns: Turns, parts: list[int], now: float, st: _Sync | None
    ) -> bool:
        """Queue parts of our last turn again: rate-limited (once per half
        ``turn_wait``, at most ``max_turn_resends`` times a turn), and not
        the parts still queued."""
        if turns.mine is None or not turns.out:
            return False
        if turns.resends >= self.max_turn_resends or now < turns.requeued + self.turn_wait / 2:
            return False
        ctx, station = key
        count = len(turns.out)
        pushed = 0
        for i in parts:
            sync = frames.Sync(ctx, sid, self.me, station, turns.mine, i, count, turns.out[i])
            pushed += self._push_sync(key, sid, sync, now)
        if not pushed:
            return False
        turns.resends += 1
        turns.requeued = now
        self._n["sync_turns_resent"] += 1
        return True

    def _nack(self, key: Key, st: _Sync, now: float) -> None:
        turns = st.turns
        assert turns.count is not None
        nack = frames.nack(
            key[0], st.sid, self.me, key[1], turns.expect, turns.count, turns.missing()
        )
        if self._push_sync(key, st.sid, nack, now):
            self._n["sync_nacks_sent"] += 1
        turns.nacks += 1
        turns.nacked = now

    def _retire(self, key: Key, st: _Sync, now: float | None = None) -> None:
        """End a session; with ``now``, it ended Done and its last turn is kept."""
        self._sessions.pop(key, None)
        self._retired[(key[0], key[1], st.sid)] = None if now is None else _Retired(st.turns, now)
        self._retired.move_to_end((key[0], key[1], st.sid))
        while len(self._retired) > 64:
            self._retired.popitem(last=False)

    def _after(self, key: Key, st: _Sync, now: float) -> None:
        """Send what the session produced and act on its events."""
        ctx, station = key
        peer = self._peers.setdefault(key, _Peer(heard=now))
        out = st.session.frames_to_send()
        if out:
            try:
                turn = st.turns.sent(out)
            except LocalMeshError as exc:
                self._retire(key, st)
                self._failed(key, peer, f"sync with {station.hex()}: {exc}", now)
                return
            for i, f in enumerate(out):
                sync = frames.Sync(ctx, st.sid, self.me, station, turn, i, len(out), f)
                self._push_sync(key, st.sid, sync, now)
        have: set[bytes] = set()
        for ev in st.session.events():
            if isinstance(ev, HaveIds):
                have.update(ev.ids)
            elif isinstance(ev, NeedIds):
                new = set(ev.ids) - peer.awaiting
                peer.awaiting.update(new)
                peer.progress = now
                peer.want_rounds = 0
                # sent after what it already owes us, at the pace its duty cycle allows
                if now >= self._expect_until(peer):
                    peer.expect_from, peer.expect_frames = now, 0
                peer.expect_frames += len(new)
            elif isinstance(ev, Done):
                # on our final turn, keep it: the peer may not have heard it
                self._retire(key, st, now if out else None)
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
        room = frames.want_capacity(self.radio.mtu)
        chunk: list[bytes] = []
        last: tuple[bytes, float] | None = None  # the chunk's last frame queued here
        end = st.started - (len(st.rank) + 1) * 1e-6  # after all history of the session
        for mid in sorted(ids, key=lambda m: st.rank.get(m, len(st.rank))):
            raw = context.raw_of(mid)
            if raw is None:
                continue  # offered, then no longer held: the next session sorts it out
            frame = self._msg_frame(key[0], raw, Priority.BULK)
            created = st.started - st.rank.get(mid, len(st.rank)) * 1e-6
            pushed = self._queue(frame, Priority.BULK, created=created)
            for f in pushed:
                self._queued_for.setdefault(f, deque()).append((None, key))
                peer.owed += 1
            chunk.append(mid)
            if pushed:
                last = (pushed[-1], end)
            if len(chunk) >= room:
                self._offer_later(key, chunk, last)
                chunk, last = [], None
        if chunk:
            self._offer_later(key, chunk, last)

    def _offer_later(self, key: Key, ids: list[bytes], last: tuple[bytes, float] | None) -> None:
        """Once the last of these messages has left, an OFFER naming them
        (``frame_sent`` queues it, behind the rest of the session's history:
        the peer has every message it can get before the OFFERs use air)."""
        if last is None:
            return  # all were queued already, for an earlier session
        frame, created = last
        self._offer_after[frame] = (key, ids, created)
        while len(self._offer_after) > 4 * self.expand_keep:
            self._offer_after.pop(next(iter(self._offer_after)))

    def _queue_offer(self, key: Key, ids: list[bytes], created: float) -> None:
        """An OFFER naming history sent to a station: the peer learns the ids
        it lacked even when it listed its own in the session, and WANTs those
        lost."""
        peer = self._peers.get(key)
        for data in frames.wants(key[0], self.me, key[1], ids, self.radio.mtu, offer=True):
            if data in self.queue:
                continue
            self.queue.push(data, Priority.BULK, created=created)
            self._queued_for.setdefault(data, deque()).append((None, key))
            if peer is not None:
                peer.owed += 1
            self._n["offers_sent"] += 1
        self._wake.set()

    def _arrived(self, ctx: bytes, mid: bytes, now: float) -> None:
        for (c, _), peer in self._peers.items():
            if c == ctx and (mid in peer.awaiting or mid[: frames.PREFIX] in peer.awaiting):
                peer.awaiting.discard(mid)
                peer.awaiting.discard(mid[: frames.PREFIX])
                peer.progress = now
                peer.want_rounds = 0  # progress: the rounds count again

    # --- asking for what was offered and did not arrive (WANT) ------------------

    def _history_pace(self) -> float:
        """Seconds of the peer's time per history frame: the air time of a
        message frame (the mean of those heard, the MTU's before any) at the
        share of the duty cycle history may use (the peer's band is ours)."""
        n = self._in["MSG"]
        size = self._bytes_in["MSG"] / n if n else self.radio.mtu
        duty = self.budget.band.duty
        if duty >= 1.0:
            return float(self.radio.airtime(round(size)))
        rate = duty * self.budget.margin * (1.0 - self.queue.reserve)
        return float(self.radio.airtime(round(size))) / rate

    def _want_due(self, key: Key, peer: _Peer) -> float:
        """When to ask (again) for what ``peer`` offered and has not arrived:
        nothing new for a short wait (a couple of frames at the peer's duty
        cycle, doubling per round) once the peer should have sent it all at
        its pace — or after one session timeout, the longest the duty cycle
        can hold its frames back, if that comes first."""
        frame_s = float(self.radio.airtime(self.radio.mtu))
        gap = min(
            (self.turn_wait + 2 * frame_s / self._rate()) * 2.0**peer.want_rounds, self.timeout
        )
        if peer.want_unsent:
            # our WANTs still wait for air time: at most a window, or they count as lost
            return max(peer.progress, peer.want_at) + self.timeout + gap
        # history of the body still arriving (from it, or from a station in
        # between) means the rest may be on its way: ask when it pauses
        since = max(peer.progress, peer.want_out, self._last_arrival.get(key[0], 0.0))
        return max(since + gap, min(self._expect_until(peer), since + self.timeout))

    def _expect_until(self, peer: _Peer) -> float:
        """When the peer should have sent all it offered (or we asked for) at
        the pace of its duty cycle, if it sends nothing else."""
        return peer.expect_from + peer.expect_frames * self._history_pace()

    def _rate(self) -> float:
        duty = self.budget.band.duty
        return duty * self.budget.margin if duty < 1.0 else 1.0

    def _still_missing(self, key: Key, peer: _Peer) -> list[bytes]:
        context = self._reconciled(key[0])
        if context is None or context.raw_of is None:
            return sorted(peer.awaiting)
        raw_of, lookup = context.raw_of, context.lookup_prefix
        return sorted(
            m
            for m in peer.awaiting
            if (not lookup(m) if len(m) == frames.PREFIX else raw_of(m) is None)
        )

    def _heard_offer(self, offer: frames.Want, size: int, now: float) -> None:
        """An OFFER to us: the prefixes of history a station has sent us. Those
        we lack are awaited (and WANTed once their arrival stalls)."""
        if offer.sender == self.me:
            return  # our own, relayed back
        who = f"offer: station {offer.sender.hex()}"
        if size > self.radio.mtu:
            self._drop(f"{who}: an OFFER of {size} bytes is longer than the MTU ({self.radio.mtu})")
            return
        context = self._reconciled(offer.ctx)
        key = (offer.ctx, offer.sender)
        peer = self._peers.get(key)
        if offer.receiver != self.me or context is None or peer is None:
            self._n["offers_ignored"] += 1  # another's; a body or a station we do not sync with
            return
        known = {m[: frames.PREFIX] for m in peer.awaiting}
        lacking = [p for p in offer.prefixes if p not in known and not context.lookup_prefix(p)]
        room = max(0, self.max_awaiting - len(peer.awaiting))
        if len(lacking) > room:
            self._drop(f"{who}: more than {self.max_awaiting} messages awaited from it")
        if lacking[:room]:
            peer.awaiting.update(lacking[:room])
            peer.progress = now  # its history is flowing
            self._sync_wake.set()

    def _send_wants(self, key: Key, peer: _Peer, missing: list[bytes], now: float) -> None:
        """One WANT round: the missing ids by prefix, at most
        ``want_frames_per_round`` frames, at fresh priority."""
        room = frames.want_capacity(self.radio.mtu)
        asked = missing[: room * self.want_frames_per_round]
        pushed = 0
        for data in frames.wants(key[0], self.me, key[1], asked, self.radio.mtu):
            if data in self.queue:
                continue
            self.queue.push(data, Priority.FRESH, created=now)
            self._queued_for.setdefault(data, deque()).append((_OUR_WANT, key))
            pushed += 1
        peer.want_rounds += 1
        peer.want_asked = len(asked)
        peer.want_at = now
        peer.want_unsent = pushed
        if not pushed:
            peer.want_out = now
        self._n["wants_sent"] += pushed
        self._wake.set()

    def _answer_want(self, want: frames.Want, size: int, now: float) -> None:
        """Queue the messages a WANT to us names, as bulk history in replay
        order, within the limits; unknown prefixes are ignored and counted."""
        if want.sender == self.me:
            return  # our own, relayed back
        who = f"want: station {want.sender.hex()}"
        if size > self.radio.mtu:
            self._drop(f"{who}: a WANT of {size} bytes is longer than the MTU ({self.radio.mtu})")
            return
        if want.receiver != self.me:
            self._n["wants_ignored"] += 1  # for another station
            return
        context = self._reconciled(want.ctx)
        if context is None:
            self._drop(f"{who} asked for messages of body {want.ctx.hex()}, not reconciled here")
            return
        assert context.raw_of is not None and context.ids is not None
        key = (want.ctx, want.sender)
        while self._wants_heard and self._wants_heard[0] <= now - 3600.0:
            self._wants_heard.popleft()
        times = self._want_times.get(key)
        if times is None:
            times = self._want_times[key] = deque()
            while len(self._want_times) > 2 * self.max_peers:
                self._want_times.popitem(last=False)
        self._want_times.move_to_end(key)
        while times and times[0] <= now - 3600.0:
            times.popleft()
        if (
            len(times) >= self.max_wants_per_peer_hour
            or len(self._wants_heard) >= self.max_wants_per_hour
            or self._want_backlog >= self.max_want_backlog
        ):
            self._n["wants_ignored"] += 1  # over the limits: a WANT flood must not fill the queue
            return
        times.append(now)
        self._wants_heard.append(now)
        wanted: set[bytes] = set()
        foreign = []
        for prefix in want.prefixes:
            found = context.lookup_prefix(prefix)
            if found:
                wanted.update(found)
                continue
            other = next(
                (
                    c
                    for c in self.contexts.values()
                    if c.ctx != want.ctx and c.lookup_prefix(prefix)
                ),
                None,
            )
            if other is not None:
                foreign.append((prefix, other.ctx))
            else:
                self._n["want_prefixes_unknown"] += 1
        if foreign:
            prefix, ctx = foreign[0]
            self._drop(
                f"{who}: prefix {prefix.hex()} (and {len(foreign) - 1} more) names a message "
                f"of body {ctx.hex()}, not of {want.ctx.hex()}"
            )
        if not wanted:
            self._n["wants_ignored"] += 1  # nothing it names is held here
            return
        self._n["wants_answered"] += 1
        rank = {m: i for i, m in enumerate(context.ids()) if m in wanted}
        peer = self._peers.get(key)
        room = self.max_want_messages
        for mid in sorted(wanted, key=lambda m: rank.get(m, len(rank))):
            if room <= 0 or self._want_backlog >= self.max_want_backlog:
                break
            raw = context.raw_of(mid)
            if raw is None:
                continue
            room -= 1
            frame = self._msg_frame(want.ctx, raw, Priority.BULK)
            pushed = self._queue(frame, Priority.BULK, created=now - rank.get(mid, 0) * 1e-6)
            for f in pushed:
                self._queued_for.setdefault(f, deque()).append((_FOR_WANT, key))
                self._want_backlog += 1
                if peer is not None:
                    peer.owed += 1
            if pushed:
                self._n["messages_resent_for_wants"] += 1

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
            if st.unsent:
                continue  # ours are still waiting for air time
            if now >= max(st.last_out, st.last_in) + timeout:
                st.session.handle_timer(now)
                self._after(key, st, now)
                continue
            turns = st.turns
            due = self._resend_due(st)
            if due is not None and now >= due:
                # Nothing of the answer: send our turn again. A long one only
                # its last part: the peer then NACKs what it lacks, or repeats
                # its answer if it had it all.
                turns.timer_resends += 1
                count = len(turns.out)
                parts = list(range(count)) if count <= 2 else [count - 1]
                self._resend(key, st.sid, turns, parts, now, st)
            due = self._nack_due(st)
            if due is not None and now >= due:
                self._nack(key, st, now)
        for key, peer in list(self._peers.items()):
            if not peer.awaiting or now < self._want_due(key, peer):
                continue
            missing = self._still_missing(key, peer)
            peer.awaiting = set(missing)
            if missing and peer.want_rounds < self.want_rounds:
                self._send_wants(key, peer, missing, now)  # ask for them by name
                continue
            peer.awaiting.clear()
            if missing:
                self._failed(
                    key,
                    peer,
                    f"sync: {len(missing)} messages station {key[1].hex()} offered "
                    f"have not arrived (asked for {peer.want_rounds} times)",
                    now,
                )
        for key, peer in list(self._peers.items()) if self.auto_sync else ():
            if peer.due is None or now < peer.due or key in self._sessions:
                continue
            if peer.awaiting or peer.owed:
                continue  # history is still flowing; ask again once it is in
            quiet = now - self._last_arrival.get(key[0], float("-inf")) >= timeout
            # and history we sent it a while ago: it may ask for what it lost (WANT) first
            quiet = quiet and now >= peer.history_out + timeout
            if peer.last_done is not None and not peer.urgent and not quiet:
                continue  # messages are still arriving: history is on its way
            if peer.urgent:
                peer.urgent, peer.last_urgent = False, now
            if not self._open(key, now):
                peer.due = now + self.request_wait
        wakes = [now + self.request_wait]
        for st in self._sessions.values():
            if st.unsent == 0:
                wakes.append(max(st.last_out, st.last_in) + timeout)
                wakes.extend(w for w in (self._resend_due(st), self._nack_due(st)) if w is not None)
        for key, peer in self._peers.items():
            if peer.due is not None and not (peer.awaiting or peer.owed):
                wakes.append(peer.due)
            if peer.awaiting:
                wakes.append(self._want_due(key, peer))
        return min(w for w in wakes if w > now)

    def _resend_due(self, st: _Sync) -> float | None:
        """When to send our last turn again if nothing of the answer comes."""
        turns = st.turns
        if not turns.waiting or turns.timer_resends >= self.turn_retries:
            return None
        return st.last_out + self._turn_wait(len(turns.out), turns.timer_resends)

    def _nack_due(self, st: _Sync) -> float | None:
        """When to ask for the parts of the peer's turn still missing."""
        turns = st.turns
        if not turns.missing() or turns.nacks >= self.turn_retries:
            return None
        since = max(turns.progress, turns.nacked)
        return since + self._turn_wait(turns.after_last(), turns.nacks)

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
            sync_turns_resent=n["sync_turns_resent"],
            sync_nacks_sent=n["sync_nacks_sent"],
            sync_duplicates=n["sync_duplicates"],
            sync_superseded=n["sync_superseded"],
            wants_sent=n["wants_sent"],
            wants_answered=n["wants_answered"],
            wants_ignored=n["wants_ignored"],
            want_prefixes_unknown=n["want_prefixes_unknown"],
            messages_resent_for_wants=n["messages_resent_for_wants"],
            offers_sent=n["offers_sent"],
            offers_ignored=n["offers_ignored"],
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
