"""Ed25519 acceptance rules (spec/signatures.md), checked on edge cases.

Two implementations that disagree on one edge-case signature fork the log,
so the rules are pinned by vectors: RFC 8032's, plus non-canonical S,
small-order and non-canonical public keys, small-order and non-canonical R.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nacl.bindings
import pytest

from interop.harness import op_verify

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
CASES = json.loads((VECTORS / "ed25519.json").read_text())["tests"]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_ed25519", VECTORS / "gen_ed25519.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_committed_vectors() -> None:
    assert (VECTORS / "ed25519.json").read_text() == _generator().render()


def test_rfc8032_keys_and_signatures_are_reproduced_from_their_seeds() -> None:
    for sk, pk, msg, sig in _generator().RFC8032:
        public, secret = nacl.bindings.crypto_sign_seed_keypair(bytes.fromhex(sk))
        assert public.hex() == pk
        assert nacl.bindings.crypto_sign(bytes.fromhex(msg), secret)[:64].hex() == sig


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"tc{c['tcId']}-{c['comment'][:40]}")
def test_each_edge_case(case: dict[str, object]) -> None:
    answer = op_verify(case)  # the same verifier envelope.verify uses
    assert answer["valid"] is (case["result"] == "valid")


def test_every_rule_has_a_vector() -> None:
    flags = {f for c in CASES for f in c["flags"]}
    assert {
        "Rfc8032",
        "NonCanonicalS",
        "SmallOrderA",
        "NonCanonicalA",
        "SmallOrderR",
        "NonCanonicalR",
    } <= flags
