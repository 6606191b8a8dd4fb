"""Signed envelopes: the one byte form of a message, its id and its signature.

Wire form (spec/envelope.md)::

    message = content || signature            (signature: 64 raw bytes)
    content = canonical array [kind, author, parents, seq, time, payload]
    signed  = "caracol/0 message" 0x00 || body || content
    id      = SHA-256(message)

The body id is *signed but not sent*: every message travels in the context
of one body (a sync session, a bundle, an API path, a verdict proof), so
sending 34 more bytes per message would buy nothing, and a message signed
for one body never verifies in another. A GENESIS message founds a body:
it is signed with 32 zero bytes as its body, and its id becomes the body id.

``decode_untrusted`` checks form (canonical bytes, schema, bounds) but not
the signature; ``verify`` checks the signature; ``open_untrusted`` does both.
Splitting them lets a node decode once and verify in a batch, and lets the
mesh codec rebuild exact bytes before verification.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, TypeVar

import nacl.bindings
import nacl.exceptions

from . import canonical
from .errors import (
    BadSignature,
    DecodeError,
    LocalProtocolError,
    NotSorted,
    OutOfRange,
    Oversize,
    ProtocolError,
    Truncated,
    WrongLength,
    WrongType,
)
from .kinds import ID, KEY, Kind, Payload, payload_from_wire
from .schema import List, UInt

P = TypeVar("P", bound=Payload)

SIGN_DOMAIN = b"caracol/0 message\x00"
GENESIS_CONTEXT = bytes(32)
SIGNATURE_BYTES = 64
MAX_MESSAGE_BYTES = 16384
MAX_PARENTS = 16
MAX_SEQ = 2**32 - 1
MAX_TIME = 2**40

_PARENTS = List(ID, maximum=MAX_PARENTS, ascending=True)
_SEQ = UInt(MAX_SEQ, 1)
_TIME = UInt(MAX_TIME)
_FIELD_NAMES = ("kind", "author", "parents", "seq", "time", "payload")


@dataclass(frozen=True, slots=True)
class Envelope:
    """A decoded, well-formed message. ``raw`` is its exact wire bytes and
    ``id`` their SHA-256; both are derived, so equality ignores them."""

    body: bytes
    kind: int
    author: bytes
    parents: tuple[bytes, ...]
    seq: int
    time: int
    payload: Payload
    signature: bytes
    raw: bytes = field(repr=False, compare=False)
    id: bytes = field(compare=False)

    @property
    def content(self) -> bytes:
        return self.raw[:-SIGNATURE_BYTES]

    def payload_as(self, kind: type[P]) -> P:
        """The payload, typed as ``kind``: what a fold that dispatched on the
        message's kind reads (a mismatch is the caller's bug)."""
        payload = self.payload
        if not isinstance(payload, kind):
            raise LocalProtocolError(
                f"message {self.id.hex()[:16]} carries {type(payload).__name__}, "
                f"not {kind.__name__}"
            )
        return payload

    def signed_bytes(self) -> bytes:
        return _signed(self.body_context, self.content)

    @property
    def body_context(self) -> bytes:
        return GENESIS_CONTEXT if self.kind == Kind.GENESIS else self.body


def _signed(context: bytes, content: bytes) -> bytes:
    return SIGN_DOMAIN + context + content


def message_id(raw: bytes) -> bytes:
    """The id of a message: SHA-256 of its exact wire bytes."""
    return hashlib.sha256(raw).digest()


def encode_content(
    kind: int,
    author: bytes,
    parents: tuple[bytes, ...] | list[bytes],
    seq: int,
    time: int,
    payload: Payload,
) -> bytes:
    """The canonical content bytes (everything but the signature)."""
    parents = tuple(sorted(set(parents)))
    try:
        KEY.check(author, "author")
        _PARENTS.check(parents, "parents")
        _SEQ.check(seq, "seq")
        _TIME.check(time, "time")
    except ProtocolError as exc:
        raise LocalProtocolError(str(exc), field=exc.field) from None
    if kind != payload.KIND:
        raise LocalProtocolError(f"payload is for kind {payload.KIND}, not {kind}")
    _check_parent_count(kind, len(parents), local=True)
    content = canonical.encode((kind, author, parents, seq, time, payload.to_wire()))
    if len(content) + SIGNATURE_BYTES > MAX_MESSAGE_BYTES:
        raise LocalProtocolError(
            f"message would be {len(content) + SIGNATURE_BYTES} bytes, over {MAX_MESSAGE_BYTES}"
        )
    return content


def sign(
    secret_seed: bytes,
    body: bytes | None,
    payload: Payload,
    *,
    parents: tuple[bytes, ...] | list[bytes] = (),
    seq: int,
    time: int,
) -> Envelope:
    """Sign a new message with the author's 32-byte Ed25519 seed.

    ``body`` is the body id, or None for a GENESIS message (which founds its
    own body). Parents are sorted and de-duplicated here.
    """
    if len(secret_seed) != 32:
        raise LocalProtocolError("an Ed25519 seed is 32 bytes")
    public, secret = nacl.bindings.crypto_sign_seed_keypair(secret_seed)
    kind = payload.KIND
    if kind == Kind.GENESIS:
        if body is not None:
            raise LocalProtocolError("a genesis message founds its body: pass body=None")
        context = GENESIS_CONTEXT
    else:
        if body is None or len(body) != 32:
            raise LocalProtocolError("a 32-byte body id is required")
        context = body
    content = encode_content(kind, public, parents, seq, time, payload)
    signature = nacl.bindings.crypto_sign(_signed(context, content), secret)[:SIGNATURE_BYTES]
    raw = content + signature
    mid = message_id(raw)
    return Envelope(
        body=mid if kind == Kind.GENESIS else context,
        kind=kind,
        author=public,
        parents=tuple(sorted(set(parents))),
        seq=seq,
        time=time,
        payload=payload,
        signature=signature,
        raw=raw,
        id=mid,
    )


def _check_parent_count(kind: int, n: int, *, local: bool = False) -> None:
    error: type[ProtocolError] = LocalProtocolError if local else WrongLength
    if kind == Kind.GENESIS and n:
        raise error("a genesis message has no parents", field="parents")
    if kind != Kind.GENESIS and not n:
        raise error("every message but genesis has at least one parent", field="parents")


def _name_field(path: str | None) -> str | None:
    """Turn a positional path from the canonical decoder ("[5][1]") into the
    envelope's field names ("payload[1]")."""
    if not path or not path.startswith("["):
        return path
    close = path.index("]")
    try:
        head = _FIELD_NAMES[int(path[1:close])]
    except (ValueError, IndexError):
        return path
    return head + path[close + 1 :]


