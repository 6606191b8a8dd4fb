"""One back-off policy for every retry loop at the edges: the bridge's node
events, its submissions and its Reticulum peer, and gossip's dials.

Exponential from ``first`` to ``limit``; ``reset`` after a success. With
``jitter`` (a share, 0 to 1) each wait is shortened by up to that share, so
that many bridges or nodes that lost the same peer at once do not retry in
step; the randomness comes in as an argument (``rand() -> [0, 1)``), so a
test or a simulator chooses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    first: float = 0.5
    limit: float = 30.0
    factor: float = 2.0
    jitter: float = 0.0
    rand: Callable[[], float] | None = None
    current: float = field(init=False)
    failures: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if not 0 < self.first <= self.limit or self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("a back-off needs 0 < first <= limit, factor >= 1, 0 <= jitter < 1")
        if self.jitter and self.rand is None:
            raise ValueError("a back-off with jitter needs rand")
        self.current = self.first

    def next(self) -> float:
        """The wait before the next attempt (and the one after grows)."""
        wait = self.current
        self.current = min(self.current * self.factor, self.limit)
        self.failures += 1
        if self.jitter and self.rand is not None:
            wait *= 1 - self.jitter * self.rand()
        return wait

    def reset(self) -> None:
        """After a success: the next failure waits ``first`` again."""
        self.current = self.first
        self.failures = 0
