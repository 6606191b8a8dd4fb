"""Canonical msgpack: the one byte form of every value Caracol signs.

Theory of operation. A signed message must have exactly one encoding, or two
honest implementations would compute two ids for one message and fork the
log. We therefore use a strict subset of msgpack (spec/encoding.md):

* nil, false, true; integers in [-2**63, 2**64) in their shortest form, with
  non-negative values always in the unsigned forms;
* str (valid UTF-8) and bin, kept distinct, each with its shortest length
  header;
* arrays with their shortest header; maps only with int or str keys, unique
  and sorted by the bytes of their encoding;
* no floats, no extension types, nesting at most ``MAX_DEPTH`` deep.

Decoding takes a fast path through the msgpack C extension (unpack, check the
types, re-pack, compare bytes) and, only when that rejects the input, runs a
strict pure-Python parser to say precisely what was wrong and at which byte
offset. The fast path accepts exactly what the strict parser accepts; a
property test keeps them in agreement.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import msgpack

from .errors import (
    DecodeError,
    ForbiddenType,
    InvalidUtf8,
    LocalProtocolError,
    MapKeyOrder,
    NonCanonical,
    Oversize,
    TooDeep,
    TrailingBytes,
    Truncated,
)

Value: TypeAlias = Any  # None | bool | int | str | bytes | tuple[Value, ...] | dict[Value, Value]

MAX_DEPTH = 8
"""Deepest nesting of arrays/maps accepted anywhere (the envelope itself is depth 1)."""

MAX_BYTES = 65536
"""Largest canonical value decoded at all; message kinds set tighter bounds."""

_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1


def encode(value: Value) -> bytes:
    """Encode a value in canonical form. Raises LocalProtocolError for values
    outside the subset (that is the caller's bug, not a remote fault)."""
    _check_encodable(value, 1)
    return _pack(_sorted_maps(value))


def _sorted_maps(value: Value) -> Value:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _pack(kv[0]))
        return {k: _sorted_maps(v) for k, v in items}
    if isinstance(value, (tuple, list)):
        return tuple(_sorted_maps(v) for v in value)
    return value


def _check_encodable(value: Value, depth: int) -> None:
    if value is None or isinstance(value, (bool, str, bytes)):
        return
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise LocalProtocolError(f"integer {value} outside the encodable range")
        return
    if isinstance(value, (tuple, list, dict)):
        if depth > MAX_DEPTH:
            raise LocalProtocolError(f"nesting deeper than {MAX_DEPTH}")
        if isinstance(value, dict):
            keys = [k for k in value if not isinstance(k, (int, str)) or isinstance(k, bool)]
            if keys:
                raise LocalProtocolError(f"map key {keys[0]!r} is neither int nor str")
            for k, v in value.items():
                _check_encodable(k, depth + 1)
                _check_encodable(v, depth + 1)
        else:
            for v in value:
                _check_encodable(v, depth + 1)
        return
    raise LocalProtocolError(f"type {type(value).__name__} is outside the canonical subset")


_packer = msgpack.Packer(use_bin_type=True, strict_types=False, autoreset=True)


def _pack(value: Value) -> bytes:
    out: bytes = _packer.pack(value)
    return out


def _no_ext(code: int, data: bytes) -> Value:
    raise ForbiddenType(f"extension type {code} is not allowed")


def decode(data: bytes, *, max_bytes: int = MAX_BYTES) -> Value:
    """Decode one canonical value that fills ``data`` exactly.

    Untrusted input: only this package's DecodeError/Oversize can escape.
    Arrays decode to tuples, maps to dicts, bin to bytes, str to str.
    """
    if len(data) > max_bytes:
        raise Oversize(f"{len(data)} bytes exceeds the bound of {max_bytes}", offset=max_bytes)
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            use_list=False,
            strict_map_key=False,
            ext_hook=_no_ext,
            timestamp=0,
        )
        if _fast_ok(value, 1) and _pack(value) == data:
            return value
    except Exception:
        pass
    return _strict_decode(bytes(data))


def _fast_ok(value: Value, depth: int) -> bool:
    t = type(value)
    if t is tuple:
        if depth > MAX_DEPTH:
            return False
        return all(_fast_ok(v, depth + 1) for v in value)
    if t in (bytes, str, int, bool) or value is None:
        return True
    if t is dict:
        if depth > MAX_DEPTH:
            return False
        prev: bytes | None = None
        for k, v in value.items():
            if type(k) not in (int, str):
                return False
            kb = _pack(k)
            if prev is not None and kb <= prev:
                return False
            prev = kb
            if not _fast_ok(v, depth + 1):
                return False
        return True
    return False  # float, ExtType, Timestamp, anything else


# --- the strict parser: slow, exact, and it says where ------------------------


def _strict_decode(data: bytes) -> Value:
    parser = _Strict(data)
    value = parser.value(1, ())
    if parser.pos != len(data):
        raise TrailingBytes(
            f"{len(data) - parser.pos} bytes after the end of the value", offset=parser.pos
        )
    return value


def _path_text(path: tuple[int, ...]) -> str:
    return "".join(f"[{i}]" for i in path) or "$"


