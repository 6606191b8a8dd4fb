"""Mutators: byte-level (libFuzzer's repertoire) and structure-aware.

Random bytes rarely get past a canonical decoder, so most mutations here
decode the input (a canonical value, with any trailing bytes such as a
signature kept; or JSON), replace one node of its tree with a near miss or
a hostile value (another type, a boundary integer, a byte string one too
long, a repeated element, a deep nest, a node from another seed), recurse
into byte strings that are themselves canonical values (frames inside a
sequence, messages inside a bundle), and re-encode. The built-in engine
uses ``mutate`` alone; under atheris it is the custom mutator beside
libFuzzer's own, which keeps the coverage guidance.
"""

from __future__ import annotations

import json
import random
from typing import Any

import msgpack

from protocol import canonical
from protocol.errors import ProtocolError

from .target import Target

INTERESTING_INTS = [
    0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 127, 128, 255, 256, 65535, 65536,
    2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**40, 2**53, 2**63 - 1, 2**63, 2**64 - 1,
    -1, -32, -33, -128, -129, -(2**31), -(2**63),
]  # fmt: skip
INTERESTING_BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xCA, 0xCB,
                     0xCC, 0xCF, 0xD0, 0xD3, 0xD9, 0xDC, 0xDD, 0xDE, 0xDF, 0x90, 0x9F, 0x80,
                     0x8F, 0xA0, 0xBF, 0xE0]  # fmt: skip
HOSTILE_TEXT = ["", "\x00", "a" * 300, "é", "\u202e", "\ud7ff", "\U0001f600", "K", "\u212a",
                "0" * 20, "-1", "1e999", " ", "\n", "ck1"]  # fmt: skip


# --- bytes ------------------------------------------------------------------------------


def mutate_bytes(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    """One of libFuzzer's byte mutations."""
    b = bytearray(data)
    op = rng.randrange(11)
    if not b and op not in (2, 3, 9):
        op = 2
    if op == 0:  # flip a bit
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif op == 1:  # an interesting byte
        b[rng.randrange(len(b))] = rng.choice(INTERESTING_BYTES)
    elif op == 2:  # insert bytes
        i = rng.randint(0, len(b))
        n = rng.choice([1, 1, 2, 4, 8, 32, 200])
        b[i:i] = (
            bytes(rng.randrange(256) for _ in range(n))
            if rng.random() < 0.5
            else (bytes([rng.choice(INTERESTING_BYTES)]) * n)
        )
    elif op == 3:  # insert an interesting integer, big or little endian
        i = rng.randint(0, len(b))
        v = rng.choice(INTERESTING_INTS) % 2**64
        size = rng.choice([1, 2, 4, 8])
        b[i:i] = (v % 2 ** (8 * size)).to_bytes(size, rng.choice(["big", "little"]))
    elif op == 4:  # erase a range
        i = rng.randrange(len(b))
        del b[i : i + rng.choice([1, 1, 2, 4, 16, len(b)])]
    elif op == 5:  # duplicate a range
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 64))
        k = rng.randint(0, len(b))
        b[k:k] = b[i:j]
    elif op == 6:  # overwrite a range with another part
        i, k = rng.randrange(len(b)), rng.randrange(len(b))
        n = rng.randint(1, 16)
        b[k : k + n] = b[i : i + n]
    elif op == 7:  # truncate
        del b[rng.randrange(len(b)) :]
    elif op == 8:  # random byte
        b[rng.randrange(len(b))] = rng.randrange(256)
    elif op == 9:  # splice with another seed
        other = rng.choice(corpus) if corpus else b""
        i = rng.randint(0, len(b))
        j = rng.randint(0, len(other))
        b = b[:i] + bytearray(other[j:])
    else:  # shuffle a few bytes
        i = rng.randrange(len(b))
        part = list(b[i : i + rng.randint(2, 8)])
        rng.shuffle(part)
        b[i : i + len(part)] = bytes(part)
    return bytes(b)


# --- canonical values ---------------------------------------------------------------------


