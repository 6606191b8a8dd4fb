"""Duty-cycle budgets and the radio send queue (sans-IO: time comes in).

EU868 (ETSI EN 300 220-2, as LoRaWAN's regional parameters list it) limits
each sub-band's share of time on air over a rolling hour: 1 % in 868.0–868.6
MHz and 869.7–870.0 MHz, 0.1 % in 868.7–869.2 MHz, 10 % in 869.4–869.65 MHz
(where Meshtastic's EU default sits). US915 has no duty cycle but limits a
single transmission to a 400 ms dwell time. A node keeps a polite margin
below the legal limit (default: use at most 90 % of it) so that it never
breaks it, even with clock jitter.

The queue sends what matters first: verdicts and attestations, then recall
votes, votes, stage closes, other fresh messages, and bulk history last;
within a class, the freshest first. It never hands out a frame whose time on
air would exceed what the rolling hour still allows; it says when to wake
instead. Priority alone is not enough on a slow band: history synchronised
in a quiet moment would use the whole hour, and a vote cast just after would
wait for the window to roll. So a share of the allowance (``reserve``,
default 20 %) is kept for decisions — verdicts, recall votes, votes and
closes; other traffic may use only the rest.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from .errors import LocalMeshError, OverBudget

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class SubBand:
    name: str
    low_mhz: float
    high_mhz: float
    duty: float  # share of the rolling hour, 0.01 = 1 %
    dwell_s: float | None = None  # longest single transmission, if limited


EU868 = (
    SubBand("h1.4 863.0-865.0", 863.0, 865.0, 0.001),
    SubBand("h1.5 865.0-868.0", 865.0, 868.0, 0.01),
    SubBand("g 868.0-868.6", 868.0, 868.6, 0.01),
    SubBand("g1 868.7-869.2", 868.7, 869.2, 0.001),
    SubBand("g3 869.4-869.65", 869.4, 869.65, 0.10),
    SubBand("g4 869.7-870.0", 869.7, 870.0, 0.01),
)
US915 = (SubBand("US915", 902.0, 928.0, 1.0, dwell_s=0.4),)
REGIONS = {"EU868": EU868, "US915": US915}


def sub_band(region: str, mhz: float) -> SubBand:
    try:
        bands = REGIONS[region]
    except KeyError:
        raise LocalMeshError(f"unknown region {region!r}; known: {', '.join(REGIONS)}") from None
    for band in bands:
        if band.low_mhz <= mhz <= band.high_mhz:
            return band
    raise LocalMeshError(f"{mhz} MHz is in no {region} sub-band a LoRa node may use")


@dataclass
class Budget:
    """Time on air over a rolling hour, kept below ``margin`` × the limit."""

    band: SubBand
    margin: float = 0.9
    window_s: float = HOUR
    _sent: deque[tuple[float, float]] = field(default_factory=deque)  # (start, airtime)
    peak_s: float = 0.0  # the most ever used in one window, for reports

    @property
    def allowance_s(self) -> float:
        return self.band.duty * self.window_s * self.margin

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0][0] + self._sent[0][1] <= now - self.window_s:
            self._sent.popleft()

    def used(self, now: float) -> float:
        """Seconds on air in the window ending at ``now`` (pure: ``when``
        asks about future times, so nothing is forgotten here)."""
        start = now - self.window_s
        return sum(min(a, t + a - start) for t, a in self._sent if t + a > start)

    def remaining(self, now: float) -> float:
        return max(0.0, self.allowance_s - self.used(now))

    def allows(self, now: float, airtime: float, *, limit_s: float | None = None) -> bool:
        """Whether ``airtime`` fits now (within ``limit_s`` of the window, when
        given: a part of the allowance)."""
        if self.band.dwell_s is not None and airtime > self.band.dwell_s:
            return False
        limit = self.allowance_s if limit_s is None else min(limit_s, self.allowance_s)
        return self.used(now) + airtime <= limit

    def when(self, now: float, airtime: float, *, limit_s: float | None = None) -> float:
        """The earliest time >= now at which ``airtime`` fits the budget (or
        the part ``limit_s`` of it)."""
        limit = self.allowance_s if limit_s is None else min(limit_s, self.allowance_s)
        if self.band.dwell_s is not None and airtime > self.band.dwell_s:
            raise OverBudget(f"{airtime:.3f} s exceeds the {self.band.dwell_s} s dwell time")
        if airtime > limit:
            raise OverBudget(f"{airtime:.3f} s exceeds the hourly allowance of {limit:.1f} s")
        t = now
        for start, a in list(self._sent):
            if self.used(t) + airtime <= limit:
                return t
            t = max(t, start + a + self.window_s)
        return t if self.used(t) + airtime <= limit else t + airtime

    def record(self, now: float, airtime: float) -> None:
        if not self.allows(now, airtime):
            raise OverBudget(
                f"{airtime:.3f} s now would exceed the budget "
                f"({self.used(now):.1f} of {self.allowance_s:.1f} s used)"
            )
        self._expire(now)
        self._sent.append((now, airtime))
        self.peak_s = max(self.peak_s, self.used(now + airtime))


class Priority(IntEnum):
    VERDICT = 0  # verdicts, attestations, proofs' first frames
    RECALL = 1
    VOTE = 2
    CLOSE = 3
    FRESH = 4
    BULK = 5  # history being synchronised


URGENT = Priority.CLOSE  # this class and above may use the reserved share


@dataclass(order=True, frozen=True, slots=True)
class _Entry:
    """Ordered by priority, then freshness, then the frame's bytes: frames
    queued at the same moment by different tasks leave in the same order
    whichever task ran first (the simulator stays deterministic under trio,
    which varies the order of ready tasks on purpose)."""

    priority: int
    freshness: float  # negative creation time: fresher first
    frame: bytes
    order: int  # copies of one frame, first queued first
    airtime: float = field(compare=False)


@dataclass(frozen=True, slots=True)
class QueueReport:
    used_s: float
    remaining_s: float
    allowance_s: float
    queued_frames: int
    queued_airtime_s: float
    reserved_s: float = 0.0  # of the allowance, kept for verdicts, recalls, votes, closes
    # per priority class queued: name -> (frames, seconds of air), most urgent first
    by_priority: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    next_send_in_s: float | None = None  # until the head of the queue may go (0: now)


class SendQueue:
    """Frames waiting for the radio, released only within the budget."""

    def __init__(self, budget: Budget, airtime_of: object, *, reserve: float = 0.2) -> None:
        if not 0.0 <= reserve < 1.0:
            raise LocalMeshError("the reserve is a share of the allowance, 0 <= reserve < 1")
        self.budget = budget
        self.reserve = reserve
        self._airtime = airtime_of
        self._heap: list[_Entry] = []
        self._queued: dict[bytes, int] = {}
        self._count = itertools.count()
        self.sent_frames = 0
        self.sent_airtime = 0.0

    def push(self, frame: bytes, priority: Priority, *, created: float) -> None:
        airtime = float(self._airtime(len(frame)))  # type: ignore[operator]
        if airtime > self._limit(priority) or (
            self.budget.band.dwell_s is not None and airtime > self.budget.band.dwell_s
        ):
            raise OverBudget(
                f"a frame of {len(frame)} bytes ({airtime:.3f} s) can never be sent here"
            )
        heapq.heappush(
            self._heap, _Entry(int(priority), -created, frame, next(self._count), airtime)
        )
        self._queued[frame] = self._queued.get(frame, 0) + 1

    def __contains__(self, frame: object) -> bool:
        return frame in self._queued

    def __len__(self) -> int:
        return len(self._heap)

    def _limit(self, priority: int) -> float:
        """The part of the allowance a frame of this priority may use."""
        if priority <= URGENT:
            return self.budget.allowance_s
        return self.budget.allowance_s * (1.0 - self.reserve)

    def pop_ready(self, now: float) -> tuple[bytes | None, float | None]:
        """(frame to send now, None) or (None, when to ask again). The head
        is the most urgent frame, so nothing behind it could go instead."""
        if not self._heap:
            return None, None
        head = self._heap[0]
        limit = self._limit(head.priority)
        if self.budget.allows(now, head.airtime, limit_s=limit):
            heapq.heappop(self._heap)
            left = self._queued[head.frame] - 1
            if left:
                self._queued[head.frame] = left
            else:
                del self._queued[head.frame]
            self.budget.record(now, head.airtime)
            self.sent_frames += 1
            self.sent_airtime += head.airtime
            return head.frame, None
        return None, self.budget.when(now, head.airtime, limit_s=limit)

    def report(self, now: float) -> QueueReport:
        by: dict[int, tuple[int, float]] = {}
        for e in self._heap:
            n, a = by.get(e.priority, (0, 0.0))
            by[e.priority] = (n + 1, a + e.airtime)
        next_in = None
        if self._heap:
            head = self._heap[0]
            try:
                wake = self.budget.when(now, head.airtime, limit_s=self._limit(head.priority))
                next_in = max(0.0, wake - now)
            except OverBudget:
                next_in = None
        return QueueReport(
            used_s=self.budget.used(now),
            remaining_s=self.budget.remaining(now),
            allowance_s=self.budget.allowance_s,
            queued_frames=len(self._heap),
            queued_airtime_s=sum(e.airtime for e in self._heap),
            reserved_s=self.budget.allowance_s * self.reserve,
            by_priority={Priority(p).name.lower(): by[p] for p in sorted(by)},
            next_send_in_s=next_in,
        )
