"""The keystore format: a secret seed encrypted at rest with a passphrase.

Sans-IO: this module turns (seed, passphrase, salt, nonce) into bytes and
back; ``node.keyfile`` reads and writes the file and checks its permissions.

Format (canonical msgpack array, spec/keys.md)::

    ["caracol-keystore", 0, public_key, [opslimit, memlimit], salt16, nonce24, box]

``key = Argon2id(passphrase, salt, opslimit, memlimit)`` (libsodium's
crypto_pwhash), ``box = XSalsa20-Poly1305(key, nonce, seed)``. The public
key is stored in clear so ``caracol key show`` needs no passphrase; after
decryption it must match the seed, so tampering with it is detected.
"""

from __future__ import annotations

from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash
import nacl.secret

from . import canonical
from .errors import KeystoreError, ProtocolError
from .keys import public_key

MAGIC = "caracol-keystore"
VERSION = 0
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES  # 16
NONCE_BYTES = nacl.secret.SecretBox.NONCE_SIZE  # 24

# Defaults sized for a Raspberry Pi with 1 GB: about a second to unlock.
DEFAULT_OPSLIMIT = 3
DEFAULT_MEMLIMIT = 64 * 1024 * 1024
MIN_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MIN
MIN_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MIN
MAX_MEMLIMIT = 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class KeystoreInfo:
    public_key: bytes
    opslimit: int
    memlimit: int


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    key: bytes = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE,
        passphrase.encode("utf-8"),
        salt,
        opslimit=opslimit,
        memlimit=memlimit,
    )
    return key


def seal(
    seed: bytes,
    passphrase: str,
    *,
    salt: bytes,
    nonce: bytes,
    opslimit: int = DEFAULT_OPSLIMIT,
    memlimit: int = DEFAULT_MEMLIMIT,
) -> bytes:
    """Encrypt a 32-byte seed under a passphrase. ``salt`` (16 bytes) and
    ``nonce`` (24 bytes) must be fresh random bytes from the caller."""
    if not passphrase:
        raise KeystoreError("an empty passphrase protects nothing")
    if len(salt) != SALT_BYTES or len(nonce) != NONCE_BYTES:
        raise KeystoreError(f"salt must be {SALT_BYTES} bytes and nonce {NONCE_BYTES}")
    key = _derive(passphrase, salt, opslimit, memlimit)
    box = nacl.secret.SecretBox(key).encrypt(seed, nonce).ciphertext
    return canonical.encode(
        (MAGIC, VERSION, public_key(seed), (opslimit, memlimit), salt, nonce, box)
    )


def _parse(data: bytes) -> tuple[bytes, int, int, bytes, bytes, bytes]:
    try:
        value = canonical.decode(data)
    except ProtocolError as exc:
        raise KeystoreError(f"not a keystore file: {exc}") from None
    if type(value) is not tuple or len(value) != 7 or value[0] != MAGIC:
        raise KeystoreError("not a caracol keystore file")
    _magic, version, pub, limits, salt, nonce, box = value
    if type(version) is not int or version != VERSION:  # false == 0 in Python
        raise KeystoreError(f"keystore version {version!r} is not supported (this is {VERSION})")
    if (
        type(pub) is not bytes
        or len(pub) != 32
        or type(limits) is not tuple
        or len(limits) != 2
        or not all(type(x) is int for x in limits)
        or type(salt) is not bytes
        or len(salt) != SALT_BYTES
        or type(nonce) is not bytes
        or len(nonce) != NONCE_BYTES
        or type(box) is not bytes
    ):
        raise KeystoreError("keystore file is damaged (a field has the wrong type or size)")
    opslimit, memlimit = limits
    if not (MIN_OPSLIMIT <= opslimit <= 64 and MIN_MEMLIMIT <= memlimit <= MAX_MEMLIMIT):
        raise KeystoreError("keystore KDF limits are out of range (damaged or hostile file)")
    return pub, opslimit, memlimit, salt, nonce, box


def info(data: bytes) -> KeystoreInfo:
    """The public key and KDF cost, without the passphrase."""
    pub, opslimit, memlimit, *_ = _parse(data)
    return KeystoreInfo(pub, opslimit, memlimit)


def unseal(data: bytes, passphrase: str) -> bytes:
    """Decrypt a keystore; returns the 32-byte seed."""
    pub, opslimit, memlimit, salt, nonce, box = _parse(data)
    key = _derive(passphrase, salt, opslimit, memlimit)
    try:
        seed: bytes = nacl.secret.SecretBox(key).decrypt(box, nonce)
    except nacl.exceptions.CryptoError:
        raise KeystoreError("wrong passphrase, or the keystore file is damaged") from None
    if len(seed) != 32 or public_key(seed) != pub:
        raise KeystoreError("keystore public key does not match its secret (file tampered with)")
    return seed
