"""History lost on the way: OFFER and WANT (spec/mesh.md, "Lost frames").

History sent after a session is followed by OFFERs naming it (8-byte
prefixes), so a peer learns what it lacked even when it listed its own ids
in the session. What a peer said it would send (in the session, or by
OFFER) and has not arrived is *awaited*; once its arrival stalls — nothing
new for a short wait after the peer should have sent it all at its duty
cycle's pace — it is asked for by prefix (WANT), ``want_rounds`` rounds
with back-off, before the peer's session counts as failed and a new one is
opened to find it. A WANT to us is answered with the messages it names, as
bulk history in replay order, within per-station and overall hourly limits
and a backlog of frames (station ids are not authenticated: a WANT flood
must not fill the queue).
"""

from __future__ import annotations

from collections import deque

from . import frames
from .dutycycle import Priority
from .radio_sessions import SessionLayer
from .radio_state import FOR_WANT, OUR_WANT, Key, Peer


class WantLayer(SessionLayer):
    """OFFERs and WANTs: awaiting, asking for, and answering history by name."""

    def _arrived(self, ctx: bytes, mid: bytes, now: float) -> None:
        for (c, _), peer in self._peers.items():
            if c == ctx and (mid in peer.awaiting or mid[: frames.PREFIX] in peer.awaiting):
                peer.awaiting.discard(mid)
                peer.awaiting.discard(mid[: frames.PREFIX])
                peer.progress = now
                peer.want_rounds = 0  # progress: the rounds count again

    def _want_due(self, key: Key, peer: Peer) -> float:
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

    def _still_missing(self, key: Key, peer: Peer) -> list[bytes]:
        context = self._reconciled(key[0])
        if context is None or context.raw_of is None:
            return sorted(peer.awaiting)
        raw_of, lookup = context.raw_of, context.lookup_prefix
        return sorted(
            m
            for m in peer.awaiting
            if (not lookup(m) if len(m) == frames.PREFIX else raw_of(m) is None)
        )

    def _time_wants(self, now: float) -> None:
        """Ask for what stalled by name (WANT); after ``want_rounds`` rounds,
        the peer's session counts as failed."""
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

    def _want_wakes(self) -> list[float]:
        return [self._want_due(key, peer) for key, peer in self._peers.items() if peer.awaiting]

    # --- OFFER ----------------------------------------------------------------------

    def _queue_offer(self, key: Key, ids: list[bytes], created: float) -> None:
        """An OFFER naming history sent to a station: the peer learns the ids
        it lacked even when it listed its own in the session, and WANTs those
        lost."""
        peer = self._peers.get(key)
        for data in frames.wants(key[0], self.me, key[1], ids, self.radio.mtu, offer=True):
            if data in self.queue:
                continue
            self.queue.push(data, Priority.BULK, created=created)
            self._owe(data, None, key)
            if peer is not None:
                peer.owed += 1
            self.n.offers_sent += 1
        self._wake_pump()

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
            self.n.offers_ignored += 1  # another's; a body or a station we do not sync with
            return
        known = {m[: frames.PREFIX] for m in peer.awaiting}
        lacking = [p for p in offer.prefixes if p not in known and not context.lookup_prefix(p)]
        room = max(0, self.max_awaiting - len(peer.awaiting))
        if len(lacking) > room:
            self._drop(f"{who}: more than {self.max_awaiting} messages awaited from it")
        if lacking[:room]:
            peer.awaiting.update(lacking[:room])
            peer.progress = now  # its history is flowing
            self._wake_timer()

    # --- WANT -----------------------------------------------------------------------

    def _send_wants(self, key: Key, peer: Peer, missing: list[bytes], now: float) -> None:
        """One WANT round: the missing ids by prefix, at most
        ``want_frames_per_round`` frames, at fresh priority."""
        room = frames.want_capacity(self.radio.mtu)
        asked = missing[: room * self.want_frames_per_round]
        pushed = 0
        for data in frames.wants(key[0], self.me, key[1], asked, self.radio.mtu):
            if data in self.queue:
                continue
            self.queue.push(data, Priority.FRESH, created=now)
            self._owe(data, OUR_WANT, key)
            pushed += 1
        peer.want_rounds += 1
        peer.want_asked = len(asked)
        peer.want_at = now
        peer.want_unsent = pushed
        if not pushed:
            peer.want_out = now
        self.n.wants_sent += pushed
        self._wake_pump()

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
            self.n.wants_ignored += 1  # for another station
            return
        context = self._reconciled(want.ctx)
        if context is None:
            self._drop(f"{who} asked for messages of body {want.ctx.hex()}, not reconciled here")
            return
        key = (want.ctx, want.sender)
        if not self._want_allowed(key, now):
            self.n.wants_ignored += 1  # over the limits: a WANT flood must not fill the queue
            return
        wanted = self._wanted(want, context, who)
        if not wanted:
            self.n.wants_ignored += 1  # nothing it names is held here
            return
        self.n.wants_answered += 1
        self._queue_wanted(key, context, wanted, now)

    def _want_allowed(self, key: Key, now: float) -> bool:
        """Whether a WANT from this station is within this hour's limits (and
        the backlog's); if so it is counted against them."""
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
            return False
        times.append(now)
        self._wants_heard.append(now)
        return True

    def _wanted(self, want: frames.Want, context: frames.Context, who: str) -> set[bytes]:
        """The ids of the body's messages a WANT's prefixes name; prefixes of
        another body's messages are dropped with a reason, unknown ones counted."""
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
                self.n.want_prefixes_unknown += 1
        if foreign:
            prefix, ctx = foreign[0]
            self._drop(
                f"{who}: prefix {prefix.hex()} (and {len(foreign) - 1} more) names a message "
                f"of body {ctx.hex()}, not of {want.ctx.hex()}"
            )
        return wanted

    def _queue_wanted(
        self, key: Key, context: frames.Context, wanted: set[bytes], now: float
    ) -> None:
        """Queue wanted messages, in replay order, at most ``max_want_messages``
        and within the backlog."""
        assert context.raw_of is not None and context.ids is not None
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
            frame = self._msg_frame(key[0], raw, Priority.BULK)
            pushed = self._queue(frame, Priority.BULK, created=now - rank.get(mid, 0) * 1e-6)
            for f in pushed:
                self._owe(f, FOR_WANT, key)
                self._want_backlog += 1
                if peer is not None:
                    peer.owed += 1
            if pushed:
                self.n.messages_resent_for_wants += 1
