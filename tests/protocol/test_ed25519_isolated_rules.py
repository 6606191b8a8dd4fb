"""spec/signatures.md, rule by rule: libsodium (through ``envelope.verify``)
behaves exactly as the spec's text says.

``spec/vectors/ed25519_rules.json`` holds one vector per rule, each breaking
only that rule (the generator proves it with a pure-Python restatement of
the rules, ``reference_verify``). Here we check that

- the committed file is what the generator writes;
- the verifier the node uses gives every expected answer, through
  ``protocol.envelope.verify`` itself and through the conformance harness;
- the spec's restatement and libsodium agree on every vector of both files
  and on random corruptions of valid signatures, so the prose cannot drift
  from the library.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import nacl.bindings
import nacl.exceptions
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interop.runner import Harness, check_ed25519_case
from protocol import envelope, kinds
from protocol.errors import BadSignature

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
RULES_FILE = VECTORS / "ed25519_rules.json"
RULE_CASES: list[dict[str, Any]] = json.loads(RULES_FILE.read_text())["tests"]
BASIC_CASES: list[dict[str, Any]] = json.loads((VECTORS / "ed25519.json").read_text())["tests"]


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_ed25519_rules", VECTORS / "gen_ed25519_rules.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()


def _bytes(case: dict[str, Any]) -> tuple[bytes, bytes, bytes]:
    return bytes.fromhex(case["pk"]), bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"])


def _libsodium_accepts(pk: bytes, msg: bytes, sig: bytes) -> bool:
    if len(pk) != 32 or len(sig) != 64:
        return False
    try:
        nacl.bindings.crypto_sign_open(sig + msg, pk)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


def test_generator_reproduces_the_committed_rule_vectors() -> None:
    assert RULES_FILE.read_text() == GEN.render()


def test_file_shape_is_the_shared_vector_format() -> None:
    doc = json.loads(RULES_FILE.read_text())
    assert doc["algorithm"] == "ed25519" and doc["rules"] == "caracol/0"
    assert [c["tcId"] for c in RULE_CASES] == list(range(1, len(RULE_CASES) + 1))
    for c in RULE_CASES:
        assert set(c) >= {"tcId", "comment", "pk", "msg", "sig", "result", "flags"}
        assert c["result"] in ("valid", "invalid")
        assert c["rule"] in ("", *GEN.RULES)


def test_every_rule_is_isolated_by_at_least_one_vector() -> None:
    isolated = {c["rule"] for c in RULE_CASES if c["isolated"]}
    # rule 3 (canonical A) cannot be isolated: see the generator's comment
    assert isolated == {"canonical_s", "a_not_small_order", "r_not_small_order", "equation"}
    flags = {f for c in RULE_CASES for f in c["flags"]}
    assert {"MixedOrderA", "MixedOrderR", "Cofactored", "SmallOrderA", "SmallOrderR"} <= flags
    assert any(c["result"] == "valid" and "MixedOrderA" in c["flags"] for c in RULE_CASES)


def test_all_fourteen_small_order_encodings_are_refused_as_r() -> None:
    rs = {bytes.fromhex(c["sig"])[:32] for c in RULE_CASES if "SmallOrderR" in c["flags"]}
    # 8 canonical torsion encodings + 6 non-canonical ones (y = p, p + 1; sign bit on x = 0)
    assert len(rs) == 14
    assert all(GEN.has_small_order_encoding(r) for r in rs)


def _as_envelope(pk: bytes, msg: bytes, sig: bytes) -> envelope.Envelope:
    """An Envelope whose signed bytes are exactly ``msg``: every message in
    the rules file starts with the genesis signing prefix, so the rest of it
    stands for the envelope content."""
    prefix = envelope.SIGN_DOMAIN + envelope.GENESIS_CONTEXT
    assert msg.startswith(prefix)
    raw = msg[len(prefix) :] + sig
    return envelope.Envelope(
        body=bytes(32),
        kind=kinds.Kind.GENESIS,
        author=pk,
        parents=(),
        seq=1,
        time=0,
        payload=kinds.Unknown(kinds.Kind.GENESIS, ()),
        signature=sig,
        raw=raw,
        id=hashlib.sha256(raw).digest(),
    )


@pytest.mark.parametrize("case", RULE_CASES, ids=lambda c: f"tc{c['tcId']}-{'-'.join(c['flags'])}")
def test_envelope_verify_follows_each_rule(case: dict[str, Any]) -> None:
    pk, msg, sig = _bytes(case)
    env = _as_envelope(pk, msg, sig)
    assert env.signed_bytes() == msg
    if case["result"] == "valid":
        envelope.verify(env)
    else:
        with pytest.raises(BadSignature):
            envelope.verify(env)


@pytest.mark.parametrize("case", BASIC_CASES + RULE_CASES, ids=lambda c: f"tc{c['tcId']}")
def test_the_spec_restatement_agrees_with_libsodium(case: dict[str, Any]) -> None:
    pk, msg, sig = _bytes(case)
    accepted, _rule = GEN.reference_verify(pk, msg, sig)
    assert accepted is _libsodium_accepts(pk, msg, sig) is (case["result"] == "valid")


def test_the_conformance_harness_answers_every_rule_vector() -> None:
    with Harness([sys.executable, "-m", "interop"]) as h:
        problems = [p for case in RULE_CASES for p in check_ed25519_case(h, case)]
    assert problems == []


SEED = hashlib.sha256(b"differential ed25519").digest()
PK, _SK = nacl.bindings.crypto_sign_seed_keypair(SEED)


@given(
    st.binary(max_size=40),
    st.sampled_from(["sig", "pk"]),
    st.integers(0, 31 + 32),
    st.integers(1, 255),
)
@settings(max_examples=150, deadline=None)
def test_spec_and_libsodium_agree_on_corrupted_signatures(
    msg: bytes, where: str, index: int, xor: int
) -> None:
    sig = bytearray(nacl.bindings.crypto_sign(msg, _SK)[:64])
    pk = bytearray(PK)
    if where == "sig":
        sig[index] ^= xor
    else:
        pk[index % 32] ^= xor
    accepted, _rule = GEN.reference_verify(bytes(pk), msg, bytes(sig))
    assert accepted is _libsodium_accepts(bytes(pk), msg, bytes(sig))


@given(st.sampled_from(range(8)), st.integers(0, 2**255 - 1))
@settings(max_examples=60, deadline=None)
def test_spec_and_libsodium_agree_on_torsion_shifted_keys_and_r(t: int, r: int) -> None:
    """Honest signatures with a torsion point added to the key or to R: the
    cofactorless equation decides, identically in both."""
    a = GEN.scalar("differential a")
    r %= GEN.L
    torsion = GEN.TORSION[t]
    key = GEN.encode(GEN.add(GEN.mul(a, GEN.BASE), torsion))
    r_bytes = GEN.encode(GEN.add(GEN.mul(r, GEN.BASE), GEN.TORSION[(t * 3) % 8]))
    msg = b"torsion"
    s = (r + GEN.challenge(r_bytes, key, msg) * a) % GEN.L
    sig = r_bytes + GEN.le(s)
    accepted, _rule = GEN.reference_verify(key, msg, sig)
    assert accepted is _libsodium_accepts(key, msg, sig)
