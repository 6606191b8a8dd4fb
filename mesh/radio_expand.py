"""Abbreviated messages over radio: sending them short where the receiver can
rebuild them, and recovering when it cannot (spec/mesh.md, "Abbreviation").

A message to a body we hold a ``Context`` for goes out abbreviated (roster
index for the author, parent prefixes), and is remembered under its handle
(``expand_keep`` of them) so an EXPAND_REQ naming it is answered with the
full form — once per ``request_wait``, since the answer is on its way.
An abbreviated message this side cannot expand, or whose rebuilt bytes do
not verify (the two ends' rosters or parents differ), is asked for in full:
an EXPAND_REQ now, again with back-off from ``request_missing``, and given
up (dropped with its reason) after ``expand_attempts``; at most
``max_expand_pending`` are awaited at once. A verifying expansion asked for
by a forger must not spend the air time of our decisions, so those requests
go below the reserve.
"""

from __future__ import annotations

from protocol import envelope
from protocol.envelope import SIGNATURE_BYTES, Envelope
from protocol.errors import ProtocolError

from . import frames
from .dutycycle import Priority
from .errors import Unexpandable
from .radio_state import Cached, ExpandWant, LinkState


class ExpandLayer(LinkState):
    """Message frames both ways, with abbreviation and its recovery."""

    def _msg_frame(self, ctx: bytes, raw: bytes, priority: Priority) -> bytes:
        """The MSG frame of ``raw``: abbreviated (and cached for EXPAND_REQ)
        when the body's context is known here."""
        context = self.contexts.get(ctx)
        if context is None:
            return frames.encode_msg(ctx, raw)
        abbrev = frames.abbreviate(raw, context)
        handle = frames.handle_of(abbrev)
        self._sent_abbrev[handle] = Cached(ctx, raw, priority)
        self._sent_abbrev.move_to_end(handle)
        while len(self._sent_abbrev) > self.expand_keep:
            self._sent_abbrev.popitem(last=False)
        return frames.encode_msg(ctx, abbrev, abbreviated=True)

    def _open_msg(self, frame: frames.Msg, now: float) -> tuple[frames.Context, Envelope] | None:
        """A message frame's envelope, expanded and verified (None: dropped,
        with the full form asked for where that can help)."""
        context = self.contexts.get(frame.ctx)
        if context is None:
            self._drop(f"a message for unknown body {frame.ctx.hex()}")
            return None
        if frame.abbreviated:
            try:
                raw = frames.expand_untrusted(frame.body, context)
            except Unexpandable as exc:
                self._want_full(frame, now)
                self._drop(f"{exc.code}: {exc}")
                return None
        else:
            raw = frame.body
        if len(raw) < 2:
            self._drop("bad_frame: a message of less than 2 bytes")
            return None
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
                return None
            raise
        if env.body != context.body:
            self._drop(f"a message of body {env.body.hex()[:16]}… under ctx {frame.ctx.hex()}")
            return None
        handle = self._want_by_sig.get(raw[-SIGNATURE_BYTES:])
        if handle is not None:
            self._forget_want(handle)  # the full form we asked for: arrived
        return context, env

    def _want_full(
        self, frame: frames.Msg, now: float, *, priority: Priority = Priority.VERDICT
    ) -> None:
        handle = frames.handle_of(frame.body)
        if handle in self._wants:
            return  # asked already; request_missing asks again, backing off
        if len(frame.body) <= SIGNATURE_BYTES:
            return
        want = ExpandWant(frame.ctx, frame.body[-SIGNATURE_BYTES:], 0, now, priority)
        self._wants[handle] = want
        self._want_by_sig[want.signature] = handle
        while len(self._wants) > self.max_expand_pending:
            old = next(iter(self._wants))
            self._forget_want(old)
            self._drop(f"unexpandable: gave up on {old.hex()}: too many pending requests")
        self._ask_expand(handle, want, now)

    def _request_expansions(self, now: float) -> None:
        """EXPAND_REQ again (backing off) for abbreviations still unexpanded;
        given up after ``expand_attempts``."""
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

    def _ask_expand(self, handle: bytes, want: ExpandWant, now: float) -> None:
        self.queue.push(
            frames.encode(frames.ExpandReq(want.ctx, handle)), want.priority, created=now
        )
        want.attempts += 1
        want.next = now + self.request_wait * 2 ** (want.attempts - 1)
        self.n.expand_requests_sent += 1
        self._wake_pump()

    def _forget_want(self, handle: bytes) -> None:
        want = self._wants.pop(handle, None)
        if want is not None:
            self._want_by_sig.pop(want.signature, None)

    def _answer_expand(self, req: frames.ExpandReq, now: float) -> None:
        cached = self._sent_abbrev.get(req.handle)
        if cached is None or cached.ctx != req.ctx:
            self.n.expand_requests_ignored += 1  # not ours: another station's, or too old
            return
        if cached.answered is not None and now - cached.answered < self.request_wait:
            self.n.expand_requests_ignored += 1  # answered just now; it is on its way
            return
        cached.answered = now
        self._queue(frames.encode_msg(req.ctx, cached.raw), cached.priority, created=now)
        self.n.expand_requests_answered += 1
