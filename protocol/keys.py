"""Ed25519 identities for members and nodes.

A secret key is its 32-byte seed (RFC 8032); the public key is derived.
Randomness comes in as an argument: this module never reads the OS.
"""

from __future__ import annotations

import base64
import hashlib

import nacl.bindings

from .errors import BadKeyText, LocalProtocolError

SEED_BYTES = 32
PUBLIC_KEY_BYTES = 32


def public_key(seed: bytes) -> bytes:
    """The public key of a 32-byte Ed25519 seed."""
    if len(seed) != SEED_BYTES:
        raise LocalProtocolError("an Ed25519 seed is 32 bytes")
    public, _secret = nacl.bindings.crypto_sign_seed_keypair(seed)
    return bytes(public)


def sign_raw(seed: bytes, message: bytes) -> bytes:
    """A raw Ed25519 signature (64 bytes) over ``message``."""
    if len(seed) != SEED_BYTES:
        raise LocalProtocolError("an Ed25519 seed is 32 bytes")
    _public, secret = nacl.bindings.crypto_sign_seed_keypair(seed)
    return bytes(nacl.bindings.crypto_sign(message, secret)[:64])


def verify_raw(key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``key``'s Ed25519 signature over ``message``
    under the rules of spec/signatures.md (libsodium's strict checks)."""
    import nacl.exceptions

    if len(key) != 32 or len(signature) != 64:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + message, key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


# --- the textual key form -------------------------------------------------------
#
# "ck1" + lowercase RFC 4648 base32 (no padding) of key || checksum, where
# checksum = SHA-256("caracol/0 key-text" 0x00 || key)[:4]. 61 characters.
# The alphabet avoids 0/1/8/9 confusions; the checksum catches any single
# mistyped character and almost every other typo (1 in 2**32 slips through).

KEY_TEXT_PREFIX = "ck1"
_CHECKSUM_DOMAIN = b"caracol/0 key-text\x00"
_CHECKSUM_BYTES = 4
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def _checksum(key: bytes) -> bytes:
    return hashlib.sha256(_CHECKSUM_DOMAIN + key).digest()[:_CHECKSUM_BYTES]


def key_to_text(key: bytes) -> str:
    """The human form of a 32-byte public key, e.g. for config files and screens."""
    if len(key) != PUBLIC_KEY_BYTES:
        raise LocalProtocolError("a public key is 32 bytes")
    return KEY_TEXT_PREFIX + base64.b32encode(key + _checksum(key)).decode().rstrip("=").lower()


def key_from_text(text: str) -> bytes:
    """Parse a key's text form; raises BadKeyText saying what is wrong."""
    stripped = text.strip()
    if not stripped.startswith(KEY_TEXT_PREFIX):
        raise BadKeyText(f"a key text starts with {KEY_TEXT_PREFIX!r}", field="key")
    body = stripped[len(KEY_TEXT_PREFIX) :]
    for i, ch in enumerate(body):
        # check before lower-casing: some non-ASCII letters lower-case to ASCII
        # (U+212A KELVIN SIGN becomes "k")
        if ch.lower() not in _B32 or not ch.isascii():
            raise BadKeyText(
                f"character {ch!r} at position {i + len(KEY_TEXT_PREFIX)} is not in the alphabet",
                field="key",
                offset=i + len(KEY_TEXT_PREFIX),
            )
    body = body.lower()
    expected = len(key_to_text(bytes(32))) - len(KEY_TEXT_PREFIX)
    if len(body) != expected:
        raise BadKeyText(
            f"a key text has {expected} characters after {KEY_TEXT_PREFIX!r}, got {len(body)}",
            field="key",
        )
    raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
    if base64.b32encode(raw).decode().rstrip("=").lower() != body:
        # the last character carries 2 unused bits, which must be zero
        raise BadKeyText("the last character is mistyped", field="key", offset=len(stripped) - 1)
    key, check = raw[:PUBLIC_KEY_BYTES], raw[PUBLIC_KEY_BYTES:]
    if _checksum(key) != check:
        raise BadKeyText("checksum mismatch: a character is mistyped", field="key")
    return key