def _decode(data: bytes) -> tuple[Any, bytes] | None:
    """A msgpack value at the start of ``data`` and the bytes after it (the
    C unpacker, not the strict decoder: under atheris the packages' own
    code is instrumented, and the mutator should not pay for that)."""
    u = msgpack.Unpacker(raw=False, strict_map_key=False, use_list=False, max_buffer_size=1 << 24)
    try:
        u.feed(data)
        value = u.unpack()
    except Exception:
        return None
    return value, data[u.tell() :]


def _encode(value: Any) -> bytes | None:
    try:
        return canonical.encode(value)
    except ProtocolError:
        try:
            out: bytes = msgpack.packb(value, use_bin_type=True)
            return out
        except Exception:
            return None


def hostile(rng: random.Random, depth: int = 0) -> Any:
    r = rng.randrange(12)
    if r == 0:
        return None
    if r == 1:
        return rng.random() < 0.5
    if r in (2, 3):
        return rng.choice(INTERESTING_INTS)
    if r == 4:
        return rng.randrange(-(2**63), 2**64)
    if r == 5:
        return rng.choice(HOSTILE_TEXT)
    if r in (6, 7):
        n = rng.choice([0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 200])
        return bytes([rng.choice([0, 0xFF, rng.randrange(256)])]) * n
    if r == 8 and depth < 3:
        return tuple(hostile(rng, depth + 1) for _ in range(rng.randint(0, 4)))
    if r == 9 and depth < 3:
        keys = [rng.choice([0, 1, 2, 9, "a", "", "kind"]) for _ in range(rng.randint(0, 3))]
        return {k: hostile(rng, depth + 1) for k in keys}
    if r == 10:  # a nest past the canonical depth limit
        v: Any = None
        for _ in range(rng.choice([8, 9, 12, 40])):
            v = (v,)
        return v
    return b""


def _near(value: Any, rng: random.Random) -> Any:
    """A near miss of ``value``: same type, just out of line."""
    if type(value) is bool:
        return not value
    if type(value) is int:
        return rng.choice([value + 1, value - 1, -value - 1, value + 2**32, 2**64 - 1, 0])
    if type(value) is bytes:
        return rng.choice(
            [None, value[:-1], value + b"\x00", value[::-1], b"", value[:8], value + value]
        )
    if type(value) is str:
        return rng.choice([value + "\x00", value * 50, "", value.upper(), value[:-1]])
    if type(value) is tuple:
        if not value:
            return (hostile(rng),)
        i = rng.randrange(len(value))
        return rng.choice(
            [
                value[:-1],
                value + value[-1:],
                value[::-1],
                (value,),
                value[:i] + value[i + 1 :],
                (*value[:i], value[i], *value[i:]),
                value * 20,
            ]
        )
    if type(value) is dict:
        if not value:
            return {0: hostile(rng)}
        key = rng.choice(list(value))
        out = dict(value)
        if rng.random() < 0.5:
            del out[key]
        else:
            out[rng.choice([0, 99, "x"])] = value[key]
        return out
    return hostile(rng)


def _nodes(value: Any, limit: int = 200) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack and len(out) < limit:
        v = stack.pop()
        out.append(v)
        if type(v) is tuple:
            stack.extend(v)
        elif type(v) is dict:
            stack.extend(v.values())
    return out


def _replace(value: Any, rng: random.Random, corpus_values: list[Any], depth: int) -> Any:
    """``value`` with one node somewhere in its tree replaced."""
    if type(value) is tuple and value and rng.random() < 0.75:
        i = rng.randrange(len(value))
        return (*value[:i], _replace(value[i], rng, corpus_values, depth), *value[i + 1 :])
    if type(value) is dict and value and rng.random() < 0.75:
        key = rng.choice(list(value))
        return {**value, key: _replace(value[key], rng, corpus_values, depth)}
    if type(value) is bytes and value and depth < 3 and rng.random() < 0.6:
        inner = _decode(value)
        if inner is not None and type(inner[0]) in (tuple, dict):
            return mutate_value(value, rng, corpus_values, depth + 1)  # a frame in a frame
    r = rng.random()
    if r < 0.45:
        return _near(value, rng)
    if r < 0.6 and type(value) is bytes:
        return mutate_bytes(value, rng, [])
    if r < 0.8 and corpus_values:
        return rng.choice(_nodes(rng.choice(corpus_values)))  # a node from another seed
    return hostile(rng)


