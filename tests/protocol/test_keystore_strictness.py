"""Keystore files are read strictly (spec/keys.md): a hostile or damaged
file is refused before any expensive work, with a KeystoreError."""

from __future__ import annotations

import hashlib

import pytest

from protocol import canonical, keystore
from protocol.errors import KeystoreError

SEED = hashlib.sha256(b"keystore strictness").digest()
FAST = {"opslimit": keystore.MIN_OPSLIMIT, "memlimit": keystore.MIN_MEMLIMIT}
GOOD = keystore.seal(SEED, "pw", salt=bytes(16), nonce=bytes(24), **FAST)
FIELDS = list(canonical.decode(GOOD))


def _with(index: int, value: object) -> bytes:
    fields = list(FIELDS)
    fields[index] = value
    return canonical.encode(tuple(fields))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_with(3, (65, keystore.MIN_MEMLIMIT)), "limits are out of range"),
        (_with(3, (1, 2 * 1024**3)), "limits are out of range"),
        (_with(3, (0, keystore.MIN_MEMLIMIT)), "limits are out of range"),
        (_with(1, 1), "version 1 is not supported"),
        (_with(0, "other-format"), "not a caracol keystore"),
        (_with(4, bytes(15)), "damaged"),
        (_with(5, bytes(23)), "damaged"),
        (_with(2, "not bytes"), "damaged"),
        (GOOD + b"\x00", "not a keystore file"),
    ],
)
def test_hostile_or_damaged_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(KeystoreError, match=reason):
        keystore.info(data)
    with pytest.raises(KeystoreError, match=reason):
        keystore.unseal(data, "pw")


def test_seal_refuses_bad_salt_and_nonce_sizes() -> None:
    with pytest.raises(KeystoreError):
        keystore.seal(SEED, "pw", salt=bytes(15), nonce=bytes(24), **FAST)
    with pytest.raises(KeystoreError):
        keystore.seal(SEED, "pw", salt=bytes(16), nonce=bytes(25), **FAST)


def test_fresh_salt_and_nonce_give_unrelated_files() -> None:
    other = keystore.seal(SEED, "pw", salt=b"\x01" * 16, nonce=b"\x02" * 24, **FAST)
    assert other != GOOD
    assert keystore.unseal(other, "pw") == keystore.unseal(GOOD, "pw") == SEED


def test_version_false_is_not_version_zero() -> None:
    with pytest.raises(KeystoreError):
        keystore.info(_with(1, False))
