"""The compact frame codec for radio links (spec/mesh.md).

Every frame starts with one header byte (high nibble: version 0; low
nibble: type) and is parsed as untrusted input: a bad frame raises a
``RemoteMeshError`` subclass, which the driver records and drops.

    MSG        0x01  ctx[4] flags[1] body        one message (full or abbreviated)
    FRAG       0x02  tag[6] index[1] count[1] chunk   a piece of a MSG frame too big for the MTU
    FRAG_REQ   0x03  tag[6] count[1] bitmap     the pieces still missing
    SYNC       0x04  ctx[4] session[4] from[4] to[4] turn[1] part[1] parts[1] frame
                                            a reconciliation frame (crdt.reconcile)
    EXPAND_REQ 0x05  ctx[4] handle[8]           "send me the full form of that one"
    OBJECT     0x06  ctx[4] what[1] data        a verdict attestation (1) or full proof (2)
    WANT       0x07  ctx[4] from[4] to[4] count[1] prefix[8] x count
                                            "send me these messages you offered"
    OFFER      0x08  ctx[4] from[4] to[4] count[1] prefix[8] x count
                                            "I have sent you these messages"

``ctx`` is the first 4 bytes of the body id (which body a frame belongs to);
``tag`` is the first 6 bytes of SHA-256 of the whole MSG frame, checked after
reassembly; ``handle`` the first 8 bytes of SHA-256 of an abbreviated body.
A SYNC frame names its session (chosen by the station that opened it) and
the two stations (4-byte ids), so a station on a shared channel ignores
sessions addressed to others; then the turn it belongs to (the opener's
turns even, the answerer's odd) and which of the turn's ``parts`` frames it
is, so a lost frame can be asked for again. Two special forms: ``to`` =
00000000 with session 00000000 and nothing after ``to`` (17 bytes) is an
announcement, "station ``from`` reconciles this body"; ``parts`` = 0 is a
NACK, "resend these parts of turn ``turn``": ``part`` is the turn's part
count as heard and the frame a bitmap of the missing parts.

A WANT asks station ``to`` for the messages of body ``ctx`` whose ids start
with the ``count`` (1..255, as many as the MTU holds) 8-byte prefixes:
those it offered in a session that did not arrive. It names no session (it
outlives the session that offered them) but both stations, so third
parties ignore it and the answerer knows whom it sends for. An OFFER, the
same layout, follows the history a station sends after a session ("these
are the messages I just sent you"): the receiver learns the ids of what it
lacked even when it did not hear them listed, and can WANT the lost ones.

Abbreviation replaces what the receiver can rebuild: the author by its index
in the body's roster (sorted member keys both sides hold) and each parent
id by its first 8 bytes. The receiver rebuilds the exact signed bytes and
verifies them like any message; if it cannot (unknown index, unknown or
ambiguous prefix) it asks for the full form (EXPAND_REQ). Compression
(zlib) is applied to a MSG body only when it makes the frame smaller.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from protocol import canonical
from protocol.envelope import SIGNATURE_BYTES
from protocol.errors import ProtocolError

from .errors import BadFrame, LocalMeshError, MeshError, Unexpandable

VERSION = 0
CTX = 4
TAG = 6
HANDLE = 8
PREFIX = 8
STATION = 4
SESSION = 4
BROADCAST = bytes(STATION)  # ``to`` of an announcement; never a station's id
ANNOUNCEMENT = 1 + CTX + SESSION + 2 * STATION  # an announcement's whole length (17)
SYNC_OVERHEAD = ANNOUNCEMENT + 3  # bytes before the session frame (20): turn, part, parts
MAX_PARTS = 255  # frames in one turn
WANT_OVERHEAD = 1 + CTX + 2 * STATION + 1  # a WANT's bytes before its prefixes (14)
MAX_WANT = 255  # prefixes in one WANT (its count is one byte)
FLAG_ZLIB = 0x01
FLAG_ABBREV = 0x02


class FrameType(IntEnum):
    MSG = 1
    FRAG = 2
    FRAG_REQ = 3
    SYNC = 4
    EXPAND_REQ = 5
    OBJECT = 6
    WANT = 7
    OFFER = 8


class ObjectKind(IntEnum):
    ATTESTATION = 1
    FULL_PROOF = 2


@dataclass(frozen=True, slots=True)
class Msg:
    ctx: bytes
    body: bytes  # message raw bytes, or the abbreviated form
    abbreviated: bool


@dataclass(frozen=True, slots=True)
class Frag:
    tag: bytes
    index: int
    count: int
    chunk: bytes


@dataclass(frozen=True, slots=True)
class FragReq:
    tag: bytes
    missing: tuple[int, ...]
    count: int


@dataclass(frozen=True, slots=True)
class Sync:
    """Part ``part`` of ``parts`` of turn ``turn`` of ``session``, a reconciliation
    frame from station ``sender`` to station ``receiver``.

    Two special forms: an announcement when ``receiver`` is ``BROADCAST``
    (then ``session``, ``turn``, ``part`` and ``parts`` are zero and ``frame``
    empty: see ``announcement``), and a NACK when ``parts`` is 0 ("resend the
    parts of turn ``turn`` whose bits are set in ``frame``"; ``part`` is the
    turn's part count as heard: see ``nack``)."""

    ctx: bytes
    session: bytes
    sender: bytes
    receiver: bytes
    turn: int
    part: int
    parts: int
    frame: bytes

    @property
    def announcement(self) -> bool:
        return self.receiver == BROADCAST

    @property
    def is_nack(self) -> bool:
        return self.parts == 0 and not self.announcement

    @property
    def missing(self) -> tuple[int, ...]:
        """The parts a NACK asks for (empty for other frames)."""
        if not self.is_nack:
            return ()
        return tuple(i for i in range(self.part) if self.frame[i // 8] >> (i % 8) & 1)


def announcement(ctx: bytes, sender: bytes) -> Sync:
    """ "Station ``sender`` reconciles body ``ctx``." """
    return Sync(ctx, bytes(SESSION), sender, BROADCAST, 0, 0, 0, b"")


def nack(
    ctx: bytes,
    session: bytes,
    sender: bytes,
    receiver: bytes,
    turn: int,
    count: int,
    missing: Iterable[int],
) -> Sync:
    """ "Resend these parts of turn ``turn`` (of ``count`` parts)." """
    bitmap = bytearray((count + 7) // 8)
    for i in missing:
        if not 0 <= i < count:
            raise LocalMeshError(f"part {i} is not one of {count}")
        bitmap[i // 8] |= 1 << (i % 8)
    return Sync(ctx, session, sender, receiver, turn, count, 0, bytes(bitmap))


@dataclass(frozen=True, slots=True)
class ExpandReq:
    ctx: bytes
    handle: bytes


@dataclass(frozen=True, slots=True)
class Object:
    ctx: bytes
    what: ObjectKind
    data: bytes


@dataclass(frozen=True, slots=True)
class Want:
    """ "Station ``receiver``: send station ``sender`` the messages of body
    ``ctx`` whose ids start with these prefixes" (8 bytes each, distinct);
    with ``offer``, an OFFER: "station ``sender`` has sent station
    ``receiver`` the messages with these prefixes"."""

    ctx: bytes
    sender: bytes
    receiver: bytes
    prefixes: tuple[bytes, ...]
    offer: bool = False

    @property
    def name(self) -> str:
        return "OFFER" if self.offer else "WANT"


def want_capacity(mtu: int) -> int:
    """How many prefixes one WANT of at most ``mtu`` bytes carries (27 at 233)."""
    return max(0, min(MAX_WANT, (mtu - WANT_OVERHEAD) // PREFIX))


def wants(
    ctx: bytes,
    sender: bytes,
    receiver: bytes,
    ids: Iterable[bytes],
    mtu: int,
    *,
    offer: bool = False,
) -> list[bytes]:
    """WANT (or OFFER) frames of at most ``mtu`` bytes naming ``ids`` (by
    prefix, each once)."""
    room = want_capacity(mtu)
    if room < 1:
        raise LocalMeshError(f"an MTU of {mtu} cannot carry a WANT")
    prefixes = list(dict.fromkeys(m[:PREFIX] for m in ids))
    return [
        encode(Want(ctx, sender, receiver, tuple(prefixes[i : i + room]), offer))
        for i in range(0, len(prefixes), room)
    ]


Frame = Msg | Frag | FragReq | Sync | ExpandReq | Object | Want


def _hdr(t: FrameType) -> bytes:
    return bytes([(VERSION << 4) | int(t)])


def encode_msg(ctx: bytes, body: bytes, *, abbreviated: bool = False) -> bytes:
    if len(ctx) != CTX:
        raise LocalMeshError("a frame context is the first 4 bytes of the body id")
    flags = FLAG_ABBREV if abbreviated else 0
    packed = zlib.compress(body, 9)
    if len(packed) < len(body):
        return _hdr(FrameType.MSG) + ctx + bytes([flags | FLAG_ZLIB]) + packed
    return _hdr(FrameType.MSG) + ctx + bytes([flags]) + body


def encode(frame: Frame) -> bytes:
    if isinstance(frame, Msg):
        return encode_msg(frame.ctx, frame.body, abbreviated=frame.abbreviated)
    if isinstance(frame, Frag):
        return _hdr(FrameType.FRAG) + frame.tag + bytes([frame.index, frame.count]) + frame.chunk
    if isinstance(frame, FragReq):
        bitmap = bytearray((frame.count + 7) // 8)
        for i in frame.missing:
            bitmap[i // 8] |= 1 << (i % 8)
        return _hdr(FrameType.FRAG_REQ) + frame.tag + bytes([frame.count]) + bytes(bitmap)
    if isinstance(frame, Sync):
        _check_sync(frame, LocalMeshError)
        head = _hdr(FrameType.SYNC) + frame.ctx + frame.session + frame.sender + frame.receiver
        if frame.announcement:
            return head
        return head + bytes([frame.turn, frame.part, frame.parts]) + frame.frame
    if isinstance(frame, Object):
        packed = zlib.compress(frame.data, 9)
        flag, data = (0x80, packed) if len(packed) < len(frame.data) else (0, frame.data)
        return _hdr(FrameType.OBJECT) + frame.ctx + bytes([int(frame.what) | flag]) + data
    if isinstance(frame, Want):
        _check_want(frame, LocalMeshError)
        return (
            _hdr(FrameType.OFFER if frame.offer else FrameType.WANT)
            + frame.ctx
            + frame.sender
            + frame.receiver
            + bytes([len(frame.prefixes)])
            + b"".join(frame.prefixes)
        )
    return _hdr(FrameType.EXPAND_REQ) + frame.ctx + frame.handle


MAX_INFLATED = 32 * 1024


_AT_SESSION = 1 + CTX
_AT_FROM = _AT_SESSION + SESSION
_AT_TURN = ANNOUNCEMENT
_AT_PART = _AT_TURN + 1
_AT_PARTS = _AT_TURN + 2


def _check_sync(sync: Sync, error: type[MeshError]) -> None:
    """The rules of spec/mesh.md, "Frames", for a SYNC frame (offsets are those
    of the encoded frame)."""
    lengths = (len(sync.ctx), len(sync.session), len(sync.sender), len(sync.receiver))
    if lengths != (CTX, SESSION, STATION, STATION):
        raise error("SYNC names ctx[4] session[4] from[4] to[4]")
    if sync.sender == BROADCAST:
        raise error("station 00000000 is reserved for announcements", offset=_AT_FROM)
    if sync.announcement:
        if sync.session != bytes(SESSION) or sync.frame or sync.turn or sync.part or sync.parts:
            raise error("an announcement has session 0 and nothing after to", offset=_AT_SESSION)
        return
    if sync.session == bytes(SESSION):
        raise error("a session frame has a non-zero session", offset=_AT_SESSION)
    if not all(0 <= n <= 255 for n in (sync.turn, sync.part, sync.parts)):
        raise error("turn, part and parts are single bytes", offset=_AT_TURN)
    if sync.parts == 0:  # a NACK
        count = sync.part
        if count == 0:
            raise error("a NACK names the part count of the turn it asks for", offset=_AT_PART)
        if len(sync.frame) != (count + 7) // 8:
            raise error(
                f"a NACK's bitmap is {(count + 7) // 8} bytes for {count} parts",
                offset=SYNC_OVERHEAD,
            )
        if count % 8 and sync.frame[-1] >> (count % 8):
            raise error("a NACK's bitmap names a part past the count", offset=SYNC_OVERHEAD)
        if not any(sync.frame):
            raise error("a NACK names at least one missing part", offset=SYNC_OVERHEAD)
        return
    if sync.part >= sync.parts:
        raise error(f"part {sync.part} of {sync.parts} is impossible", offset=_AT_PART)
    if not sync.frame:
        raise error("a session frame carries a reconciliation frame", offset=SYNC_OVERHEAD)


_AT_WANT_FROM = 1 + CTX
_AT_WANT_TO = _AT_WANT_FROM + STATION
_AT_WANT_COUNT = _AT_WANT_TO + STATION


def _check_want(want: Want, error: type[MeshError]) -> None:
    """The rules of spec/mesh.md, "Frames", for a WANT or OFFER frame."""
    name = want.name
    an = "an" if want.offer else "a"
    if (len(want.ctx), len(want.sender), len(want.receiver)) != (CTX, STATION, STATION):
        raise error(f"{name} names ctx[4] from[4] to[4]")
    if want.sender == BROADCAST:
        raise error(f"{an} {name} is from a station, not 00000000", offset=_AT_WANT_FROM)
    if want.receiver == BROADCAST:
        raise error(f"{an} {name} is addressed to a station, not 00000000", offset=_AT_WANT_TO)
    if not 1 <= len(want.prefixes) <= MAX_WANT:
        raise error(
            f"{an} {name} names 1 to {MAX_WANT} prefixes, not {len(want.prefixes)}",
            offset=_AT_WANT_COUNT,
        )
    if any(len(p) != PREFIX for p in want.prefixes):
        raise error(f"{an} {name}'s prefixes are 8 bytes", offset=WANT_OVERHEAD)
    if len(set(want.prefixes)) != len(want.prefixes):
        seen: set[bytes] = set()
        for i, p in enumerate(want.prefixes):
            if p in seen:
                raise error(
                    f"{an} {name} names prefix {p.hex()} twice", offset=WANT_OVERHEAD + i * PREFIX
                )
            seen.add(p)


def decode_untrusted(data: bytes) -> Frame:
    """Parse one frame from the air. Only ``RemoteMeshError`` escapes."""
    if not data:
        raise BadFrame("empty frame")
    version, t = data[0] >> 4, data[0] & 0x0F
    if version != VERSION:
        raise BadFrame(f"frame version {version} is not supported", offset=0)
    try:
        ftype = FrameType(t)
    except ValueError:
        raise BadFrame(f"unknown frame type {t}", offset=0) from None
    return _DECODERS[ftype](data, ftype)


def _inflate_untrusted(body: bytes, limit: int, what: str) -> bytes:
    """A zlib-compressed body, whole and within ``limit`` bytes."""
    try:
        d = zlib.decompressobj()
        body = d.decompress(body, limit)
        if d.unconsumed_tail or not d.eof:
            raise BadFrame(f"compressed {what} is truncated or inflates past the limit")
        if d.unused_data:
            raise BadFrame(f"compressed {what} has bytes after the end of its zlib stream")
    except zlib.error as exc:
        raise BadFrame(f"compressed {what} is corrupt: {exc}") from None
    return body


def _msg_untrusted(data: bytes, ftype: FrameType) -> Msg:
    rest = data[1:]
    if len(rest) < CTX + 2:
        raise BadFrame("MSG frame too short", offset=len(data))
    ctx, flags, body = rest[:CTX], rest[CTX], rest[CTX + 1 :]
    if flags & ~(FLAG_ZLIB | FLAG_ABBREV):
        raise BadFrame(f"unknown MSG flags 0x{flags:02x}", offset=1 + CTX)
    if flags & FLAG_ZLIB:
        body = _inflate_untrusted(body, MAX_INFLATED, "body")
    return Msg(ctx, body, bool(flags & FLAG_ABBREV))


def _frag_untrusted(data: bytes, ftype: FrameType) -> Frag:
    rest = data[1:]
    if len(rest) < TAG + 3:
        raise BadFrame("FRAG frame too short", offset=len(data))
    index, count = rest[TAG], rest[TAG + 1]
    if count < 2 or index >= count:
        raise BadFrame(f"fragment {index} of {count} is impossible", offset=1 + TAG)
    return Frag(rest[:TAG], index, count, rest[TAG + 2 :])


def _frag_req_untrusted(data: bytes, ftype: FrameType) -> FragReq:
    rest = data[1:]
    if len(rest) < TAG + 1:
        raise BadFrame("FRAG_REQ frame too short", offset=len(data))
    count = rest[TAG]
    bitmap = rest[TAG + 1 :]
    if count < 2 or len(bitmap) != (count + 7) // 8:
        raise BadFrame("FRAG_REQ bitmap does not match the fragment count", offset=1 + TAG)
    missing = tuple(i for i in range(count) if bitmap[i // 8] >> (i % 8) & 1)
    return FragReq(rest[:TAG], missing, count)


def _sync_untrusted(data: bytes, ftype: FrameType) -> Sync:
    rest = data[1:]
    if len(data) < ANNOUNCEMENT:
        raise BadFrame("SYNC frame too short", offset=len(data))
    i, j, k = CTX, CTX + SESSION, CTX + SESSION + STATION
    m = k + STATION
    ctx, session, sender, receiver = rest[:i], rest[i:j], rest[j:k], rest[k:m]
    if receiver == BROADCAST and sender != BROADCAST:
        if len(data) != ANNOUNCEMENT:
            raise BadFrame("an announcement has nothing after to", offset=ANNOUNCEMENT)
        sync = Sync(ctx, session, sender, receiver, 0, 0, 0, b"")
    else:
        if receiver != BROADCAST and len(data) < SYNC_OVERHEAD:
            raise BadFrame("SYNC session frame too short", offset=len(data))
        turn, part, parts = (data[_AT_TURN : _AT_TURN + 3] + bytes(3))[:3]
        sync = Sync(ctx, session, sender, receiver, turn, part, parts, data[SYNC_OVERHEAD:])
    _check_sync(sync, BadFrame)
    return sync


def _object_untrusted(data: bytes, ftype: FrameType) -> Object:
    rest = data[1:]
    if len(rest) < CTX + 2:
        raise BadFrame("OBJECT frame too short", offset=len(data))
    what, body = rest[CTX], rest[CTX + 1 :]
    try:
        kind = ObjectKind(what & 0x7F)
    except ValueError:
        raise BadFrame(f"unknown object kind {what & 0x7F}", offset=1 + CTX) from None
    if what & 0x80:
        body = _inflate_untrusted(body, 1 << 20, "object")
    return Object(rest[:CTX], kind, body)


def _want_untrusted(data: bytes, ftype: FrameType) -> Want:
    """A WANT or an OFFER frame (the same layout)."""
    name = ftype.name
    an = "an" if ftype == FrameType.OFFER else "a"
    if len(data) < WANT_OVERHEAD:
        raise BadFrame(f"{name} frame too short", offset=len(data))
    count = data[_AT_WANT_COUNT]
    if count == 0:
        raise BadFrame(f"{an} {name} names at least one prefix", offset=_AT_WANT_COUNT)
    if len(data) != WANT_OVERHEAD + count * PREFIX:
        raise BadFrame(
            f"{an} {name} of count {count} is {WANT_OVERHEAD + count * PREFIX} bytes, "
            f"not {len(data)}",
            offset=_AT_WANT_COUNT,
        )
    at = WANT_OVERHEAD
    prefixes = tuple(data[at + i * PREFIX : at + (i + 1) * PREFIX] for i in range(count))
    want = Want(
        data[1:_AT_WANT_FROM],
        data[_AT_WANT_FROM:_AT_WANT_TO],
        data[_AT_WANT_TO:_AT_WANT_COUNT],
        prefixes,
        ftype == FrameType.OFFER,
    )
    _check_want(want, BadFrame)
    return want


def _expand_req_untrusted(data: bytes, ftype: FrameType) -> ExpandReq:
    rest = data[1:]
    if len(rest) != CTX + HANDLE:
        raise BadFrame("EXPAND_REQ is exactly 12 bytes after the header", offset=len(data))
    return ExpandReq(rest[:CTX], rest[CTX:])


_DECODERS: dict[FrameType, Callable[[bytes, FrameType], Frame]] = {
    FrameType.MSG: _msg_untrusted,
    FrameType.FRAG: _frag_untrusted,
    FrameType.FRAG_REQ: _frag_req_untrusted,
    FrameType.SYNC: _sync_untrusted,
    FrameType.OBJECT: _object_untrusted,
    FrameType.WANT: _want_untrusted,
    FrameType.OFFER: _want_untrusted,
    FrameType.EXPAND_REQ: _expand_req_untrusted,
}
"""The parser of each frame type (the frame whole, and its type)."""


# --- abbreviation -----------------------------------------------------------------


@dataclass
class Context:
    """What both ends of a link know about one body.

    ``ids`` and ``raw_of`` make the body reconciled over the link (SYNC):
    ``ids()`` yields the ids this side holds, parents before children (a
    log's insertion or replay order), and ``raw_of(id)`` the signed bytes of
    a held message (None when not held). Without them the body's messages
    still travel, but no session is opened or answered for it."""

    body: bytes
    roster: Sequence[bytes]  # member keys, sorted
    lookup_prefix: Callable[[bytes], list[bytes]]  # ids starting with a prefix
    ids: Callable[[], Iterable[bytes]] | None = None
    raw_of: Callable[[bytes], bytes | None] | None = None

    @property
    def ctx(self) -> bytes:
        return self.body[:CTX]


def abbreviate(raw: bytes, context: Context) -> bytes:
    """The abbreviated form of a message (falls back to the full author or
    parent where the roster or prefix would not be unique)."""
    try:
        content = canonical.decode(raw[:-SIGNATURE_BYTES])
    except ProtocolError as exc:
        raise LocalMeshError(f"not a message: {exc}") from None
    kind, author, parents, seq, time, payload = content
    roster = list(context.roster)
    who: int | bytes = roster.index(author) if author in roster else author
    short = tuple(p[:PREFIX] if len(context.lookup_prefix(p[:PREFIX])) == 1 else p for p in parents)
    return canonical.encode((kind, who, short, seq, time, payload)) + raw[-SIGNATURE_BYTES:]


def expand_untrusted(abbrev: bytes, context: Context) -> bytes:
    """Rebuild the exact signed bytes; the caller then verifies them."""
    if len(abbrev) <= SIGNATURE_BYTES:
        raise BadFrame("abbreviated message too short")
    try:
        value = canonical.decode(abbrev[:-SIGNATURE_BYTES])
    except ProtocolError as exc:
        raise BadFrame(f"abbreviated message is not canonical: {exc}") from None
    if type(value) is not tuple or len(value) != 6 or type(value[2]) is not tuple:
        raise BadFrame("abbreviated message has the wrong shape")
    kind, who, short, seq, time, payload = value
    if type(who) is int:
        if not 0 <= who < len(context.roster):
            raise Unexpandable(f"author index {who} is not in the roster of {len(context.roster)}")
        author = context.roster[who]
    elif type(who) is bytes and len(who) == 32:
        author = who
    else:
        raise BadFrame("author is an index or a 32-byte key")
    parents = []
    for p in short:
        if type(p) is not bytes:
            raise BadFrame("a parent is bytes")
        if len(p) == 32:
            parents.append(p)
            continue
        if len(p) != PREFIX:
            raise BadFrame(f"a parent is an 8-byte prefix or a 32-byte id, not {len(p)} bytes")
        found = context.lookup_prefix(p)
        if len(found) != 1:
            raise Unexpandable(
                f"parent prefix {p.hex()} matches {len(found)} messages here; ask for the full form"
            )
        parents.append(found[0])
    return (
        canonical.encode((kind, author, tuple(parents), seq, time, payload))
        + abbrev[-SIGNATURE_BYTES:]
    )


def handle_of(abbrev: bytes) -> bytes:
    return hashlib.sha256(abbrev).digest()[:HANDLE]


# --- fragmentation ------------------------------------------------------------------


def fragment(frame: bytes, mtu: int) -> list[bytes]:
    """Split a MSG or OBJECT frame into FRAG frames of at most ``mtu`` bytes (or return
    it whole when it fits)."""
    if len(frame) <= mtu:
        return [frame]
    room = mtu - (1 + TAG + 2)
    if room < 16:
        raise LocalMeshError(f"an MTU of {mtu} cannot carry fragments")
    tag = hashlib.sha256(frame).digest()[:TAG]
    chunks = [frame[i : i + room] for i in range(0, len(frame), room)]
    if len(chunks) > 255:
        raise LocalMeshError("a message of more than 255 fragments: send it another way")
    return [encode(Frag(tag, i, len(chunks), c)) for i, c in enumerate(chunks)]


@dataclass
class _Partial:
    count: int
    chunks: dict[int, bytes]
    started: float
    requested: float
    attempts: int = 0


@dataclass
class Reassembler:
    """Collects fragments; asks again only for the missing ones."""

    timeout: float = 30.0
    give_up: float = 6 * 3600.0  # radio links under a duty cycle are slow
    max_partial: int = 64
    _partial: OrderedDict[bytes, _Partial] = field(default_factory=OrderedDict)
    dropped: list[str] = field(default_factory=list)

    def receive(self, frag: Frag, now: float) -> bytes | None:
        p = self._partial.get(frag.tag)
        if p is None:
            p = _Partial(frag.count, {}, now, now)
            self._partial[frag.tag] = p
            while len(self._partial) > self.max_partial:
                old, _ = self._partial.popitem(last=False)
                self.dropped.append(f"gave up on {old.hex()}: too many partial messages")
        if frag.count != p.count:
            self.dropped.append(f"fragment count changed for {frag.tag.hex()}")
            return None
        if frag.index not in p.chunks:
            p.attempts = 0  # progress: ask again soon if more is missing
        p.chunks[frag.index] = frag.chunk
        if len(p.chunks) < p.count:
            return None
        del self._partial[frag.tag]
        whole = b"".join(p.chunks[i] for i in range(p.count))
        if hashlib.sha256(whole).digest()[:TAG] != frag.tag:
            self.dropped.append(f"reassembled {frag.tag.hex()} does not match its tag")
            return None
        return whole

    def requests(self, now: float, wait: float) -> list[bytes]:
        """FRAG_REQ frames for partial messages idle for ``wait`` seconds."""
        out = []
        for tag, p in list(self._partial.items()):
            if now - p.started > self.give_up:
                del self._partial[tag]
                self.dropped.append(f"gave up on {tag.hex()} after {now - p.started:.0f} s")
                continue
            # back off: on a duty-cycled link the answer may wait its turn
            if now - p.requested >= min(wait * 2**p.attempts, 3600.0):
                missing = tuple(i for i in range(p.count) if i not in p.chunks)
                out.append(encode(FragReq(tag, missing, p.count)))
                p.requested = now
                p.attempts += 1
        return out


@dataclass
class Fragmenter:
    """Remembers recent fragments so a FRAG_REQ can be answered."""

    mtu: int
    keep: int = 64
    _sent: OrderedDict[bytes, list[bytes]] = field(default_factory=OrderedDict)

    def split(self, frame: bytes) -> list[bytes]:
        frags = fragment(frame, self.mtu)
        if len(frags) > 1:
            tag = frags[0][1 : 1 + TAG]
            self._sent[tag] = frags
            while len(self._sent) > self.keep:
                self._sent.popitem(last=False)
        return frags

    def resend(self, req: FragReq) -> list[bytes]:
        frags = self._sent.get(req.tag)
        if frags is None or len(frags) != req.count:
            return []
        return [frags[i] for i in req.missing if i < len(frags)]
