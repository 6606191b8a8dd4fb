"""The protocol package's one exception hierarchy.

Theory: an error is either *local* (the caller misused the API: a bug on our
side, raised as an exception) or *remote* (bytes from elsewhere were bad:
the sender misbehaved). Remote errors carry a stable wire ``code`` that the
spec lists and the test vectors name, the ``field`` path that was wrong and,
for byte-level problems, the byte ``offset`` where it was found. Any other
exception escaping ``*_untrusted`` functions is a bug, and a property test
asserts exactly that.
"""

from __future__ import annotations


class CaracolError(Exception):
    """Root of every error any Caracol package raises; each package subclasses
    it once (``ProtocolError``, ``CrdtError``, ``MeshError``, ``NodeError``,
    ``InteropError``) and raises only under its own root. Never raised itself.

    ``code`` is stable (the spec's error tables list the wire codes);
    ``reason`` is the message without the position; ``field`` names the path
    that was wrong and ``offset`` the byte where it was found, when known.
    """

    code: str = "error"

    def __init__(
        self, message: str, *, field: str | None = None, offset: int | None = None
    ) -> None:
        where = []
        if field is not None:
            where.append(f"field {field}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        text = f"{message} ({', '.join(where)})" if where else message
        super().__init__(text)
        self.reason = message
        self.field = field
        self.offset = offset


class ProtocolError(CaracolError):
    """Root of every error the protocol package raises. Never raised itself."""

    code = "protocol_error"


class LocalProtocolError(ProtocolError):
    """The caller asked for something the protocol forbids (our bug)."""

    code = "local_error"


class RemoteProtocolError(ProtocolError):
    """Input from elsewhere is invalid. The message must be rejected."""

    code = "remote_error"


# --- byte-level problems (canonical encoding) ---------------------------------


class DecodeError(RemoteProtocolError):
    """The bytes are not a value of the canonical msgpack subset."""

    code = "decode_error"


class Truncated(DecodeError):
    code = "truncated"


class TrailingBytes(DecodeError):
    code = "trailing_bytes"


class NonCanonical(DecodeError):
    """A value is encoded in a longer form than the shortest one."""

    code = "non_canonical"


class ForbiddenType(DecodeError):
    """Floats, extension types and reserved bytes are outside the subset."""

    code = "forbidden_type"


class InvalidUtf8(DecodeError):
    code = "invalid_utf8"


class MapKeyOrder(DecodeError):
    """Map keys must be unique and sorted by their encoded bytes."""

    code = "map_key_order"


class TooDeep(DecodeError):
    code = "too_deep"


class Oversize(RemoteProtocolError):
    """A message, field or container is larger than its bound."""

    code = "oversize"


# --- structure and meaning ----------------------------------------------------


class SchemaError(RemoteProtocolError):
    """The value decoded but does not have the shape its kind requires."""

    code = "schema"


class WrongType(SchemaError):
    code = "wrong_type"


class WrongLength(SchemaError):
    """An array has the wrong number of elements, or bytes the wrong size."""

    code = "wrong_length"


class OutOfRange(SchemaError):
    code = "out_of_range"


class NotSorted(SchemaError):
    """A set-valued field is not strictly ascending (sorted, no duplicates)."""

    code = "not_sorted"


class NotGenesis(SchemaError):
    """A body is founded from a message that is not its GENESIS."""

    code = "not_genesis"


class BadBundle(RemoteProtocolError):
    """A sneakernet bundle is refused whole: not canonical, a field breaks its
    rule, or the integrity digest does not match (spec/sneakernet.md)."""

    code = "bad_bundle"


class BadBulletinCode(RemoteProtocolError):
    """A scanned bulletin code is not one (spec/sneakernet.md): reported, and
    the other codes are used."""

    code = "bad_bulletin_code"


class BadSignature(RemoteProtocolError):
    """The Ed25519 signature does not verify under the spec's rules."""

    code = "bad_signature"


class BadKeyText(RemoteProtocolError):
    """A human-readable key string is malformed or its checksum is wrong."""

    code = "bad_key_text"


class KeystoreError(ProtocolError):
    """A keystore file cannot be used (wrong passphrase, bad permissions, damage)."""

    code = "keystore"
