"""A radio link's configuration and state, and what every layer of it shares:
the send queue (frames in, fragmented to the MTU), fragment reassembly and
re-requests, the drop record, and the pacing of the duty cycle.

Theory of operation. ``RadioLink`` is built in layers, one module each, and
each layer adds the handlers of one concern to the one below it::

    LinkState     (this module)     queue, fragments, drops, pacing
    ExpandLayer   (radio_expand)    abbreviated messages: cache, EXPAND_REQ
    SessionLayer  (radio_sessions)  reconciliation sessions and their schedule
    WantLayer     (radio_wants)     OFFER and WANT: history lost on the way
    RadioLink     (radio_link)      frame dispatch, timers, statistics, anyio

A layer calls only what it or a layer below defines; the frame dispatch
table and the timer that call into every layer sit on top. Nothing below
``radio_link`` reads the clock or touches anyio: every handler takes ``now``,
and wants the driver to act through two hooks, ``_wake_pump`` (a frame was
queued) and ``_wake_timer`` (the reconciliation timer may be due sooner).
"""

from __future__ import annotations

import random
import time as _time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from crdt.reconcile import Session
from protocol.envelope import Envelope

from . import frames
from .dutycycle import Budget, Priority, SendQueue
from .errors import LocalMeshError
from .radio_stats import Counters, FrameTraffic
from .radio_sync import Turns, answer_wait
from .transport import Transport

Key = tuple[bytes, bytes]  # (ctx, station)
# owners in ``_queued_for`` besides a session id (4 bytes) and None (history
# owed to a station): never 4 bytes long, so never a session's id
OUR_WANT = b"w"  # a WANT of ours
FOR_WANT = b"r"  # a message sent again because a station's WANT asked for it


@dataclass
class Peer:
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
class SyncState:
    """A reconciliation session open with a station."""

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
class Retired:
    """A session that ended Done: its last turn is kept, to send again when the
    peer shows it never got it."""

    turns: Turns
    at: float


@dataclass
class ExpandWant:
    """An EXPAND_REQ this side is waiting on."""

    ctx: bytes
    signature: bytes
    attempts: int
    next: float
    priority: Priority = Priority.VERDICT  # FRESH when the expansion did not verify


@dataclass
class Cached:
    """A message we sent abbreviated, kept to answer EXPAND_REQ with."""

    ctx: bytes
    raw: bytes
    priority: Priority
    answered: float | None = None


