"""What a fuzz target is, and the helpers the target modules share.

A target takes arbitrary bytes to one parser of untrusted input and lets
out only the errors that parser is allowed to raise (the package's own
remote errors, or nothing at all where the caller must never see one);
any other exception is an *escape*, a bug. Its seeds are valid inputs
(spec/vectors, or built with the test helpers) so that mutation starts
from structure and gets past the first length check.

Many targets take a *sequence* of frames (a gossip link, a radio link, a
reconciliation session): their input is a canonical array of bin (see
``pack_frames``), which the mutators treat like any other canonical value,
down into each frame; input that is not such an array is one frame.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol import canonical
from protocol.errors import ProtocolError

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "vectors"
MAX_FRAMES = 16
"""Frames of a sequence target taken from one input (the rest are ignored)."""


@dataclass(frozen=True)
class Target:
    """One untrusted entry point.

    ``run(data)`` feeds ``data`` to the parser and returns normally when it
    was accepted or refused with an allowed error; ``seeds()`` are valid
    inputs. ``shape`` tells the mutators how the input is structured:
    ``msgpack`` (a canonical value, possibly an array of frames), ``json``,
    ``text`` or ``bytes``. ``fixup``, when given, repairs what a mutation
    breaks but the parser checks first (a digest, a checksum), so the
    mutation reaches the checks behind it; the mutators apply it to half of
    their outputs."""

    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]
    about: str
    shape: str = "msgpack"
    fixup: Callable[[bytes], bytes] | None = None


def vectors(name: str) -> Any:
    return json.loads((VECTORS / f"{name}.json").read_text())


_BUILT: list[Any] = []


def once(fn: Callable[[], Any]) -> Callable[[], Any]:
    """A target's set-up, built on first use (not at import: a run of one
    target does not build every other's) and kept until ``reset``."""
    cached = functools.cache(fn)
    _BUILT.append(cached)
    return cached


def reset() -> None:
    """Drop every built set-up, closing those that hold resources (a
    database, an event loop, a temporary folder)."""
    for cached in _BUILT:
        if cached.cache_info().currsize:
            value = cached()
            close = getattr(value, "close", None)
            if callable(close):
                close()
            cached.cache_clear()


def pack_frames(frames: list[bytes]) -> bytes:
    return canonical.encode(tuple(frames))


def unpack_frames(data: bytes) -> list[bytes]:
    """The frames of a sequence input: a canonical array of bin, or else
    the input itself as one frame."""
    try:
        value = canonical.decode(data, max_bytes=1 << 20)
    except ProtocolError:
        return [data]
    if type(value) is tuple and value and all(type(f) is bytes for f in value):
        return list(value[:MAX_FRAMES])
    return [data]


def text_of(data: bytes) -> str:
    return data.decode("utf-8", "replace")
