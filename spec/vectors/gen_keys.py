"""Generate spec/vectors/keys.json: key text forms (valid and mistyped) and
keystore files with known contents (spec/keys.md).

Another implementation checks its parser against ``key_text`` cases (parse
``text``: either the key ``key`` or the error ``bad_key_text``, with
``offset`` when the fault is one character) and its keystore reader against
``keystore`` cases (open ``file`` with ``passphrase``: the seed ``seed`` or
the error ``keystore``). Keystores use libsodium's minimum Argon2id cost so
the vectors run fast; real files use the defaults of spec/keys.md.

Deterministic. Run:

    .venv/bin/python spec/vectors/gen_keys.py          # write
    .venv/bin/python spec/vectors/gen_keys.py --check  # compare
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from protocol import keystore  # noqa: E402
from protocol.errors import BadKeyText, KeystoreError  # noqa: E402
from protocol.keys import key_from_text, key_to_text, public_key  # noqa: E402

OUT = Path(__file__).resolve().parent / "keys.json"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def _seed(label: str) -> bytes:
    return hashlib.sha256(b"caracol key vectors: " + label.encode()).digest()


def _swap(text: str, i: int) -> str:
    """Replace character i by the next letter of the alphabet."""
    return text[:i] + _B32[(_B32.index(text[i]) + 1) % 32] + text[i + 1 :]


def key_text_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def valid(comment: str, text: str, key: bytes) -> None:
        assert key_from_text(text) == key, comment
        out.append({"comment": comment, "text": text, "result": "valid", "key": key.hex()})

    def invalid(comment: str, text: str, offset: int | None = None) -> None:
        try:
            key_from_text(text)
        except BadKeyText as exc:
            assert exc.offset == offset, (comment, exc.offset, offset)
            out.append(
                {
                    "comment": comment,
                    "text": text,
                    "result": "invalid",
                    "error": exc.code,
                    "reason": exc.reason,
                    "offset": offset,
                }
            )
            return
        raise AssertionError(f"accepted: {comment}")

    seed0_key = public_key(bytes(32))
    text0 = key_to_text(seed0_key)
    valid("public key of seed 00..00 (spec/keys.md example)", text0, seed0_key)
    for label in ("alice", "bob", "node"):
        key = public_key(_seed(label))
        valid(f"public key of a member ({label})", key_to_text(key), key)
    valid("all-zero 32 bytes (a text encodes any 32 bytes)", key_to_text(bytes(32)), bytes(32))
    valid("all-ff 32 bytes", key_to_text(b"\xff" * 32), b"\xff" * 32)
    valid("upper case after the prefix", "ck1" + text0[3:].upper(), seed0_key)
    valid("surrounding white space is ignored", "  " + text0 + "\n", seed0_key)

    invalid("another prefix", "ck2" + text0[3:])
    invalid("upper-case prefix", "CK1" + text0[3:])
    for bad in "0189":
        invalid(f"{bad!r} is not in the alphabet", text0[:10] + bad + text0[11:], 10)
    invalid("one character short", text0[:-1])
    invalid("one character too many", text0 + "a")
    last = text0[-1]
    nonzero = _B32[_B32.index(last) | 1]
    invalid("last character with a non-zero unused bit", text0[:-1] + nonzero, len(text0) - 1)
    invalid("a mistyped character in the key part", _swap(text0, 20))
    invalid("a mistyped character in the checksum part", _swap(text0, 55))
    invalid("two neighbours swapped", text0[:30] + text0[31] + text0[30] + text0[32:])
    return [{"tcId": i, **c} for i, c in enumerate(out, 1)]


def keystore_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    limits = {"opslimit": keystore.MIN_OPSLIMIT, "memlimit": keystore.MIN_MEMLIMIT}
    seed = _seed("keystore")
    salt = hashlib.sha256(b"salt").digest()[: keystore.SALT_BYTES]
    nonce = hashlib.sha256(b"nonce").digest()[: keystore.NONCE_BYTES]
    file = keystore.seal(seed, "correct horse battery", salt=salt, nonce=nonce, **limits)
    unicode_file = keystore.seal(seed, "contraseña ñandú", salt=salt, nonce=nonce, **limits)

    def opens(comment: str, data: bytes, passphrase: str) -> None:
        assert keystore.unseal(data, passphrase) == seed
        out.append(
            {
                "comment": comment,
                "file": data.hex(),
                "passphrase": passphrase,
                "result": "valid",
                "seed": seed.hex(),
                "public_key": public_key(seed).hex(),
            }
        )

    def fails(comment: str, data: bytes, passphrase: str) -> None:
        try:
            keystore.unseal(data, passphrase)
        except KeystoreError as exc:
            out.append(
                {
                    "comment": comment,
                    "file": data.hex(),
                    "passphrase": passphrase,
                    "result": "invalid",
                    "error": exc.code,
                    "reason": exc.reason,
                }
            )
            return
        raise AssertionError(f"opened: {comment}")

    opens("a keystore at the minimum Argon2id cost", file, "correct horse battery")
    opens("a passphrase outside ASCII (UTF-8, no normalisation)", unicode_file, "contraseña ñandú")
    fails("wrong passphrase", file, "correct horse battery!")
    tampered = bytearray(file)
    tampered[-1] ^= 1
    fails("one bit of the box flipped", bytes(tampered), "correct horse battery")
    other = public_key(_seed("someone else"))
    fails(
        "public key swapped for another",
        file.replace(public_key(seed), other),
        "correct horse battery",
    )
    return [{"tcId": i, **c} for i, c in enumerate(out, 1)]


def render() -> str:
    doc = {
        "description": "Generated by spec/vectors/gen_keys.py (spec/keys.md)",
        "key_text": key_text_cases(),
        "keystore": keystore_cases(),
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == render() else 1)
    OUT.write_text(render())
    print(f"wrote {OUT}")
