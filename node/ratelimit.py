"""Token buckets for the member API: how fast keys a body does not know
(and the addresses sending for them) may post messages.

A member's messages are never limited: the body knows their key. Anyone
else can sign messages with fresh keys at no cost, and the node stores what
it verifies (as evidence, or ignored with a reason), so those messages are
metered: ``STRANGER_KEY`` per unknown key and ``STRANGER_ADDRESS`` per
client address (spec/api.md, "Rate limits"). Time comes in as an argument.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    """``burst`` messages at once, refilled at ``per_minute``."""

    burst: int
    per_minute: float


STRANGER_KEY = Rate(burst=20, per_minute=10)
STRANGER_ADDRESS = Rate(burst=60, per_minute=30)


class Buckets:
    """One token bucket per key, at most ``max_keys`` of them (the longest
    unused is forgotten first, which only ever lets more through)."""

    def __init__(self, rate: Rate, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: OrderedDict[object, tuple[float, float]] = OrderedDict()

    def _level(self, key: object, now: float) -> float:
        tokens, stamp = self._buckets.get(key, (float(self.rate.burst), now))
        refill = max(0.0, now - stamp) * self.rate.per_minute / 60
        return min(float(self.rate.burst), tokens + refill)

    def wait(self, key: object, n: int, now: float) -> float:
        """Seconds until ``n`` messages for ``key`` fit (0: they fit now)."""
        short = n - self._level(key, now)
        return 0.0 if short <= 0 else short * 60 / self.rate.per_minute

    def take(self, key: object, n: int, now: float) -> None:
        level = self._level(key, now) - n
        self._buckets[key] = (level, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
