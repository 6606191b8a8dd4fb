"""Reconciliation sessions over radio, and when to open them
(spec/mesh.md, "Reconciliation over radio" and "Lost frames").

The link is a station with a 4-byte id on a broadcast channel. It
announces the bodies it reconciles, remembers the stations it hears
(``max_peers``, the least recently heard without a session forgotten
first), and opens a ``crdt.reconcile`` session with one when it first
hears it (after a random wait), ``resync_interval`` after the last, and
soon after a message arrives whose parents it lacks. It answers sessions
addressed to it (``max_sessions`` open, ``max_answered_per_hour``), one
per peer: when both open at once, the lower station id's goes on.

A session's frames are sent by turns (``radio_sync.Turns``): a turn goes
to the session only when all its parts are in; ours is sent again on
silence, on a repeat of the peer's previous turn, or in the parts a NACK
names, and a session that ended Done on our final turn is kept
(``Retired``) for one timeout, to send that turn again. A session's frames
reach the send queue ``sync_window`` at a time, so one that ends leaves
little behind. What the peer lacks goes out as bulk history in replay
order, followed by OFFERs naming it (queued by ``frame_sent``).
"""

from __future__ import annotations

from crdt.reconcile import Done, HaveIds, NeedIds, PeerError, Session, SortedIds

from . import frames
from .dutycycle import Priority
from .errors import LocalMeshError
from .radio_expand import ExpandLayer
from .radio_state import Key, Peer, Retired, SyncState
from .radio_sync import Heard, Turns