class _Strict:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int, path: tuple[int, ...]) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise Truncated(
                f"needs {n} more bytes, only {len(self.data) - self.pos} remain",
                field=_path_text(path),
                offset=self.pos,
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def uint(self, n: int, path: tuple[int, ...]) -> int:
        return int.from_bytes(self.take(n, path), "big")

    def value(self, depth: int, path: tuple[int, ...]) -> Value:
        start = self.pos
        b = self.take(1, path)[0]
        where = _path_text(path)

        def noncanon(what: str) -> NonCanonical:
            return NonCanonical(what, field=where, offset=start)

        if b <= 0x7F:
            return b
        if b >= 0xE0:
            return b - 0x100
        if 0x80 <= b <= 0x8F:
            return self.map(b & 0x0F, depth, path, start)
        if 0x90 <= b <= 0x9F:
            return self.array(b & 0x0F, depth, path, start)
        if 0xA0 <= b <= 0xBF:
            return self.text(b & 0x1F, path, start)
        if b == 0xC0:
            return None
        if b == 0xC2:
            return False
        if b == 0xC3:
            return True
        if b in (0xC4, 0xC5, 0xC6):
            width = {0xC4: 1, 0xC5: 2, 0xC6: 4}[b]
            n = self.uint(width, path)
            if width > 1 and n < (1 << (8 * (width // 2))):
                raise noncanon(f"bin length {n} in a {width}-byte header")
            return self.take(n, path)
        if b in (0xCC, 0xCD, 0xCE, 0xCF):
            width = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[b]
            n = self.uint(width, path)
            if n < 0x80 or (width > 1 and n < (1 << (8 * (width // 2)))):
                raise noncanon(f"unsigned {n} not in its shortest form")
            return n
        if b in (0xD0, 0xD1, 0xD2, 0xD3):
            width = {0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}[b]
            n = int.from_bytes(self.take(width, path), "big", signed=True)
            if n >= 0:
                raise noncanon(f"non-negative {n} in a signed form")
            if n >= -32 or (width > 1 and n >= -(1 << (8 * (width // 2) - 1))):
                raise noncanon(f"negative {n} not in its shortest form")
            return n
        if b in (0xD9, 0xDA, 0xDB):
            width = {0xD9: 1, 0xDA: 2, 0xDB: 4}[b]
            n = self.uint(width, path)
            if (width == 1 and n < 32) or (width > 1 and n < (1 << (8 * (width // 2)))):
                raise noncanon(f"str length {n} in a {width}-byte header")
            return self.text(n, path, start)
        if b in (0xDC, 0xDD):
            width = 2 if b == 0xDC else 4
            n = self.uint(width, path)
            if n < 16 or (width == 4 and n < 0x10000):
                raise noncanon(f"array length {n} in a {width}-byte header")
            return self.array(n, depth, path, start)
        if b in (0xDE, 0xDF):
            width = 2 if b == 0xDE else 4
            n = self.uint(width, path)
            if n < 16 or (width == 4 and n < 0x10000):
                raise noncanon(f"map length {n} in a {width}-byte header")
            return self.map(n, depth, path, start)
        if b in (0xCA, 0xCB):
            raise ForbiddenType("floats are not allowed", field=where, offset=start)
        if b in (0xC7, 0xC8, 0xC9, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8):
            raise ForbiddenType("extension types are not allowed", field=where, offset=start)
        raise ForbiddenType(f"byte 0x{b:02x} is reserved in msgpack", field=where, offset=start)

    def text(self, n: int, path: tuple[int, ...], start: int) -> str:
        raw = self.take(n, path)
        try:
            return raw.decode("utf-8", "strict")
        except UnicodeDecodeError as exc:
            raise InvalidUtf8(
                f"string is not valid UTF-8 ({exc.reason})",
                field=_path_text(path),
                offset=self.pos - n + exc.start,  # after the header, whatever its size
            ) from None

    def array(self, n: int, depth: int, path: tuple[int, ...], start: int) -> tuple[Value, ...]:
        if depth > MAX_DEPTH:
            raise TooDeep(f"nesting deeper than {MAX_DEPTH}", field=_path_text(path), offset=start)
        if n > len(self.data) - self.pos:
            raise Truncated(
                f"array of {n} cannot fit in the remaining bytes",
                field=_path_text(path),
                offset=start,
            )
        return tuple(self.value(depth + 1, (*path, i)) for i in range(n))

    def map(self, n: int, depth: int, path: tuple[int, ...], start: int) -> dict[Value, Value]:
        if depth > MAX_DEPTH:
            raise TooDeep(f"nesting deeper than {MAX_DEPTH}", field=_path_text(path), offset=start)
        if 2 * n > len(self.data) - self.pos:
            raise Truncated(
                f"map of {n} cannot fit in the remaining bytes",
                field=_path_text(path),
                offset=start,
            )
        out: dict[Value, Value] = {}
        prev: bytes | None = None
        for i in range(n):
            kstart = self.pos
            key = self.value(depth + 1, (*path, i))
            if not isinstance(key, (int, str)) or isinstance(key, bool):
                raise ForbiddenType(
                    "map keys must be int or str", field=_path_text((*path, i)), offset=kstart
                )
            kbytes = self.data[kstart : self.pos]
            if prev is not None and kbytes <= prev:
                raise MapKeyOrder(
                    "map keys must be unique and sorted by their encoded bytes",
                    field=_path_text((*path, i)),
                    offset=kstart,
                )
            prev = kbytes
            out[key] = self.value(depth + 1, (*path, i))
        return out


def decode_prefix(data: bytes, *, max_bytes: int = MAX_BYTES) -> tuple[Value, int]:
    """Decode the canonical value at the start of ``data``; return it and its length.

    For framings that put something after a value (the envelope's raw
    signature). Strict parser only: the caller bounds ``data``.
    """
    if len(data) > max_bytes:
        raise Oversize(f"{len(data)} bytes exceeds the bound of {max_bytes}", offset=max_bytes)
    parser = _Strict(bytes(data))
    value = parser.value(1, ())
    return value, parser.pos


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "DecodeError",
    "Value",
    "decode",
    "decode_prefix",
    "encode",
]
