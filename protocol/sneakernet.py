"""Sneakernet codecs (spec/sneakernet.md): a body's signed messages on a USB
stick (a *bundle*) and in the QR codes of a printed notice (*bulletin
codes*). IO-free, below both ``node`` (export, import, verify) and ``mesh``
(LXMF deposits, printed bulletins).

    bundle = canonical ["caracol-bundle", 0, body, heads, [message, ...], digest]
    digest = SHA-256("caracol/0 bundle" 0x00 || body || each message's id, in order)

``heads`` are the exporter's heads when it wrote the bundle, so the next
export to the same place can be incremental (only what is not in their causal
past). The digest catches a truncated or altered file as a whole; each message
is then verified on its own as always, so nothing in a bundle is trusted.

    bulletin code = "CQ" 0x00 || canonical [0, body, index, count, [message, ...]]

Scanned codes arrive in any order and some may be unreadable: each is checked
on its own, the readable ones are used and the others reported.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

from . import canonical
from .envelope import message_id
from .errors import BadBulletinCode, BadBundle, ProtocolError

MAGIC = "caracol-bundle"
VERSION = 0
MAX_BYTES = 512 * 1024 * 1024

CODE_MAGIC = b"CQ\x00"
CODE_VERSION = 0
CODE_BYTES = 1100  # per QR code: version ~25 at ECC level L, easy to print and scan
CODE_MAX_BYTES = 256 * 1024
CODE_MAX_COUNT = 65_535  # codes on one notice: a reader lists those not read


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
        """The bundle in ``data``, or ``BadBundle`` naming why the whole file
        is refused (before any message in it is verified)."""
        try:
            value = canonical.decode(data, max_bytes=MAX_BYTES)
        except ProtocolError as exc:
            raise BadBundle(f"not a Caracol bundle: {exc}") from None
        if type(value) is not tuple or len(value) != 6 or value[0] != MAGIC:
            raise BadBundle("not a Caracol bundle")
        _, version, body, heads, messages, digest = value
        if type(version) is not int or version != VERSION:
            raise BadBundle(f"bundle version {version!r} is not supported", field="version")
        if type(body) is not bytes or len(body) != 32:
            raise BadBundle("the bundle's body id is not 32 bytes", field="body")
        if type(heads) is not tuple or not all(type(h) is bytes and len(h) == 32 for h in heads):
            raise BadBundle("the bundle's heads are not 32-byte ids", field="heads")
        if any(a >= b for a, b in itertools.pairwise(heads)):
            raise BadBundle(
                "the bundle's heads are not in ascending order without repeats", field="heads"
            )
        if type(messages) is not tuple or not all(type(m) is bytes for m in messages):
            raise BadBundle("the bundle's messages are not byte strings", field="messages")
        if digest != _digest(body, messages):
            raise BadBundle(
                "bundle integrity check failed: the file was truncated or altered",
                field="digest",
            )
        return cls(body, heads, messages)


def is_bundle(data: bytes) -> bool:
    return data[:20].find(MAGIC.encode()) != -1


def bulletin_codes(body: bytes, raws: list[bytes]) -> list[bytes]:
    """``raws`` (in replay order) cut into QR payloads of about
    ``CODE_BYTES`` each, numbered ``index`` of ``count``."""
    groups: list[list[bytes]] = [[]]
    size = 0
    for raw in raws:
        if groups[-1] and size + len(raw) + 3 > CODE_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(raw)
        size += len(raw) + 3
    n = len(groups)
    return [
        CODE_MAGIC + canonical.encode((CODE_VERSION, body, i, n, tuple(g)))
        for i, g in enumerate(groups)
    ]


def _code(payload: bytes) -> tuple[bytes, int, int, tuple[bytes, ...]]:
    if not payload.startswith(CODE_MAGIC):
        raise BadBulletinCode("not a Caracol bulletin code")
    value = canonical.decode(payload[len(CODE_MAGIC) :], max_bytes=CODE_MAX_BYTES)
    if type(value) is not tuple or len(value) != 5 or type(value[0]) is not int:
        raise BadBulletinCode("a bulletin code is [0, body, index, count, [message, ...]]")
    if value[0] != CODE_VERSION:
        raise BadBulletinCode("a bulletin code is [0, body, index, count, [message, ...]]")
    _, b, index, total, raws = value
    if type(b) is not bytes or len(b) != 32 or type(index) is not int or type(total) is not int:
        raise BadBulletinCode("bad body id or numbering")
    if total > CODE_MAX_COUNT:
        raise BadBulletinCode(f"a notice of {total} codes: at most {CODE_MAX_COUNT}")
    if not 0 <= index < total or type(raws) is not tuple or not all(type(r) is bytes for r in raws):
        raise BadBulletinCode("bad numbering or messages")
    return b, index, total, raws


def messages_from_payloads(payloads: list[bytes]) -> tuple[bytes, list[bytes], list[str]]:
    """(body id, messages in order, problems). Untrusted: a code that does
    not parse is reported, the rest used; the messages still need verifying.
    ``BadBulletinCode`` when no code is readable."""
    body: bytes | None = None
    parts: dict[int, tuple[bytes, ...]] = {}
    first: dict[int, bytes] = {}
    count = 0
    problems = []
    for n, p in enumerate(payloads):
        try:
            b, index, total, raws = _code(p)
            if body is not None and b != body:
                raise BadBulletinCode("codes of two different bodies")
            if body is not None and total != count:
                raise BadBulletinCode(f"numbered of {total}, the first code read of {count}")
            if index in first and first[index] != p:
                raise BadBulletinCode(f"a second, different code {index + 1} of {count}")
        except ProtocolError as exc:
            problems.append(f"code {n + 1}: {exc}")
            continue
        body, count = b, total
        first.setdefault(index, p)
        parts[index] = raws
    if body is None:
        raise BadBulletinCode("no readable Caracol bulletin code: " + "; ".join(problems))
    missing = [i + 1 for i in range(count) if i not in parts]
    if missing:
        problems.append(f"codes {missing} of {count} were not read")
    return body, [r for i in sorted(parts) for r in parts[i]], problems
