"""A testing kit for transports, in the manner of ``trio.testing``.

Anyone writing a ``mesh.transport.Transport`` (a new radio, a new TNC, a
tunnel) can import this and check their adapter the way ours are checked:

* ``check_transport(a, b)``: the one conformance suite every Transport
  passes. Give it two connected transports (what ``a`` sends, ``b`` hears;
  one transport twice for an echo link); it raises ``AssertionError``
  saying what does not conform, and closes both.
* ``memory_transport_pair()``: two transports joined in memory (lossless,
  in order, at once), like ``trio.testing.memory_stream_pair``: a peer for
  code that speaks to a transport, and the reference the suite is run on.
* ``NullModem``: two pseudo-terminals joined back to back (the null-modem
  cable socat makes), so serial code (pyserial opening a device by name)
  runs for real without hardware. POSIX only.

Everything here runs on anyio (under trio or asyncio) and needs only the
core dependencies; a lossy, delaying radio channel on trio's clock is
``mesh.simchannel.SimChannel`` (the mesh extra). This module is for tests:
nothing in the bridge or the node imports it.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import threading
import tty
from collections.abc import Iterator
from dataclasses import dataclass, field

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .airtime import MESHTASTIC, LoRaParams
from .errors import LinkClosed, LocalMeshError
from .transport import LinkState, LinkStatistics, Transport

__all__ = ["MemoryTransport", "NullModem", "check_transport", "memory_transport_pair"]


# --- the conformance suite ------------------------------------------------------


async def check_transport(a: Transport, b: Transport, *, frames: int = 5) -> None:
    """Check that ``a`` and ``b``, connected, behave as every Transport must:

    * both links are UP while connected;
    * frames up to the MTU arrive intact and in order over a quiet link;
    * ``statistics()`` counts the frames and bytes ``a`` sent (and their
      time on air, as ``a.airtime`` figures it) and those ``b`` received;
    * an oversize frame is refused locally (``LocalMeshError``) and counts
      as nothing sent;
    * the airtime figure is positive and grows with size;
    * after ``aclose`` (which may be called twice) both links are DOWN, a
      send raises ``LocalMeshError``, and ``receive`` ends with
      ``LinkClosed`` (also ``anyio.EndOfStream``).

    It closes both transports (also when a check fails). Raises
    ``AssertionError`` naming the rule broken."""
    _expect(isinstance(a, Transport) and isinstance(b, Transport), "both are Transports")
    try:
        await _check_open(a, b, frames)
    except Exception:
        with contextlib.suppress(Exception):  # leave nothing open behind a failure
            await a.aclose()
            await b.aclose()
        raise
    await _check_close(a, b)


async def _check_open(a: Transport, b: Transport, frames: int) -> None:
    _expect(a.link_state() is LinkState.UP, "a connected link reports UP")
    _expect(b.link_state() is LinkState.UP, "a connected link reports UP")
    before_a, before_b = a.statistics(), b.statistics()
    _expect(
        isinstance(before_a, LinkStatistics) and isinstance(before_b, LinkStatistics),
        "statistics() returns LinkStatistics",
    )
    sizes = [1, a.mtu // 2, a.mtu][:frames] + [17] * max(0, frames - 3)
    sent = [bytes([i]) * n for i, n in enumerate(sizes)]
    for f in sent:
        await a.send(f)
        with anyio.fail_after(3600):  # simulated channels run on a mock clock
            got = await b.receive()
        _expect(got == f, f"a frame of {len(f)} bytes arrives intact and in order")
    with _raises(LocalMeshError, "a frame over the MTU is refused with LocalMeshError"):
        await a.send(bytes(a.mtu + 1))
    _expect(0 < a.airtime(10) < a.airtime(a.mtu), "airtime is positive and grows with size")
    _check_counts(a, b, before_a, before_b, sent)


def _check_counts(
    a: Transport,
    b: Transport,
    before_a: LinkStatistics,
    before_b: LinkStatistics,
    sent: list[bytes],
) -> None:
    after_a, after_b = a.statistics(), b.statistics()
    _expect(after_a.frames_sent - before_a.frames_sent == len(sent), "frames_sent counts")
    _expect(after_a.bytes_sent - before_a.bytes_sent == sum(map(len, sent)), "bytes_sent counts")
    _expect(
        math.isclose(
            after_a.airtime_s - before_a.airtime_s,
            sum(a.airtime(len(f)) for f in sent),
            rel_tol=1e-6,
            abs_tol=1e-12,
        ),
        "airtime_s is the airtime of the frames sent",
    )
    _expect(
        after_b.frames_received - before_b.frames_received == len(sent), "frames_received counts"
    )
    _expect(
        after_b.bytes_received - before_b.bytes_received == sum(map(len, sent)),
        "bytes_received counts",
    )
    _expect(after_b.dropped == before_b.dropped, "nothing on a quiet link is dropped")
    for s in (after_a, after_b):
        _expect(s.rssi_dbm is None or -200 < s.rssi_dbm < 50, "RSSI is None or plausible")
        _expect(s.snr_db is None or -50 < s.snr_db < 50, "SNR is None or plausible")


async def _check_close(a: Transport, b: Transport) -> None:
    await a.aclose()
    await b.aclose()
    await a.aclose()  # closing twice is harmless
    _expect(a.link_state() is LinkState.DOWN, "a closed link reports DOWN")
    _expect(b.link_state() is LinkState.DOWN, "a closed link reports DOWN")
    with _raises(LocalMeshError, "a send after aclose raises LocalMeshError"):
        await a.send(b"\x01")
    with _raises(LocalMeshError, "a send after aclose raises LocalMeshError"):
        await b.send(b"\x01")
    for t in {id(a): a, id(b): b}.values():  # a and b may be one transport (an echo)
        with anyio.fail_after(5):
            try:
                while True:  # what was heard before the close may still be read, then the end
                    await t.receive()
            except LinkClosed as ended:
                _expect(isinstance(ended, anyio.EndOfStream), "LinkClosed is EndOfStream")
            except Exception as exc:
                raise AssertionError(
                    f"receive after aclose ends with LinkClosed, not {type(exc).__name__}: {exc}"
                ) from exc


def _expect(condition: bool, rule: str) -> None:
    if not condition:
        raise AssertionError(f"does not conform: {rule}")


@contextlib.contextmanager
def _raises(error: type[BaseException], rule: str) -> Iterator[None]:
    try:
        yield
    except error:
        return
    raise AssertionError(f"does not conform: {rule}")


# --- two transports joined in memory ---------------------------------------------


class MemoryTransport:
    """One end of ``memory_transport_pair``: a Transport whose frames reach
    the other end whole, in order and at once. Each frame is counted as
    costing the time on air of ``params`` (so duty-cycle code has figures to
    plan with). Closing either end ends the link for both."""

    def __init__(
        self,
        mtu: int,
        params: LoRaParams,
        outgoing: MemoryObjectSendStream[bytes],
        incoming: MemoryObjectReceiveStream[bytes],
    ) -> None:
        self.mtu = mtu
        self.params = params
        self._out = outgoing
        self._in = incoming
        self.peer: MemoryTransport | None = None
        self.closed = False
        self._sent = self._received = self._bytes_sent = self._bytes_received = 0
        self._airtime = 0.0

    def airtime(self, nbytes: int) -> float:
        return self.params.airtime(nbytes)

    async def send(self, frame: bytes) -> None:
        if self.closed:
            raise LocalMeshError("memory transport is closed; cannot send")
        if len(frame) > self.mtu:
            raise LocalMeshError(f"frame of {len(frame)} bytes exceeds the MTU {self.mtu}")
        self._sent += 1
        self._bytes_sent += len(frame)
        self._airtime += self.airtime(len(frame))
        with contextlib.suppress(anyio.BrokenResourceError):
            await self._out.send(bytes(frame))  # to a closed peer: lost, as on the air

    async def receive(self) -> bytes:
        try:
            frame = await self._in.receive()
        except anyio.EndOfStream:
            raise LinkClosed("the other end of the memory transport closed") from None
        except anyio.ClosedResourceError:
            raise LinkClosed("memory transport is closed") from None
        self._received += 1
        self._bytes_received += len(frame)
        return frame

    def link_state(self) -> LinkState:
        """UP while both ends are open."""
        peer_open = self.peer is not None and not self.peer.closed
        return LinkState.UP if not self.closed and peer_open else LinkState.DOWN

    def statistics(self) -> LinkStatistics:
        return LinkStatistics(
            frames_sent=self._sent,
            frames_received=self._received,
            bytes_sent=self._bytes_sent,
            bytes_received=self._bytes_received,
            airtime_s=self._airtime,
            dropped=0,
        )

    async def aclose(self) -> None:
        self.closed = True
        await self._out.aclose()
        await self._in.aclose()


def memory_transport_pair(
    mtu: int = 233, params: LoRaParams | None = None, *, buffer: int = 1000
) -> tuple[MemoryTransport, MemoryTransport]:
    """Two transports joined in memory: what one sends the other receives.
    ``params`` figures each frame's time on air (default Meshtastic
    LongFast); up to ``buffer`` frames wait unread in each direction before
    a send waits for the reader."""
    lora = params or MESHTASTIC["LONG_FAST"]
    a_out, b_in = anyio.create_memory_object_stream[bytes](buffer)
    b_out, a_in = anyio.create_memory_object_stream[bytes](buffer)
    a = MemoryTransport(mtu, lora, a_out, a_in)
    b = MemoryTransport(mtu, lora, b_out, b_in)
    a.peer, b.peer = b, a
    return a, b


# --- a null-modem cable -----------------------------------------------------------


@dataclass
class NullModem:
    """Two pseudo-terminals joined back to back: what is written to one
    device is read from the other. ``start()`` opens them and returns their
    paths; ``stop()`` closes them."""

    _fds: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> tuple[str, str]:
        """Open the pair; returns the two device paths."""
        m1, s1 = os.openpty()
        m2, s2 = os.openpty()
        for fd in (s1, s2):
            tty.setraw(fd)
        self._fds = [m1, s1, m2, s2]
        self._thread = threading.Thread(target=self._relay, args=(m1, m2), daemon=True)
        self._thread.start()
        return os.ttyname(s1), os.ttyname(s2)

    def _relay(self, m1: int, m2: int) -> None:
        other = {m1: m2, m2: m1}
        while not self._stop.is_set():
            ready, _, _ = select.select([m1, m2], [], [], 0.1)
            for fd in ready:
                try:
                    os.write(other[fd], os.read(fd, 4096))
                except OSError:
                    continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
