"""KISS framing for packet-radio TNCs (Chepponis & Karn, "The KISS TNC").

A frame on the serial line (or Direwolf's KISS TCP port) is

    FEND, command, data with FEND/FESC escaped, FEND

with FEND = 0xC0, FESC = 0xDB, TFEND = 0xDC, TFESC = 0xDD: a FEND in the
data is sent as FESC TFEND and a FESC as FESC TFESC. The command byte holds
the TNC port in its high nibble and the command in its low nibble (0: data
frame). ``KissDecoder`` takes bytes as they arrive, in any chunking, and
yields frames; a bad escape drops the frame with a recorded reason (a radio
cannot be answered). ``KissTransport`` carries frames over an anyio byte
stream (TCP to 127.0.0.1:8001 for Direwolf, or a serial port wrapped as a
stream).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import BadKiss

FEND = 0xC0
FESC = 0xDB
TFEND = 0xDC
TFESC = 0xDD
DATA = 0x00
MAX_FRAME = 4096


def escape(data: bytes) -> bytes:
    return data.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")


def encode(data: bytes, *, port: int = 0, command: int = DATA) -> bytes:
    if not 0 <= port <= 15 or not 0 <= command <= 15:
        raise BadKiss("port and command are 4-bit values")
    return bytes([FEND, (port << 4) | command]) + escape(data) + bytes([FEND])


def unescape(body: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(body):
        b = body[i]
        if b == FESC:
            if i + 1 >= len(body):
                raise BadKiss("frame ends in the middle of an escape", offset=i)
            nxt = body[i + 1]
            if nxt == TFEND:
                out.append(FEND)
            elif nxt == TFESC:
                out.append(FESC)
            else:
                raise BadKiss(f"FESC followed by 0x{nxt:02x}, not TFEND or TFESC", offset=i + 1)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


@dataclass(frozen=True, slots=True)
class KissFrame:
    port: int
    command: int
    data: bytes


@dataclass
class KissDecoder:
    """Stream decoder: feed bytes, iterate complete frames."""

    max_frame: int = MAX_FRAME
    _buf: bytearray = field(default_factory=bytearray)
    _in_frame: bool = False
    dropped: list[str] = field(default_factory=list)

    def feed(self, data: bytes) -> Iterator[KissFrame]:
        for b in data:
            if b == FEND:
                if self._in_frame and self._buf:
                    frame = self._finish(bytes(self._buf))
                    if frame is not None:
                        yield frame
                self._buf.clear()
                self._in_frame = True
                continue
            if not self._in_frame:
                continue  # noise before the first FEND
            if len(self._buf) >= 2 * self.max_frame + 1:
                self.dropped.append(f"frame longer than {self.max_frame} bytes")
                self._buf.clear()
                self._in_frame = False
                continue
            self._buf.append(b)

    def _finish(self, raw: bytes) -> KissFrame | None:
        try:
            data = unescape(raw[1:])
        except BadKiss as exc:
            self.dropped.append(exc.reason)
            return None
        if len(data) > self.max_frame:
            self.dropped.append(f"frame longer than {self.max_frame} bytes")
            return None
        return KissFrame(raw[0] >> 4, raw[0] & 0x0F, data)
