"""The one interface every link carries frames through.

Adapters (the simulated LoRa channel, KISS TNCs, Meshtastic, Reticulum)
implement it; the conformance suite in tests/mesh checks each the same way.
Frames are opaque bytes of at most ``mtu``; ``airtime`` says what a frame
costs on the air so the duty-cycle scheduler can plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol, runtime_checkable


class LinkState(Enum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class LinkStatistics:
    frames_sent: int
    frames_received: int
    bytes_sent: int
    bytes_received: int
    airtime_s: float
    dropped: int


@runtime_checkable
class Transport(Protocol):
    mtu: int

    async def send(self, frame: bytes) -> None: ...

    async def receive(self) -> bytes: ...

    def airtime(self, nbytes: int) -> float: ...

    async def aclose(self) -> None: ...
