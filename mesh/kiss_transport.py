"""Frames over a KISS TNC reached as an anyio byte stream (Direwolf's KISS
TCP port, or a serial port wrapped as a stream)."""

from __future__ import annotations

from collections import deque

import anyio
import anyio.abc

from . import kiss
from .errors import LocalMeshError


class KissTransport:
    """send(frame) / receive() of raw frames through a KISS TNC."""

    def __init__(self, stream: anyio.abc.ByteStream, *, mtu: int = 256, port: int = 0) -> None:
        self.stream = stream
        self.mtu = mtu
        self.port = port
        self._decoder = kiss.KissDecoder(max_frame=max(mtu, 1))
        self._ready: deque[bytes] = deque()

    @classmethod
    async def connect_tcp(cls, host: str, port: int, **kw: int) -> KissTransport:
        return cls(await anyio.connect_tcp(host, port), **kw)

    async def send(self, frame: bytes) -> None:
        if len(frame) > self.mtu:
            raise LocalMeshError(f"frame of {len(frame)} bytes exceeds the link MTU {self.mtu}")
        await self.stream.send(kiss.encode(frame, port=self.port))

    async def receive(self) -> bytes:
        while not self._ready:
            chunk = await self.stream.receive()
            for f in self._decoder.feed(chunk):
                if f.command == kiss.DATA:
                    self._ready.append(f.data)
        return self._ready.popleft()

    @property
    def dropped(self) -> list[str]:
        return self._decoder.dropped

    def airtime(self, nbytes: int) -> float:
        """1200 baud AFSK, the usual packet-radio rate: 8 bits per byte plus
        a rough 10 % for AX.25 framing and bit stuffing."""
        return nbytes * 8 * 1.1 / 1200

    async def aclose(self) -> None:
        await self.stream.aclose()
