"""Sneakernet bundles: a body's signed messages on a USB stick.

    bundle = canonical ["caracol-bundle", 0, body, heads, [message, ...], digest]
    digest = SHA-256("caracol/0 bundle" 0x00 || body || each message's id, in order)

``heads`` are the exporter's heads when it wrote the bundle, so the next
export to the same place can be incremental (only what is not in their causal
past). The digest catches a truncated or altered file as a whole; each message
is then verified on its own as always, so nothing in a bundle is trusted.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

from protocol import canonical
from protocol.envelope import message_id
from protocol.errors import ProtocolError

from .errors import BadFrame

MAGIC = "caracol-bundle"
VERSION = 0
MAX_BYTES = 512 * 1024 * 1024


def _digest(body: bytes, messages: tuple[bytes, ...]) -> bytes:
    h = hashlib.sha256(b"caracol/0 bundle\x00" + body)
    for m in messages:
        h.update(message_id(m))
    return h.digest()


@dataclass(frozen=True, slots=True)
class Bundle:
    body: bytes
    heads: tuple[bytes, ...]
    messages: tuple[bytes, ...]

    def encode(self) -> bytes:
        return canonical.encode(
            (
                MAGIC,
                VERSION,
                self.body,
                tuple(sorted(self.heads)),
                self.messages,
                _digest(self.body, self.messages),
            )
        )

    @classmethod
    def decode_untrusted(cls, data: bytes) -> Bundle:
        try:
            value = canonical.decode(data, max_bytes=MAX_BYTES)
        except ProtocolError as exc:
            raise BadFrame(f"not a Caracol bundle: {exc}") from None
        if type(value) is not tuple or len(value) != 6 or value[0] != MAGIC:
            raise BadFrame("not a Caracol bundle")
        _, version, body, heads, messages, digest = value
        if type(version) is not int or version != VERSION:
            raise BadFrame(f"bundle version {version!r} is not supported")
        if type(body) is not bytes or len(body) != 32:
            raise BadFrame("the bundle's body id is not 32 bytes")
        if type(heads) is not tuple or not all(type(h) is bytes and len(h) == 32 for h in heads):
            raise BadFrame("the bundle's heads are not 32-byte ids")
        if any(a >= b for a, b in itertools.pairwise(heads)):
            raise BadFrame("the bundle's heads are not in ascending order without repeats")
        if type(messages) is not tuple or not all(type(m) is bytes for m in messages):
            raise BadFrame("the bundle's messages are not byte strings")
        if digest != _digest(body, messages):
            raise BadFrame("bundle integrity check failed: the file was truncated or altered")
        return cls(body, heads, messages)


def is_bundle(data: bytes) -> bool:
    return data[:20].find(MAGIC.encode()) != -1
