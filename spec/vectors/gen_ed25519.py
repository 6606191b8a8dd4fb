"""Generate spec/vectors/ed25519.json: Ed25519 acceptance edge cases under
Caracol's rules (spec/signatures.md), for checking any implementation's
verifier through the harness's ``verify`` op.

Deterministic: fixed keys and messages. Run:

    .venv/bin/python spec/vectors/gen_ed25519.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import nacl.bindings

OUT = Path(__file__).resolve().parent / "ed25519.json"
L = 2**252 + 27742317777372353535851937790883648493
P = 2**255 - 19

# RFC 8032 section 7.1, TEST 1-3 (secret key, public key, message, signature).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]

# Encodings of the points of small order (libsodium's blocklist, canonical).
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
]
IDENTITY = bytes.fromhex(SMALL_ORDER[0])
IDENTITY_NONCANONICAL = (P + 1).to_bytes(32, "little")  # y = 1 + p


def _sign(seed: bytes, msg: bytes) -> bytes:
    _pk, sk = nacl.bindings.crypto_sign_seed_keypair(seed)
    return bytes(nacl.bindings.crypto_sign(msg, sk)[:64])


def cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def case(
        comment: str, pk: bytes, msg: bytes, sig: bytes, result: str, flags: list[str]
    ) -> None:
        out.append(
            {
                "tcId": len(out) + 1,
                "comment": comment,
                "pk": pk.hex(),
                "msg": msg.hex(),
                "sig": sig.hex(),
                "result": result,
                "flags": flags,
            }
        )

    for i, (_sk, pk, msg, sig) in enumerate(RFC8032, 1):
        case(
            f"RFC 8032 7.1 TEST {i}",
            bytes.fromhex(pk),
            bytes.fromhex(msg),
            bytes.fromhex(sig),
            "valid",
            ["Rfc8032"],
        )
    seed = hashlib.sha256(b"caracol ed25519 vectors").digest()
    pk, _ = nacl.bindings.crypto_sign_seed_keypair(seed)
    msg = b"caracol/0 message\x00" + bytes(32) + b"edge cases"
    sig = _sign(seed, msg)
    case("a valid signature", pk, msg, sig, "valid", ["Valid"])
    case(
        "message changed by one bit",
        pk,
        msg[:-1] + bytes([msg[-1] ^ 1]),
        sig,
        "invalid",
        ["Modified"],
    )
    s = int.from_bytes(sig[32:], "little")
    case(
        "S + L: non-canonical S",
        pk,
        msg,
        sig[:32] + (s + L).to_bytes(32, "little"),
        "invalid",
        ["NonCanonicalS"],
    )
    case(
        "S with its top bits set",
        pk,
        msg,
        sig[:32] + (s | (0xE0 << 248)).to_bytes(32, "little"),
        "invalid",
        ["NonCanonicalS"],
    )
    zero_s = bytes(32)
    for enc in SMALL_ORDER:
        # R = identity, S = 0 satisfies the cofactorless equation for A = identity
        # and any message; with other small-order A it does for some messages.
        case(
            f"small-order public key {enc[:8]}…",
            bytes.fromhex(enc),
            msg,
            IDENTITY + zero_s,
            "invalid",
            ["SmallOrderA"],
        )
    case(
        "non-canonical encoding (y = p + 1) of the identity as public key",
        IDENTITY_NONCANONICAL,
        msg,
        IDENTITY + zero_s,
        "invalid",
        ["NonCanonicalA", "SmallOrderA"],
    )
    case(
        "public key y >= p (non-canonical encoding)",
        (P + 5).to_bytes(32, "little"),
        msg,
        sig,
        "invalid",
        ["NonCanonicalA"],
    )
    for enc in SMALL_ORDER[:2]:
        case(
            f"small-order R {enc[:8]}…",
            pk,
            msg,
            bytes.fromhex(enc) + sig[32:],
            "invalid",
            ["SmallOrderR"],
        )
    case(
        "non-canonical R (y = p + 1)",
        pk,
        msg,
        IDENTITY_NONCANONICAL + sig[32:],
        "invalid",
        ["NonCanonicalR"],
    )
    case("signature of 63 bytes", pk, msg, sig[:63], "invalid", ["Length"])
    case("public key of 31 bytes", pk[:31], msg, sig, "invalid", ["Length"])
    return out


def render() -> str:
    doc = {
        "algorithm": "ed25519",
        "rules": "caracol/0 (libsodium strict: spec/signatures.md)",
        "description": "Generated by spec/vectors/gen_ed25519.py",
        "tests": cases(),
    }
    return json.dumps(doc, indent=1) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == render() else 1)
    OUT.write_text(render())
    print(f"wrote {OUT}")
