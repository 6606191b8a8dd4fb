"""The key card format (spec/keys.md, "Key cards"): spec/vectors/cards.json
opens or is refused exactly as recorded, a wrong PIN and a damaged card are
told apart, and any single damaged byte is refused, never opened."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import keycard
from protocol.keys import public_key

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
DOC = json.loads((VECTORS / "cards.json").read_text())
FAST = {"opslimit": keycard.MIN_OPSLIMIT, "memlimit": keycard.MIN_MEMLIMIT}


def test_generator_reproduces_the_committed_card_vectors() -> None:
    spec = importlib.util.spec_from_file_location("gen_cards", VECTORS / "gen_cards.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (VECTORS / "cards.json").read_text() == module.render()


@pytest.mark.parametrize("case", DOC["cards"], ids=lambda c: f"tc{c['tcId']}")
def test_card_case(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["card"])
    if case["result"] == "valid":
        card, seed = keycard.unseal(data, case["pin"])
        assert seed.hex() == case["seed"]
        assert card.public_key.hex() == case["public_key"] == public_key(seed).hex()
        assert (card.body.hex(), card.name) == (case["body"], case["name"])
        assert keycard.read(data) == card
    else:
        with pytest.raises(keycard.CardError) as info:
            keycard.unseal(data, case["pin"])
        assert info.value.code == case["error"]
        assert info.value.reason == case["reason"]


def _card(pin: str = "48151623") -> bytes:
    return keycard.seal(
        bytes(range(32)),
        pin,
        body=b"\x07" * 32,
        name="Bea",
        salt=b"s" * 16,
        nonce=b"n" * 24,
        **FAST,
    )


def test_wrong_pin_and_damaged_card_are_distinct_errors() -> None:
    card = _card()
    with pytest.raises(keycard.WrongPin, match="wrong PIN for Bea's card"):
        keycard.unseal(card, "48151624")
    torn = card[:40] + bytes([card[40] ^ 0x10]) + card[41:]
    with pytest.raises(keycard.DamagedCard, match="misread or damaged"):
        keycard.unseal(torn, "48151623")
    with pytest.raises(keycard.DamagedCard, match="not a readable key card"):
        keycard.unseal(b"\x93\x01", "48151623")


def test_a_short_pin_is_refused_when_printing() -> None:
    with pytest.raises(keycard.CardError, match="at least 8 characters"):
        _card("123456")
    with pytest.raises(keycard.CardError, match="name"):
        keycard.seal(
            bytes(32), "12345678", body=bytes(32), name="", salt=bytes(16), nonce=bytes(24), **FAST
        )


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_any_damaged_byte_is_refused_never_opened(where: int, xor: int) -> None:
    card = _card()
    i = where % len(card)
    bad = card[:i] + bytes([card[i] ^ xor]) + card[i + 1 :]
    with pytest.raises(keycard.DamagedCard):
        keycard.unseal(bad, "48151623")