class SessionLayer(ExpandLayer):
    """Sessions with the stations in range, and their schedule."""

    def _sync(self, ctx: bytes, peer: bytes, now: float) -> bool:
        if self._reconciled(ctx) is None:
            raise LocalMeshError(f"body {ctx.hex()} is not reconciled over this link")
        key = (ctx, peer)
        if key not in self._peers:
            self._remember(key, now)
        return self._open(key, now)

    def _announce(self, now: float, *, unless_busy: bool) -> None:
        for ctx in self.contexts:
            if unless_busy and any(
                c == ctx and p.last_done is not None and now - p.last_done < self.announce_interval
                for (c, _), p in self._peers.items()
            ):
                continue
            if self._reconciled(ctx) is not None:
                a = frames.announcement(ctx, self.me)
                self.queue.push(frames.encode(a), Priority.FRESH, created=now)
        self._wake_pump()

    def _remember(self, key: Key, now: float) -> Peer:
        peer = self._peers.get(key)
        if peer is None:
            peer = Peer(heard=now)
            if self.auto_sync:
                peer.due = now + self.rng.uniform(0.0, self.first_contact_delay)
                self._wake_timer()
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
        self.n.sync_started += 1
        peer = self._peers.get(key)
        if peer is not None:
            peer.due = None
        self._after(key, st, now)
        return True

    def _new_session(self, key: Key, sid: bytes, *, initiator: bool, now: float) -> SyncState:
        context = self._reconciled(key[0])
        assert context is not None and context.ids is not None
        ids = list(context.ids())
        session = Session(SortedIds(ids), max_frame=self.sync_frame, timeout=self.timeout, now=now)
        rank = {m: i for i, m in enumerate(ids)}
        st = SyncState(sid, session, initiator, now, rank, now, Turns(initiator), now)
        self._sessions[key] = st
        self._wake_timer()
        return st

    # --- in -------------------------------------------------------------------------

    def _handle_sync(self, frame: frames.Sync, now: float) -> None:
        if frame.sender == self.me:
            return  # our own frame, relayed back
        if self._reconciled(frame.ctx) is None:
            self.n.sync_ignored += 1  # a body we do not reconcile here
            return
        key = (frame.ctx, frame.sender)
        self._remember(key, now)
        if frame.announcement:
            return
        if frame.receiver != self.me:
            self.n.sync_ignored += 1  # a session between two other stations
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
        self._opened_by_peer(key, st, frame, now)

    def _opened_by_peer(
        self, key: Key, st: SyncState | None, frame: frames.Sync, now: float
    ) -> None:
        """A frame of a session new to us: answered if it opens one, we have
        room, and this hour's allowance is not spent."""
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
            self.n.sync_superseded += 1
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
        self.n.sync_started += 1
        self._in_session(key, st, frame, now)

    def _in_session(self, key: Key, st: SyncState, frame: frames.Sync, now: float) -> None:
        """A frame of an open session: a NACK, or a part of a turn, fed to the
        session only once the turn is whole (spec/mesh.md, "Lost frames")."""
        turns = st.turns
        who = f"sync: station {key[1].hex()}, session {st.sid.hex()}"
        if frame.is_nack:
            asked = turns.nacked_parts(frame.turn, frame.part, frame.missing)
            if asked.heard is Heard.BAD:
                self._drop(f"{who}: {asked.reason}")
            elif asked.heard is Heard.STALE:
                self.n.sync_ignored += 1
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
            self._wake_timer()  # a NACK may be due
        elif heard.heard is Heard.PREVIOUS:
            self.n.sync_duplicates += 1  # our answer to it was lost
            self._resend(key, st.sid, turns, list(range(len(turns.out))), now, st)
        elif heard.heard is Heard.DUPLICATE:
            self.n.sync_duplicates += 1
        elif heard.heard is Heard.STALE:
            self.n.sync_ignored += 1
        else:
            self._drop(f"{who}: {heard.reason}")

    def _in_retired(self, key: Key, frame: frames.Sync, old: Retired | None, now: float) -> None:
        """A frame of a session already over. When it ended Done on our final
        turn, a repeat of the peer's turn before it or a NACK for it means
        the final turn was lost: send it again (for one session timeout)."""
        if old is None or now > old.at + self.timeout:
            self.n.sync_ignored += 1  # a late frame of a session already over
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
                self.n.sync_duplicates += 1
                self._resend(key, frame.session, turns, list(range(len(turns.out))), now, None)
                return
        self.n.sync_ignored += 1

    # --- out ------------------------------------------------------------------------

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
        self._owe(data, sid, key)
        self._wake_pump()
        return True

    def _feed(self, key: Key, st: SyncState, now: float) -> None:
        """Hand a session's frames to the send queue, ``sync_window`` at a time."""
        while st.outbox and st.in_queue < self.sync_window:
            data = st.outbox.popleft()
            self.queue.push(data, Priority.FRESH, created=now)
            self._owe(data, st.sid, key)
            st.in_queue += 1
        self._wake_pump()

    def _resend(
        self, key: Key, sid: bytes, turns: Turns, parts: list[int], now: float, st: SyncState | None
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
        self.n.sync_turns_resent += 1
        return True

    def _nack(self, key: Key, st: SyncState, now: float) -> None:
        turns = st.turns
        assert turns.count is not None
        nack = frames.nack(
            key[0], st.sid, self.me, key[1], turns.expect, turns.count, turns.missing()
        )
        if self._push_sync(key, st.sid, nack, now):
            self.n.sync_nacks_sent += 1
        turns.nacks += 1
        turns.nacked = now

    def _retire(self, key: Key, st: SyncState, now: float | None = None) -> None:
        """End a session; with ``now``, it ended Done and its last turn is kept."""
        self._sessions.pop(key, None)
        self._retired[(key[0], key[1], st.sid)] = None if now is None else Retired(st.turns, now)
        self._retired.move_to_end((key[0], key[1], st.sid))
        while len(self._retired) > 64:
            self._retired.popitem(last=False)

    def _after(self, key: Key, st: SyncState, now: float) -> None:
        """Send what the session produced and act on its events."""
        ctx, station = key
        peer = self._peers.setdefault(key, Peer(heard=now))
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
                self.n.sync_completed += 1
                peer.last_done = now
                peer.failures = 0
                peer.due = now + self.resync_interval
            elif isinstance(ev, PeerError):
                self._retire(key, st)
                self._failed(key, peer, f"sync with {station.hex()}: {ev.code}: {ev.reason}", now)
        if have:
            self._send_history(key, st, have)

    def _failed(self, key: Key, peer: Peer, reason: str, now: float) -> None:
        self.n.sync_failed += 1
        self._drop(reason)
        peer.failures += 1
        if peer.failures >= self.max_failures and key not in self._sessions:
            self._peers.pop(key, None)
            return
        back_off = min(self.sync_retry * 2 ** (peer.failures - 1), 6 * 3600.0)
        peer.due = now + back_off * self.rng.uniform(1.0, 1.5)
        self._wake_timer()

    def _send_history(self, key: Key, st: SyncState, ids: set[bytes]) -> None:
        """The messages the peer lacks, as bulk history, parents first: every
        message of a session is as fresh as the session, in replay order."""
        context = self._reconciled(key[0])
        assert context is not None and context.raw_of is not None
        peer = self._peers.setdefault(key, Peer(heard=st.started))
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
                self._owe(f, None, key)
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
        self._wake_timer()

    # --- timers ---------------------------------------------------------------------

    def _time_sessions(self, now: float) -> None:
        """Time out stalled sessions; resend our turn, or NACK the peer's, when due."""
        for key, st in list(self._sessions.items()):
            if st.unsent:
                continue  # ours are still waiting for air time
            if now >= max(st.last_out, st.last_in) + self.timeout:
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

    def _open_due(self, now: float) -> None:
        """Open the sessions that are due (with ``auto_sync``)."""
        for key, peer in list(self._peers.items()) if self.auto_sync else ():
            if peer.due is None or now < peer.due or key in self._sessions:
                continue
            if peer.awaiting or peer.owed:
                continue  # history is still flowing; ask again once it is in
            quiet = now - self._last_arrival.get(key[0], float("-inf")) >= self.timeout
            # and history we sent it a while ago: it may ask for what it lost (WANT) first
            quiet = quiet and now >= peer.history_out + self.timeout
            if peer.last_done is not None and not peer.urgent and not quiet:
                continue  # messages are still arriving: history is on its way
            if peer.urgent:
                peer.urgent, peer.last_urgent = False, now
            if not self._open(key, now):
                peer.due = now + self.request_wait

    def _session_wakes(self) -> list[float]:
        """When the sessions' timers and the due sessions want ``sync_timer``."""
        wakes = []
        for st in self._sessions.values():
            if st.unsent == 0:
                wakes.append(max(st.last_out, st.last_in) + self.timeout)
                wakes.extend(w for w in (self._resend_due(st), self._nack_due(st)) if w is not None)
        for peer in self._peers.values():
            if peer.due is not None and not (peer.awaiting or peer.owed):
                wakes.append(peer.due)
        return wakes

    def _resend_due(self, st: SyncState) -> float | None:
        """When to send our last turn again if nothing of the answer comes."""
        turns = st.turns
        if not turns.waiting or turns.timer_resends >= self.turn_retries:
            return None
        return st.last_out + self._turn_wait(len(turns.out), turns.timer_resends)

    def _nack_due(self, st: SyncState) -> float | None:
        """When to ask for the parts of the peer's turn still missing."""
        turns = st.turns
        if not turns.missing() or turns.nacks >= self.turn_retries:
            return None
        since = max(turns.progress, turns.nacked)
        return since + self._turn_wait(turns.after_last(), turns.nacks)
