"""The one interface every link carries frames through.

Adapters (the simulated LoRa channel, KISS TNCs, Meshtastic, Reticulum)
implement it; the conformance suite (``mesh.testing.check_transport``,
public, for anyone's adapter) checks each the same way.
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
    """What every adapter promises (``mesh.testing.check_transport`` checks it)."""

    mtu: int

    async def send(self, frame: bytes) -> None:
        """Put one frame of at most ``mtu`` bytes on the link; a larger frame,
        or any frame after ``aclose``, raises ``LocalMeshError``."""
        ...

    async def receive(self) -> bytes:
        """The next frame heard. Once the link has ended (closed here or by
        the peer, or the device gone) and what was already heard is read, it
        raises ``mesh.errors.LinkClosed`` saying why (a ``LocalMeshError``
        that is also ``anyio.EndOfStream``)."""
        ...

    def airtime(self, nbytes: int) -> float:
        """Seconds on air a frame of ``nbytes`` costs (positive, growing)."""
        ...

    def link_state(self) -> LinkState:
        """UP while frames can be sent and heard; DOWN once closed."""
        ...

    def statistics(self) -> LinkStatistics:
        """Counts since the link was opened: frames and bytes sent (with
        their time on air) and received, and what the adapter dropped."""
        ...

    async def aclose(self) -> None:
        """Close the link (calling it again is harmless)."""
        ...
