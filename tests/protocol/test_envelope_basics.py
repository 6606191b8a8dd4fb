"""Envelope round trips and the first rejections (spec/envelope.md)."""

from __future__ import annotations

import hashlib

import pytest

from protocol import envelope, kinds
from protocol.errors import BadSignature, OutOfRange, WrongLength
from protocol.keys import public_key

SEED = hashlib.sha256(b"test author").digest()


def _genesis() -> envelope.Envelope:
    g = kinds.Genesis(kinds.BodyKind.COMMUNITY, "Test", None, (public_key(SEED),), (), b"")
    return envelope.sign(SEED, None, g, seq=1, time=1_800_000_000)


def test_genesis_founds_its_body() -> None:
    g = _genesis()
    assert g.body == g.id == hashlib.sha256(g.raw).digest()
    assert envelope.open_untrusted(g.raw, None) == g


def test_vote_with_two_parents_fits_the_budget() -> None:
    g = _genesis()
    p = envelope.sign(
        SEED, g.body, kinds.Proposal("T", "x", "", None, None), parents=[g.id], seq=2, time=1
    )
    v = envelope.sign(
        SEED,
        g.body,
        kinds.Vote(p.id, kinds.Choice.FOR),
        parents=[p.id, g.id],
        seq=70000,
        time=2**32,
    )
    assert len(v.raw) <= 240
    assert envelope.open_untrusted(v.raw, g.body) == v


def test_message_signed_for_one_body_does_not_verify_in_another() -> None:
    g = _genesis()
    p = envelope.sign(
        SEED, g.body, kinds.Proposal("T", "x", "", None, None), parents=[g.id], seq=2, time=1
    )
    with pytest.raises(BadSignature):
        envelope.open_untrusted(p.raw, bytes(32))


def test_non_genesis_needs_a_parent_and_a_body() -> None:
    g = _genesis()
    p = envelope.sign(
        SEED, g.body, kinds.Proposal("T", "x", "", None, None), parents=[g.id], seq=2, time=1
    )
    with pytest.raises(OutOfRange):
        envelope.decode_untrusted(p.raw, None)
    with pytest.raises(WrongLength) as info:
        envelope.decode_untrusted(p.raw[:36] + b"\x90" + p.raw[36 + 1 + 34 :], g.body)
    assert info.value.field == "parents"
