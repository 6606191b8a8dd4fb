"""Frames over a KISS TNC reached as an anyio byte stream (Direwolf's KISS
TCP port, or a serial port wrapped as a stream: ``SerialStream``)."""

from __future__ import annotations

import contextlib
from collections import deque
from typing import Any

import anyio
import anyio.abc
import anyio.to_thread

from . import kiss
from .errors import LinkClosed, LocalMeshError
from .transport import LinkState, LinkStatistics

_GONE = (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError)


class SerialStream(anyio.abc.ByteStream):
    """A serial port (pyserial) as an anyio byte stream: every read and
    write runs in a worker thread, reads time out after ``poll`` seconds so
    a cancelled receive never leaves a thread blocked for long."""

    def __init__(self, port: Any, *, poll: float = 0.2) -> None:
        self.port = port
        self.poll = poll
        self._closed = False

    @classmethod
    async def open(cls, device: str, baud: int = 9600, *, poll: float = 0.2) -> SerialStream:
        import serial  # pyserial, only needed for serial TNCs

        def blocking() -> Any:
            try:
                return serial.Serial(device, baudrate=baud, timeout=poll)
            except (serial.SerialException, OSError, ValueError) as exc:
                raise LocalMeshError(f"cannot open serial port {device}: {exc}") from None

        return cls(await anyio.to_thread.run_sync(blocking), poll=poll)

    def _read(self, max_bytes: int) -> bytes:
        data: bytes = self.port.read(max(1, min(max_bytes, self.port.in_waiting or 1)))
        return data

    async def receive(self, max_bytes: int = 65536) -> bytes:
        while True:  # each read returns within ``poll`` seconds
            if self._closed:
                raise anyio.ClosedResourceError
            try:
                data = await anyio.to_thread.run_sync(self._read, max_bytes)
            except OSError as exc:  # serial.SerialException is an OSError
                raise anyio.BrokenResourceError(str(exc)) from exc
            if data:
                return data

    async def send(self, item: bytes) -> None:
        if self._closed:
            raise anyio.ClosedResourceError
        try:
            await anyio.to_thread.run_sync(self.port.write, item)
        except OSError as exc:
            raise anyio.BrokenResourceError(str(exc)) from exc

    async def send_eof(self) -> None:
        raise NotImplementedError("a serial port has no half-close")

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await anyio.to_thread.run_sync(self.port.close)


class KissTransport:
    """send(frame) / receive() of raw frames through a KISS TNC."""

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        *,
        mtu: int = 256,
        port: int = 0,
        baud: int = 1200,
        name: str = "KISS TNC",
    ) -> None:
        self.stream = stream
        self.mtu = mtu
        self.port = port
        self.baud = baud  # the radio's on-air bit rate, for ``airtime``
        self.name = name
        self._decoder = kiss.KissDecoder(max_frame=max(mtu, 1))
        self._ready: deque[bytes] = deque()
        self._closed = False
        self._broken: str | None = None  # why the stream stopped working
        self.drop_reasons: deque[str] = deque(maxlen=100)
        self._sent = self._received = self._bytes_sent = self._bytes_received = 0
        self._dropped = 0
        self._airtime = 0.0

    @classmethod
    async def connect_tcp(cls, host: str, port: int, **kw: Any) -> KissTransport:
        try:
            stream = await anyio.connect_tcp(host, port)
        except OSError as exc:
            raise LocalMeshError(f"cannot reach the KISS TNC at {host}:{port}: {exc}") from None
        return cls(stream, name=f"KISS TNC at {host}:{port}", **kw)

    @classmethod
    async def open_serial(cls, device: str, baud: int = 9600, **kw: Any) -> KissTransport:
        """A TNC on a serial port; ``baud`` is the serial line's rate."""
        return cls(await SerialStream.open(device, baud), name=f"KISS TNC on {device}", **kw)

    async def send(self, frame: bytes) -> None:
        if self._closed:
            raise LocalMeshError(f"the {self.name} link is closed; cannot send")
        if len(frame) > self.mtu:
            raise LocalMeshError(f"frame of {len(frame)} bytes exceeds the link MTU {self.mtu}")
        try:
            await self.stream.send(kiss.encode(frame, port=self.port))
        except _GONE as exc:
            self._broken = f"send failed: {exc or type(exc).__name__}"
            raise LocalMeshError(f"the {self.name} connection is broken ({exc})") from None
        self._sent += 1
        self._bytes_sent += len(frame)
        self._airtime += self.airtime(len(frame))

    async def receive(self) -> bytes:
        while not self._ready:
            if self._closed:
                raise LinkClosed(f"the {self.name} link is closed; cannot receive")
            try:
                chunk = await self.stream.receive()
            except anyio.EndOfStream:
                self._broken = "the TNC closed the connection"
                raise LinkClosed(f"the {self.name} closed the connection") from None
            except _GONE as exc:
                self._broken = f"receive failed: {exc or type(exc).__name__}"
                raise LinkClosed(f"the {self.name} connection is broken ({exc})") from None
            for f in self._decoder.feed(chunk):
                if f.command == kiss.DATA:
                    self._ready.append(f.data)
                    self._received += 1
                    self._bytes_received += len(f.data)
            if self._decoder.dropped:  # keep the reasons bounded
                self._dropped += len(self._decoder.dropped)
                self.drop_reasons.extend(self._decoder.dropped)
                self._decoder.dropped.clear()
        return self._ready.popleft()

    @property
    def dropped(self) -> list[str]:
        """The most recent reasons frames from the TNC were dropped."""
        return list(self.drop_reasons)

    def airtime(self, nbytes: int) -> float:
        """At the radio's bit rate (1200 baud AFSK by default, the usual
        packet-radio rate): 8 bits per byte plus a rough 10 % for AX.25
        framing and bit stuffing."""
        return nbytes * 8 * 1.1 / self.baud

    def link_state(self) -> LinkState:
        if self._closed or self._broken is not None:
            return LinkState.DOWN
        return LinkState.UP

    def statistics(self) -> LinkStatistics:
        return LinkStatistics(
            frames_sent=self._sent,
            frames_received=self._received,
            bytes_sent=self._bytes_sent,
            bytes_received=self._bytes_received,
            airtime_s=self._airtime,
            dropped=self._dropped,
        )

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(*_GONE):
            await self.stream.aclose()
