"""The one interface every link carries frames through.

Adapters (the simulated LoRa channel, KISS TNCs, Meshtastic, Reticulum)
implement it; the conformance suite in tests/mesh checks each the same way.
Frames are opaque bytes of at most ``mtu``; ``airtime`` says what a frame
costs on the air so the duty-cycle scheduler can plan; ``link_state`` and
``statistics`` tell an operator whether the link works and how well (what
``caracol mesh status`` shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol, runtime_checkable


class LinkState(Enum):
    UP = "up"  # frames can be sent and heard
    DEGRADED = "degraded"  # connected, but the link reports trouble (stale, lossy)
    DOWN = "down"  # closed, disconnected, or nobody in range


@dataclass(frozen=True, slots=True)
class LinkStatistics:
    frames_sent: int
    frames_received: int
    bytes_sent: int
    bytes_received: int
    airtime_s: float  # time on air of what was sent
    dropped: int  # frames heard but discarded by the adapter (oversize, bad framing)
    rssi_dbm: float | None = None  # of the last frame heard, where the radio reports it
    snr_db: float | None = None


@runtime_checkable
class Transport(Protocol):
    mtu: int

    async def send(self, frame: bytes) -> None: ...

    async def receive(self) -> bytes: ...

    def airtime(self, nbytes: int) -> float: ...

    def link_state(self) -> LinkState: ...

    def statistics(self) -> LinkStatistics: ...

    async def aclose(self) -> None: ...
