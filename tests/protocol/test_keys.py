"""Key text form (checksummed) and encrypted keystores (spec/keys.md)."""

from __future__ import annotations

import hashlib
import os
import stat
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node import keyfile
from protocol import keystore
from protocol.errors import BadKeyText, KeystoreError
from protocol.keys import key_from_text, key_to_text, public_key

SEED = hashlib.sha256(b"key tests").digest()
FAST = {"opslimit": keystore.MIN_OPSLIMIT, "memlimit": keystore.MIN_MEMLIMIT}


@given(st.binary(min_size=32, max_size=32))
@settings(max_examples=200, deadline=None)
def test_key_text_round_trips(key: bytes) -> None:
    text = key_to_text(key)
    assert text.startswith("ck1") and len(text) == 61
    assert key_from_text(text) == key
    assert key_from_text(text.upper().replace("CK1", "ck1")) == key


@given(st.binary(min_size=32, max_size=32), st.data())
@settings(max_examples=300, deadline=None)
def test_any_single_mistyped_character_is_caught(key: bytes, data: st.DataObject) -> None:
    text = key_to_text(key)
    i = data.draw(st.integers(3, len(text) - 1))
    ch = data.draw(
        st.sampled_from(string.ascii_lowercase + "234567").filter(lambda c: c != text[i])
    )
    typo = text[:i] + ch + text[i + 1 :]
    with pytest.raises(BadKeyText):
        key_from_text(typo)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("xx1abc", "starts with"),
        ("ck1" + "a" * 10, "characters after"),
        ("ck1" + "0" * 58, "not in the alphabet"),
    ],
)
def test_bad_key_texts_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(BadKeyText, match=reason):
        key_from_text(text)


def test_keystore_seals_and_unseals() -> None:
    data = keystore.seal(SEED, "correct horse", salt=b"s" * 16, nonce=b"n" * 24, **FAST)
    assert keystore.info(data).public_key == public_key(SEED)
    assert keystore.unseal(data, "correct horse") == SEED
    with pytest.raises(KeystoreError, match="wrong passphrase"):
        keystore.unseal(data, "wrong horse")


def test_keystore_detects_a_swapped_public_key() -> None:
    data = keystore.seal(SEED, "pw", salt=b"s" * 16, nonce=b"n" * 24, **FAST)
    other = public_key(hashlib.sha256(b"other").digest())
    tampered = data.replace(public_key(SEED), other)
    with pytest.raises(KeystoreError, match="tampered"):
        keystore.unseal(tampered, "pw")


@pytest.mark.parametrize("data", [b"", b"\x93\x01\x02\x03", b"garbage" * 10])
def test_damaged_keystore_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(KeystoreError):
        keystore.unseal(data, "pw")


def test_keyfile_is_private_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "member.key"
    keyfile.write(path, SEED, "pw", **FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keyfile.read(path, "pw") == SEED
    with pytest.raises(KeystoreError, match="refusing to overwrite"):
        keyfile.write(path, SEED, "pw", **FAST)
    os.chmod(path, 0o644)
    with pytest.raises(KeystoreError, match="chmod 600"):
        keyfile.read(path, "pw")


def test_the_spec_example_key_text() -> None:
    # spec/keys.md: the key of seed 00…00
    assert (
        key_to_text(public_key(bytes(32)))
        == "ck1hnvcppgow2sc2yvdvdicu3ynonsteflxdxrehjr2ybekdc2z3iuvb4i34a"
    )