def mutate_value(
    data: bytes, rng: random.Random, corpus_values: list[Any], depth: int = 0
) -> bytes:
    decoded = _decode(data)
    if decoded is None:
        return mutate_bytes(data, rng, [])
    value, tail = decoded
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        value = _replace(value, rng, corpus_values, depth)
    out = _encode(value)
    if out is None:
        return mutate_bytes(data, rng, [])
    if tail and rng.random() < 0.1:
        tail = mutate_bytes(tail, rng, [])
    return out + tail


# --- JSON and text -------------------------------------------------------------------------

HOSTILE_JSON: list[Any] = [None, True, 0, -1, 2**64, 10**400, 1.5, "", "zz", "00" * 32, [], {},
                           [[]], {"": None}, "Infinity", float("inf"), float("nan"), -0.0, 1e308,
                           "\ud800"]  # fmt: skip


NEST = "\x00nest\x00"
"""Where ``mutate_json`` puts a deep nest of arrays."""


def _json_replace(value: Any, rng: random.Random) -> Any:
    if isinstance(value, list) and value and rng.random() < 0.7:
        i = rng.randrange(len(value))
        return [*value[:i], _json_replace(value[i], rng), *value[i + 1 :]]
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(list(value))
        if rng.random() < 0.15:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _json_replace(value[key], rng)}
    r = rng.random()
    if r < 0.1:
        return NEST  # spliced in as text: json.dumps itself cannot nest that deep
    if isinstance(value, str) and r < 0.5:
        return rng.choice([value[:-1], value + "0", value.upper(), value * 3, value[::-1]])
    if isinstance(value, int) and not isinstance(value, bool) and r < 0.5:
        return rng.choice([value + 1, value - 1, -value, value * 2**40])
    return rng.choice(HOSTILE_JSON)


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return mutate_bytes(data, rng, [])
    value = _json_replace(value, rng)
    try:
        text = json.dumps(value)
    except (ValueError, RecursionError):
        return mutate_bytes(data, rng, [])
    depth = rng.choice([40, 1000, 100_000])
    return text.replace(json.dumps(NEST), "[" * depth + "0" + "]" * depth, 1).encode()


def mutate_text(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    i = rng.randint(0, len(text))
    r = rng.randrange(4)
    if r == 0:
        text = text[:i] + rng.choice(HOSTILE_TEXT) + text[i:]
    elif r == 1:
        text = text[:i] + text[i + 1 :]
    elif r == 2 and text:
        j = rng.randrange(len(text))
        text = text[:j] + rng.choice("abcxyz234567ABC01 \t=") + text[j + 1 :]
    else:
        text = text.swapcase() if rng.random() < 0.3 else text[::-1] if rng.random() < 0.1 else text
    return text.encode("utf-8", "surrogatepass")


# --- the one entry point --------------------------------------------------------------------


class Mutator:
    """Mutations for one target, from its seeds."""

    def __init__(self, target: Target, seeds: list[bytes]) -> None:
        self.target = target
        self.seeds = seeds
        self.values = (
            []
            if target.shape != "msgpack"
            else [d[0] for d in map(_decode, seeds[:200]) if d is not None]
        )

    def __call__(self, data: bytes, rng: random.Random, max_size: int = 1 << 20) -> bytes:
        shape = self.target.shape
        for _ in range(rng.choice([1, 1, 2, 3])):
            r = rng.random()
            if shape == "msgpack" and r < 0.6:
                data = mutate_value(data, rng, self.values)
            elif shape == "json" and r < 0.6:
                data = mutate_json(data, rng)
            elif shape == "text" and r < 0.6:
                data = mutate_text(data, rng)
            else:
                data = mutate_bytes(data, rng, self.seeds)
        if self.target.fixup is not None and rng.random() < 0.5:
            data = self.target.fixup(data)
        return data[:max_size]