def decode_untrusted(data: bytes, body: bytes | None) -> Envelope:
    """Parse and check a message's form; does NOT verify the signature.

    ``body`` is the body the message is received for, or None when it must
    be a GENESIS message. Raises only this package's RemoteProtocolError
    subclasses, naming the field and, for byte-level faults, the offset.
    """
    data = bytes(data)
    size = len(data)
    if size > MAX_MESSAGE_BYTES:
        raise Oversize(
            f"message of {size} bytes exceeds {MAX_MESSAGE_BYTES}", offset=MAX_MESSAGE_BYTES
        )
    if size <= SIGNATURE_BYTES:
        raise Truncated(
            f"a message needs more than {SIGNATURE_BYTES} bytes, got {size}", offset=size
        )
    content = data[:-SIGNATURE_BYTES]
    try:
        value = canonical.decode(content)
    except DecodeError as exc:
        raise type(exc)(exc.reason, field=_name_field(exc.field), offset=exc.offset) from None
    if type(value) is not tuple:
        raise WrongType("a message's content must be an array", offset=0)
    if len(value) != len(_FIELD_NAMES):
        raise WrongLength(
            f"content has {len(value)} fields, expected {len(_FIELD_NAMES)}", offset=0
        )
    kind_v, author_v, parents_v, seq_v, time_v, payload_v = value
    kind: int = UInt(0xFFFF).check(kind_v, "kind")
    author: bytes = KEY.check(author_v, "author")
    parents: tuple[bytes, ...] = _PARENTS.check(parents_v, "parents")
    _check_parent_count(kind, len(parents))
    seq: int = _SEQ.check(seq_v, "seq")
    time: int = _TIME.check(time_v, "time")
    payload = payload_from_wire(kind, payload_v)
    mid = message_id(data)
    if kind == Kind.GENESIS:
        if body is not None and body != mid:
            raise OutOfRange(
                "a genesis message founds its own body, not the one given", field="kind"
            )
        body = mid
    elif body is None or len(body) != 32:
        raise OutOfRange("this message is not a genesis: its body must be known", field="kind")
    return Envelope(
        body=body,
        kind=kind,
        author=author,
        parents=parents,
        seq=seq,
        time=time,
        payload=payload,
        signature=data[-SIGNATURE_BYTES:],
        raw=data,
        id=mid,
    )


def verify(envelope: Envelope) -> None:
    """Check the signature under the spec's Ed25519 rules (spec/signatures.md).

    The rules are libsodium's strict verification: S < L; A a canonical
    encoding of a point not of small order; R not of small order; the
    cofactorless equation [S]B = R + [k]A with R compared as bytes.
    """
    try:
        nacl.bindings.crypto_sign_open(
            envelope.signature + envelope.signed_bytes(), envelope.author
        )
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        raise BadSignature(
            f"signature does not verify for author {envelope.author.hex()[:16]}…", field="signature"
        ) from None


def open_untrusted(data: bytes, body: bytes | None) -> Envelope:
    """Decode and verify: the one call for bytes from the network."""
    envelope = decode_untrusted(data, body)
    verify(envelope)
    return envelope


def fields_of(envelope: Envelope) -> dict[str, Any]:
    """A plain description of a message for logs, JSON and the harness."""
    return {
        "body": envelope.body.hex(),
        "kind": Kind(envelope.kind).name.lower()
        if envelope.kind in Kind._value2member_map_
        else envelope.kind,
        "author": envelope.author.hex(),
        "parents": [p.hex() for p in envelope.parents],
        "seq": envelope.seq,
        "time": envelope.time,
        "payload": _plain(envelope.payload.to_wire()),
        "id": envelope.id.hex(),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bin": value.hex()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_PARENTS",
    "SIGN_DOMAIN",
    "Envelope",
    "NotSorted",
    "decode_untrusted",
    "encode_content",
    "fields_of",
    "message_id",
    "open_untrusted",
    "sign",
    "verify",
]
