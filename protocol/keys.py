"""Ed25519 identities for members and nodes.

A secret key is its 32-byte seed (RFC 8032); the public key is derived.
Randomness comes in as an argument: this module never reads the OS.
"""

from __future__ import annotations

import nacl.bindings

from .errors import LocalProtocolError

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
