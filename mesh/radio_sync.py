"""Turns of a reconciliation session over radio, numbered so a lost frame can
be recovered (spec/mesh.md, "Reconciliation over radio": "Lost frames").

``crdt.reconcile.Session`` is turn-based and has no way to resend a turn:
one lost frame would stall it until the session timeout. ``Turns`` is the
sans-IO bookkeeping ``RadioLink`` keeps per session to make it loss-tolerant
at turn granularity:

* It numbers our turns (the opener's even, the answerer's odd) and keeps the
  frames of our last one, to send again when the peer did not get it.
* It buffers the parts of the peer's turn being received and hands them over
  in order, once, only when all are in: the Session never sees a frame twice
  nor out of order.
* It classifies everything else: a duplicate part, a repeat of the peer's
  previous turn (which we answered: our answer was lost), a stale frame, or a
  bad one (wrong parity, ahead of the session, part count changed).

The waits (when to resend our turn, when to NACK the peer's) are
``answer_wait``: the air time of the expected frames at the duty-cycled rate,
plus a margin, doubling each attempt, capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .errors import LocalMeshError
from .frames import MAX_PARTS


class Heard(Enum):
    COMPLETE = "complete"  # the peer's turn is whole: feed ``frames`` to the Session
    BUFFERED = "buffered"  # a new part of it; more to come
    DUPLICATE = "duplicate"  # a part already held or already fed
    PREVIOUS = "previous"  # the peer's turn we answered: it lacks our answer
    STALE = "stale"  # an older turn of the session
    BAD = "bad"  # impossible from an honest peer: ``reason``


@dataclass(frozen=True, slots=True)
class Outcome:
    heard: Heard
    frames: tuple[bytes, ...] = ()
    reason: str = ""


MAX_TURN = 255


@dataclass
class Turns:
    """One side's turns of one session."""

    initiator: bool
    mine: int | None = None  # the number of our last turn
    out: tuple[bytes, ...] = ()  # its reconciliation frames, in order
    parts: dict[int, bytes] = field(default_factory=dict)  # of the peer's turn ``expect``
    count: int | None = None  # that turn's part count, once a part is in
    fed: bool = False  # that turn went to the Session already
    progress: float = 0.0  # when a new part of it last arrived
    nacks: int = 0  # NACKs we sent for it since a part last arrived
    nacked: float = float("-inf")
    timer_resends: int = 0  # our last turn sent again because nothing came back
    resends: int = 0  # our last turn (or parts of it) sent again, for any reason
    requeued: float = float("-inf")
    frames_fed: int = 0  # session frames handed to the Session, over the session

    @property
    def expect(self) -> int:
        """The number of the peer's turn we wait for."""
        return 0 if self.mine is None else self.mine + 1

    @property
    def waiting(self) -> bool:
        """Our last turn is out and nothing of the answer has arrived."""
        return self.mine is not None and not self.parts and not self.fed

    def sent(self, out: list[bytes]) -> int:
        """Number a new turn of ours (the Session's answer); returns its number."""
        turn = (0 if self.initiator else 1) if self.mine is None else self.mine + 2
        if turn > MAX_TURN:
            raise LocalMeshError(f"a session of more than {MAX_TURN + 1} turns")
        if not 0 < len(out) <= MAX_PARTS:
            raise LocalMeshError(f"a turn of {len(out)} frames (1 to {MAX_PARTS} fit a SYNC frame)")
        self.mine, self.out = turn, tuple(out)
        self.parts, self.count, self.fed = {}, None, False
        self.nacks, self.nacked = 0, float("-inf")
        self.timer_resends = self.resends = 0
        self.requeued = float("-inf")
        return turn

    def _peer_parity(self) -> int:
        return 1 if self.initiator else 0

    def receive(self, turn: int, part: int, parts: int, frame: bytes, now: float) -> Outcome:
        """One part of a peer's turn (the codec checked ``part < parts``)."""
        if turn % 2 != self._peer_parity():
            who = "the answerer's" if self.initiator else "the opener's"
            return Outcome(Heard.BAD, reason=f"turn {turn} is not {who}")
        expect = self.expect
        if turn > expect:
            return Outcome(Heard.BAD, reason=f"turn {turn} is ahead of turn {expect}")
        if turn < expect:
            if turn == expect - 2:
                return Outcome(Heard.PREVIOUS)
            return Outcome(Heard.STALE)
        if self.fed:
            return Outcome(Heard.DUPLICATE)
        if self.count is not None and parts != self.count:
            return Outcome(Heard.BAD, reason=f"turn {turn} had {self.count} parts, now {parts}")
        if part in self.parts:
            if self.parts[part] != frame:
                return Outcome(Heard.BAD, reason=f"part {part} of turn {turn} changed")
            return Outcome(Heard.DUPLICATE)
        self.count = parts
        self.parts[part] = frame
        self.progress = now
        self.nacks = 0  # progress: ask again soon if more is missing
        if len(self.parts) < parts:
            return Outcome(Heard.BUFFERED)
        whole = tuple(self.parts[i] for i in range(parts))
        self.parts, self.fed = {}, True
        self.frames_fed += len(whole)
        return Outcome(Heard.COMPLETE, frames=whole)

    def missing(self) -> list[int]:
        """The parts of the peer's turn not yet in (none when nothing is)."""
        if self.count is None or self.fed or not self.parts:
            return []
        return [i for i in range(self.count) if i not in self.parts]

    def after_last(self) -> int:
        """Missing parts after the last one heard (they may still be on their way)."""
        if not self.parts or self.count is None:
            return 0
        return self.count - 1 - max(self.parts)

    def nacked_parts(self, turn: int, count: int, missing: tuple[int, ...]) -> Outcome:
        """A NACK from the peer for one of our turns: STALE, BAD, or COMPLETE
        with ``frames`` empty (then ``missing`` are the parts to send again)."""
        if turn % 2 == self._peer_parity():
            return Outcome(Heard.BAD, reason=f"a NACK for turn {turn}, which is not ours")
        if self.mine is None or turn > self.mine:
            return Outcome(Heard.BAD, reason=f"a NACK for turn {turn}, which we never sent")
        if turn < self.mine:
            return Outcome(Heard.STALE)
        if count != len(self.out):
            return Outcome(
                Heard.BAD,
                reason=f"a NACK for turn {turn} of {count} parts; it has {len(self.out)}",
            )
        return Outcome(Heard.COMPLETE)


def answer_wait(
    frames: int, attempt: int, *, frame_airtime: float, rate: float, margin: float, cap: float
) -> float:
    """How long to wait for ``frames`` frames from the peer before asking again:
    their air time at the rate the peer's duty cycle allows (``rate``: the
    fraction of time it may transmit), plus ``margin``, doubled per attempt,
    at most ``cap``."""
    return min((margin + frames * frame_airtime / rate) * 2.0**attempt, cap)