@dataclass
class LinkState:
    """The link's settings (the constructor's fields) and state (made in
    ``__post_init__``), with the helpers every layer uses."""

    radio: Transport
    budget: Budget
    contexts: dict[bytes, frames.Context] = field(default_factory=dict)  # ctx -> context
    on_message: Callable[[Envelope], None] | None = None
    on_object: Callable[[bytes, frames.ObjectKind, bytes], None] | None = None
    request_wait: float = 60.0
    clock: Callable[[], float] = field(default=_time.monotonic)  # read by radio_link only
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
        self.n = Counters()
        self.traffic_in = FrameTraffic()
        self.traffic_out = FrameTraffic()
        if self.station is None:
            self.station = self.rng.randrange(1, 1 << 32).to_bytes(4, "big")
        if len(self.station) != frames.STATION or self.station == frames.BROADCAST:
            raise LocalMeshError("a station id is 4 bytes, not 00000000")
        self.me: bytes = self.station
        self.sync_frame = min(self.radio.mtu - frames.SYNC_OVERHEAD, 65536)
        for context in list(self.contexts.values()):
            self.add_context(context)  # checks what the MTU allows
        self._peers: OrderedDict[Key, Peer] = OrderedDict()
        self._sessions: dict[Key, SyncState] = {}
        self._retired: OrderedDict[tuple[bytes, bytes, bytes], Retired | None] = OrderedDict()
        # frame -> who queued it, one entry per copy: (session id, key) for a
        # session frame, (None, key) for history owed to a station
        self._queued_for: dict[bytes, deque[tuple[bytes | None, Key]]] = {}
        self._sent_abbrev: OrderedDict[bytes, Cached] = OrderedDict()
        self._wants: OrderedDict[bytes, ExpandWant] = OrderedDict()
        self._want_by_sig: dict[bytes, bytes] = {}
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

    @property
    def dropped_total(self) -> int:
        return self.n.dropped

    @property
    def delivered(self) -> int:
        return self.n.messages_delivered

    def _drop(self, reason: str) -> None:
        self.dropped.append(reason)
        self.n.dropped += 1

    # --- hooks for the driver ---------------------------------------------------

    def _wake_pump(self) -> None:
        """A frame was queued: the driver's send pump should look again."""

    def _wake_timer(self) -> None:
        """The reconciliation timer (``sync_timer``) may be due sooner."""

    # --- pacing -------------------------------------------------------------------

    @property
    def timeout(self) -> float:
        """How long a session may go without a frame from the peer: its reply
        can wait up to one rolling window for its duty-cycle allowance."""
        if self.sync_timeout is not None:
            return self.sync_timeout
        return 300.0 if self.budget.band.duty >= 1.0 else self.budget.window_s + 300.0

    def _rate(self) -> float:
        duty = self.budget.band.duty
        return duty * self.budget.margin if duty < 1.0 else 1.0

    def _turn_wait(self, frames_expected: int, attempt: int) -> float:
        """How long to wait for ``frames_expected`` frames of the peer's before
        asking again (``attempt`` times already): their air time at the rate
        the duty cycle lets the peer send, plus ``turn_wait``, doubling, at
        most a quarter of the session timeout."""
        return answer_wait(
            frames_expected,
            attempt,
            frame_airtime=self.radio.airtime(self.radio.mtu),
            rate=self._rate(),
            margin=self.turn_wait,
            cap=self.timeout / 4,
        )

    def _history_pace(self) -> float:
        """Seconds of the peer's time per history frame: the air time of a
        message frame (the mean of those heard, the MTU's before any) at the
        share of the duty cycle history may use (the peer's band is ours)."""
        mean = self.traffic_in.mean_size(frames.FrameType.MSG)
        size = self.radio.mtu if mean is None else mean
        duty = self.budget.band.duty
        if duty >= 1.0:
            return float(self.radio.airtime(round(size)))
        rate = duty * self.budget.margin * (1.0 - self.queue.reserve)
        return float(self.radio.airtime(round(size))) / rate

    def _expect_until(self, peer: Peer) -> float:
        """When the peer should have sent all it offered (or we asked for) at
        the pace of its duty cycle, if it sends nothing else."""
        return peer.expect_from + peer.expect_frames * self._history_pace()

    # --- out: the send queue --------------------------------------------------------

    def _queue(self, frame: bytes, priority: Priority, *, created: float) -> list[bytes]:
        """Queue a frame, in fragments when longer than the MTU; returns the
        pieces pushed (not those already waiting for air time)."""
        pushed = []
        for f in self.fragmenter.split(frame):
            if f not in self.queue:
                self.queue.push(f, priority, created=created)
                pushed.append(f)
        self._wake_pump()
        return pushed

    def _owe(self, frame: bytes, owner: bytes | None, key: Key) -> None:
        """Record who queued a copy of ``frame`` (``frame_sent`` settles it)."""
        self._queued_for.setdefault(frame, deque()).append((owner, key))

    def _reconciled(self, ctx: bytes) -> frames.Context | None:
        context = self.contexts.get(ctx)
        if context is None or context.ids is None or context.raw_of is None:
            return None
        return context

    # --- fragments ------------------------------------------------------------------

    def _handle_frag(self, frame: frames.Frag, now: float) -> bytes | None:
        """A fragment: the whole frame once all its pieces are in."""
        whole = self.reassembler.receive(frame, now)
        self._flush_reassembler()
        return whole

    def _handle_frag_req(self, frame: frames.FragReq, now: float) -> None:
        """A station missing pieces of a frame of ours: queue them again."""
        for f in self.fragmenter.resend(frame):
            if f not in self.queue:  # already waiting for air time
                self.queue.push(f, Priority.VERDICT, created=now)
        self._wake_pump()

    def _request_fragments(self, now: float) -> None:
        """FRAG_REQ for partial frames idle for ``request_wait``."""
        for req in self.reassembler.requests(now, self.request_wait):
            self.queue.push(req, Priority.VERDICT, created=now)
            self.n.fragment_requests_sent += 1
            self._wake_pump()
        self._flush_reassembler()

    def _flush_reassembler(self) -> None:
        for reason in self.reassembler.dropped:
            self._drop(reason)
        self.reassembler.dropped.clear()
