"""spec/vectors/keys.json: key texts and keystore files another
implementation must read exactly as we do (spec/keys.md)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from protocol import keystore
from protocol.errors import BadKeyText, KeystoreError
from protocol.keys import key_from_text, key_to_text, public_key

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
DOC = json.loads((VECTORS / "keys.json").read_text())


def test_generator_reproduces_the_committed_key_vectors() -> None:
    spec = importlib.util.spec_from_file_location("gen_keys", VECTORS / "gen_keys.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (VECTORS / "keys.json").read_text() == module.render()


@pytest.mark.parametrize("case", DOC["key_text"], ids=lambda c: f"tc{c['tcId']}")
def test_key_text_case(case: dict[str, Any]) -> None:
    if case["result"] == "valid":
        key = bytes.fromhex(case["key"])
        assert key_from_text(case["text"]) == key
        assert key_from_text(key_to_text(key)) == key
    else:
        with pytest.raises(BadKeyText) as info:
            key_from_text(case["text"])
        assert info.value.code == case["error"]
        assert info.value.reason == case["reason"]
        assert info.value.offset == case["offset"]


@pytest.mark.parametrize("case", DOC["keystore"], ids=lambda c: f"tc{c['tcId']}")
def test_keystore_case(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["file"])
    if case["result"] == "valid":
        seed = keystore.unseal(data, case["passphrase"])
        assert seed.hex() == case["seed"]
        assert public_key(seed).hex() == case["public_key"] == keystore.info(data).public_key.hex()
    else:
        with pytest.raises(KeystoreError) as info:
            keystore.unseal(data, case["passphrase"])
        assert info.value.code == case["error"]
        assert info.value.reason == case["reason"]


def test_keystore_files_use_the_documented_layout() -> None:
    from protocol import canonical

    data = bytes.fromhex(DOC["keystore"][0]["file"])
    magic, version, pub, limits, salt, nonce, box = canonical.decode(data)
    assert (magic, version) == ("caracol-keystore", 0)
    assert len(pub) == 32 and len(salt) == 16 and len(nonce) == 24
    assert limits == (keystore.MIN_OPSLIMIT, keystore.MIN_MEMLIMIT)
    assert len(box) == 16 + 32  # Poly1305 tag || encrypted seed
