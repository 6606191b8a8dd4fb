"""A simulated LoRa channel for tests and benchmarks (trio).

Radios attach to one channel. A transmission occupies the air for its exact
time on air (``mesh.airtime``); every radio within range hears it when it
ends, unless it was lost (seeded random loss) or it collided at that
receiver with another transmission overlapping in time (both are lost
there). Radios forward what they hear, Meshtastic-style managed flooding:
each frame carries a hop count (kept outside the frame, as the radio header
would) and is rebroadcast once per radio while hops remain. Run it under
``trio.testing.MockClock(autojump_threshold=0)`` and hours of radio time
pass in a second of real time.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

import trio

from .airtime import LoRaParams
from .errors import LinkClosed, LocalMeshError
from .transport import LinkState, LinkStatistics

Packet = tuple[str, int]  # (sender, its n-th transmission)


def _draw(seed: int, *what: object) -> float:
    """A uniform draw in [0, 1) fixed by the seed and the event it decides.
    Trio deliberately varies the order in which ready tasks run, so one shared
    random sequence would give each run other losses and back-offs; drawing
    per event keeps a seeded simulation the same run after run."""
    h = hashlib.sha256(repr((seed, *what)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


@dataclass
class _Tx:
    sender: SimRadio
    frame: bytes
    start: float
    end: float
    hops: int
    packet: Packet  # kept by relays (as Meshtastic does): retries are new packets


@dataclass
class SimChannel:
    params: LoRaParams
    loss: float = 0.0
    seed: int = 0
    hop_limit: int = 3
    radios: list[SimRadio] = field(default_factory=list)
    links: set[tuple[str, str]] = field(default_factory=set)
    _active: list[_Tx] = field(default_factory=list)
    collisions: int = 0
    losses: int = 0
    packets: int = 0

    def radio(self, name: str, mtu: int = 233) -> SimRadio:
        r = SimRadio(self, name, mtu)
        self.radios.append(r)
        return r

    def connect(self, a: str, b: str) -> None:
        """a and b are within range of each other."""
        self.links.add((a, b))
        self.links.add((b, a))

    def in_range(self, a: SimRadio, b: SimRadio) -> bool:
        return a is not b and (a.name, b.name) in self.links

    async def transmit(self, sender: SimRadio, frame: bytes, hops: int, packet: Packet) -> None:
        airtime = self.params.airtime(len(frame))
        now = trio.current_time()
        tx = _Tx(sender, frame, now, now + airtime, hops, packet)
        self._active.append(tx)
        sender.airtime_used += airtime
        await trio.sleep(airtime)
        self._active.remove(tx)
        for r in self.radios:
            if not self.in_range(sender, r):
                continue
            collided = any(
                o is not tx and self.in_range(o.sender, r) and o.start < tx.end and tx.start < o.end
                for o in [*self._active, *r.recent]
            )
            r.recent.append(tx)
            r.recent = [o for o in r.recent if o.end > now - 60]
            if collided:
                self.collisions += 1
                continue
            if _draw(self.seed, "loss", tx.packet, r.name, tx.hops) < self.loss:
                self.losses += 1
                continue
            r.hear(tx)


class SimRadio:
    """A Transport on the simulated channel."""

    def __init__(self, channel: SimChannel, name: str, mtu: int) -> None:
        self.channel = channel
        self.name = name
        self.mtu = mtu
        self.airtime_used = 0.0
        self.recent: list[_Tx] = []
        self._send_in, self._recv = trio.open_memory_channel[bytes](1000)
        self._seen: set[Packet] = set()
        self._forward: list[tuple[bytes, int, Packet]] = []
        self._sent_n = 0
        self.rng = random.Random(f"{channel.seed}:{name}")  # this radio's back-offs
        self.sent = self.received = self.bytes_sent = self.bytes_received = 0
        self.busy = trio.Lock()
        self.closed = False

    def airtime(self, nbytes: int) -> float:
        return self.channel.params.airtime(nbytes)

    async def send(self, frame: bytes) -> None:
        if self.closed:
            raise LocalMeshError(f"simulated radio {self.name} is closed; cannot send")
        if len(frame) > self.mtu:
            raise LocalMeshError(f"frame of {len(frame)} bytes exceeds the MTU {self.mtu}")
        self.channel.packets += 1
        self._sent_n += 1
        packet = (self.name, self._sent_n)
        self._seen.add(packet)
        self.sent += 1
        self.bytes_sent += len(frame)
        async with self.busy:  # one transmission at a time per radio
            await self.listen_before_talk()
            await self.channel.transmit(self, frame, self.channel.hop_limit, packet)

    async def listen_before_talk(self) -> None:
        """Channel activity detection with a random back-off, as LoRa radios
        do: wait while anyone in range is on the air, then a random slot."""
        rng = self.rng
        for _ in range(100):
            await trio.sleep(rng.uniform(0.0, 4.0) * self.channel.params.symbol_s * 32)
            if not any(self.channel.in_range(tx.sender, self) for tx in self.channel._active):
                return

    def hear(self, tx: _Tx) -> None:
        if self.closed or tx.packet in self._seen:
            return
        self._seen.add(tx.packet)
        self.received += 1
        self.bytes_received += len(tx.frame)
        self._send_in.send_nowait(tx.frame)
        if tx.hops > 1:
            self._forward.append((tx.frame, tx.hops - 1, tx.packet))

    async def relay(self) -> None:
        """Rebroadcast what was heard while hops remain (run in a nursery)."""
        while True:
            while self._forward:
                frame, hops, packet = self._forward.pop(0)
                async with self.busy:
                    await self.listen_before_talk()
                    await self.channel.transmit(self, frame, hops, packet)
            await trio.sleep(0.5)

    async def receive(self) -> bytes:
        try:
            return await self._recv.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise LinkClosed(f"simulated radio {self.name} is closed") from None

    def link_state(self) -> LinkState:
        """UP while open and some open radio is in range (DOWN otherwise)."""
        if self.closed:
            return LinkState.DOWN
        in_range = (r for r in self.channel.radios if not r.closed)
        return (
            LinkState.UP
            if any(self.channel.in_range(self, r) for r in in_range)
            else LinkState.DOWN
        )

    def statistics(self) -> LinkStatistics:
        """What this radio sent and heard; the simulation models no signal
        strength, so RSSI and SNR are not reported."""
        return LinkStatistics(
            frames_sent=self.sent,
            frames_received=self.received,
            bytes_sent=self.bytes_sent,
            bytes_received=self.bytes_received,
            airtime_s=self.airtime_used,
            dropped=0,
            rssi_dbm=None,
            snr_db=None,
        )

    async def aclose(self) -> None:
        self.closed = True
        await self._send_in.aclose()
