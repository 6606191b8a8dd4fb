"""Driving a radio Transport: the duty-cycle queue on the way out, the frame
codec both ways, and reconciliation of bodies with the stations in range
(anyio: runs on trio — the simulator — and on asyncio — the node's bridge).

``RadioLink`` takes messages and verdict objects, turns them into frames
(abbreviated where the receiver can expand them, fragmented to the MTU),
queues them by priority and releases them only within the duty-cycle
budget. Incoming frames are decoded as untrusted input and dispatched by
frame type through ``DISPATCH``: fragments are reassembled (missing pieces
re-requested), abbreviated messages expanded and verified (the full form
asked for with EXPAND_REQ when they cannot be), and anything bad is dropped
with its reason in ``dropped``.

A body whose ``Context`` has ``ids`` and ``raw_of`` is also *reconciled*
with the stations in range (``radio_sessions``), and history lost on the
way is asked for by name (``radio_wants``); spec/mesh.md, "Reconciliation
over radio" and "Lost frames". The layers below this module are sans-IO:
every handler takes ``now``; this module adds the dispatch table, the
timers, the statistics and the anyio driver (``pump``, ``listen``,
``ask_for_missing``, ``sync_loop``, ``run``), which read ``clock``. The
public entry points take ``now`` too, reading the clock only when it is
not given. Randomness is the link's ``rng``, so tests can drive the state
changes directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import anyio

from crdt.errors import CrdtError
from protocol.envelope import Envelope
from protocol.errors import ProtocolError

from . import frames
from .dutycycle import Priority
from .errors import MeshError
from .radio_state import FOR_WANT, OUR_WANT, Key
from .radio_stats import RadioLinkStatistics, snapshot
from .radio_wants import WantLayer

__all__ = ["DISPATCH", "RadioLink", "RadioLinkStatistics", "Rule"]


@dataclass(frozen=True, slots=True)
class Rule:
    """How a frame type is handled: ``handle(link, frame, size, now)``
    returns a whole frame to handle next (a reassembled one) or None.
    ``reassembled``: whether the type may also arrive as the payload of
    reassembled fragments (every type may arrive on air)."""

    handle: Callable[[RadioLink, frames.Frame, int, float], bytes | None]
    reassembled: bool = True


def _on_msg(link: RadioLink, frame: frames.Frame, size: int, now: float) -> None:
    link._handle_msg(cast(frames.Msg, frame), now)


def _on_frag(link: RadioLink, frame: frames.Frame, size: int, now: float) -> bytes | None:
    return link._handle_frag(cast(frames.Frag, frame), now)


def _on_frag_req(link: RadioLink, frame: frames.Frame, size: int, now: float) -> None:
    link._handle_frag_req(cast(frames.FragReq, frame), now)


def _on_object(link: RadioLink, frame: frames.Frame, size: int, now: float) -> None:
    obj = cast(frames.Object, frame)
    if link.on_object is not None:
        link.on_object(obj.ctx, obj.what, obj.data)


def _on_expand_req(link: RadioLink, frame: frames.Frame, size: int, now: float) -> None:
    link._answer_expand(cast(frames.ExpandReq, frame), now)


def _on_sync(link: RadioLink, frame: frames.Frame, size: int, now: float) -> None:
    link._handle_sync(cast(frames.Sync, frame), now)


def _on_want(link: RadioLink, frame: frames.Frame, size: int, now: float) -> None:
    link._answer_want(cast(frames.Want, frame), size, now)


def _on_offer(link: RadioLink, frame: frames.Frame, size: int, now: float) -> None:
    link._heard_offer(cast(frames.Want, frame), size, now)


# Every frame type the decoder returns has a row; a FrameType without one is
# dropped as a frame this link does not take.
DISPATCH: dict[frames.FrameType, Rule] = {
    frames.FrameType.MSG: Rule(_on_msg),
    frames.FrameType.FRAG: Rule(_on_frag),
    frames.FrameType.FRAG_REQ: Rule(_on_frag_req),
    frames.FrameType.SYNC: Rule(_on_sync),
    frames.FrameType.EXPAND_REQ: Rule(_on_expand_req),
    frames.FrameType.OBJECT: Rule(_on_object),
    frames.FrameType.WANT: Rule(_on_want),
    frames.FrameType.OFFER: Rule(_on_offer),
}


class RadioLink(WantLayer):
    """A radio link: the constructor's fields are ``radio_state.LinkState``'s."""

    def __post_init__(self) -> None:
        # the anyio driver's events, made by the loop that waits on them
        self._wake: anyio.Event | None = None
        self._sync_wake: anyio.Event | None = None
        # the pulled interface's timers (see handle_timer)
        self._send_due: float | None = None  # when the queue's head may go
        self._missing_due: float | None = None  # the next request_missing
        self._sync_due = float("-inf")  # the next sync_timer
        super().__post_init__()

    def _now(self, now: float | None) -> float:
        return self.clock() if now is None else now

    def _wake_pump(self) -> None:
        self._send_due = float("-inf")
        if self._wake is not None:
            self._wake.set()

    def _wake_timer(self) -> None:
        self._sync_due = float("-inf")
        if self._sync_wake is not None:
            self._sync_wake.set()

    # --- pulled: a driver of its own (aioquic's shape) ---------------------------------
    #
    # A driver that does not run ``run`` gives the link time and takes its
    # output: ``receive(data, now)`` for each frame heard; ``handle_timer(now)``
    # once ``next_timer()`` has come; then ``frames_to_send(now)`` onto the air.

    def frames_to_send(self, now: float) -> list[bytes]:
        """Every frame the duty-cycle budget lets out at ``now``, each recorded
        as sent at ``now`` (``pump`` records each once the radio has sent it)."""
        out: list[bytes] = []
        while True:
            frame, wake = self.queue.pop_ready(now)
            if frame is None:
                self._send_due = wake
                return out
            self.frame_sent(frame, now)
            out.append(frame)

    def next_timer(self) -> float | None:
        """When to call ``handle_timer`` (and ``frames_to_send``) next; None
        before the first ``handle_timer``. Past when the link has changed
        since: frames were queued, or a session may be due."""
        if self._missing_due is None:
            return None
        return min(t for t in (self._send_due, self._missing_due, self._sync_due) if t is not None)

    def handle_timer(self, now: float) -> None:
        """The link's timers: re-requests every half ``request_wait`` (as
        ``ask_for_missing``), the reconciliation timer when due (as ``sync_loop``)."""
        if self._missing_due is None:
            self._missing_due = now + self.request_wait / 2
        elif now >= self._missing_due:
            self.request_missing(now)
            self._missing_due = now + self.request_wait / 2
        if now >= self._sync_due:
            # what sync_timer itself wakes is in the time it returns (as in sync_loop)
            self._sync_due = self.sync_timer(now)

    # --- out ------------------------------------------------------------------------

    def send_message(self, env: Envelope, priority: Priority, now: float | None = None) -> None:
        ctx = env.body[: frames.CTX]
        self._queue(self._msg_frame(ctx, env.raw, priority), priority, created=self._now(now))

    def send_object(
        self,
        body: bytes,
        what: frames.ObjectKind,
        data: bytes,
        priority: Priority,
        now: float | None = None,
    ) -> None:
        frame = frames.encode(frames.Object(body[: frames.CTX], what, data))
        self._queue(frame, priority, created=self._now(now))

    def frame_sent(self, frame: bytes, now: float) -> None:
        """Bookkeeping once a frame from the queue has left the radio (``pump``
        calls it; a driver popping ``queue`` itself must too)."""
        self.traffic_out.count(frame)
        offer = self._offer_after.pop(frame, None)
        if offer is not None:
            self._queue_offer(*offer)
        owners = self._queued_for.get(frame)
        if not owners:
            return
        owner, key = owners.popleft()
        if not owners:
            del self._queued_for[frame]
        self._settle(owner, key, now)

    def _settle(self, owner: bytes | None, key: Key, now: float) -> None:
        """A frame queued by ``owner`` for the station of ``key`` has left."""
        if owner == OUR_WANT:
            peer = self._peers.get(key)
            if peer is not None and peer.want_unsent:
                peer.want_unsent -= 1
                if not peer.want_unsent:
                    # the round has left: the peer needs the air time of what it asked for
                    peer.want_out = now
                    peer.expect_from, peer.expect_frames = now, peer.want_asked
                    self._wake_timer()
            return
        if owner == FOR_WANT:
            self._want_backlog = max(0, self._want_backlog - 1)
            owner = None
        if owner is not None:
            st = self._sessions.get(key)
            if st is not None and st.sid == owner:
                st.unsent = max(0, st.unsent - 1)
                st.in_queue = max(0, st.in_queue - 1)
                st.last_out = now
                self._feed(key, st, now)
        else:
            peer = self._peers.get(key)
            if peer is not None:
                peer.owed = max(0, peer.owed - 1)
                peer.history_out = now

    # --- in -------------------------------------------------------------------------

    def receive(self, data: bytes, now: float | None = None) -> None:
        """Handle one frame from the air (never raises for bad input)."""
        self.traffic_in.count(data)
        try:
            self._handle(data, self._now(now))
        except (MeshError, ProtocolError, CrdtError) as exc:
            self._drop(f"{exc.code}: {exc}")

    def _handle(self, data: bytes, now: float, *, reassembled: bool = False) -> None:
        frame = frames.decode_untrusted(data)
        ftype = frames.FrameType(data[0] & 0x0F)  # decoded: a type of this version
        rule = DISPATCH.get(ftype)
        if rule is None or (reassembled and not rule.reassembled):
            where = " in reassembled fragments" if rule is not None else ""
            self._drop(f"bad_frame: a {ftype.name} frame{where} is not taken here")
            return
        whole = rule.handle(self, frame, len(data), now)
        if whole is not None:
            self._handle(whole, now, reassembled=True)

    def _handle_msg(self, frame: frames.Msg, now: float) -> None:
        opened = self._open_msg(frame, now)
        if opened is None:
            return
        context, env = opened
        lacks = context.raw_of is not None and any(context.raw_of(p) is None for p in env.parents)
        self._arrived(frame.ctx, env.id, now)
        self._last_arrival[frame.ctx] = now
        self.n.messages_delivered += 1
        if self.on_message is not None:
            self.on_message(env)
        if lacks and self.auto_sync:
            self._lacking_parents(frame.ctx, now)

    # --- timers ---------------------------------------------------------------------

    def request_missing(self, now: float) -> None:
        """FRAG_REQ for idle partial messages; EXPAND_REQ again (backing off)
        for abbreviations still unexpanded."""
        self._request_fragments(now)
        self._request_expansions(now)

    def sync_timer(self, now: float) -> float:
        """Time out stalled sessions, open due ones; returns when to call again."""
        self._time_sessions(now)
        self._time_wants(now)
        self._open_due(now)
        wakes = [now + self.request_wait, *self._session_wakes(), *self._want_wakes()]
        return min(w for w in wakes if w > now)

    # --- reconciliation -------------------------------------------------------------

    def sync(self, ctx: bytes, peer: bytes, now: float | None = None) -> bool:
        """Open a session with station ``peer`` for body ``ctx`` now (False when
        one is already open with it, or too many are)."""
        return self._sync(ctx, peer, self._now(now))

    def announce(self, *, unless_busy: bool = False, now: float | None = None) -> None:
        """Say on the channel which bodies this station reconciles (with
        ``unless_busy``: only those with no session in the last interval)."""
        self._announce(self._now(now), unless_busy=unless_busy)

    # --- report ---------------------------------------------------------------------

    def statistics(self, now: float | None = None) -> RadioLinkStatistics:
        return snapshot(
            self.me,
            self.n,
            self.traffic_in,
            self.traffic_out,
            expand_requests_pending=len(self._wants),
            sync_sessions_open=len(self._sessions),
            stations_known=len(self._peers),
            queue=self.queue.report(self._now(now)),
        )

    # --- the anyio driver -------------------------------------------------------------

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

    async def listen(self) -> None:
        while True:
            data = await self.radio.receive()
            self.receive(data, self.clock())

    async def ask_for_missing(self) -> None:
        while True:
            await anyio.sleep(self.request_wait / 2)
            self.request_missing(self.clock())

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
