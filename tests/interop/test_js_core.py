"""The JavaScript core (interop/js/core) against the Python reference.

All cases go through one long-lived Node.js harness process (the ``js``
fixture), so the whole file costs a few seconds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import nacl.bindings
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crdt.errors import CrdtError
from crdt.text import TextDocument
from crdt.text_guard import check_ops
from interop.fields import wire_from_json
from interop.runner import Harness, run_vectors
from protocol import canonical, envelope, keycard, keystore
from protocol.errors import KeystoreError, ProtocolError
from protocol.keys import key_from_text, key_to_text
from protocol.kinds import PAYLOADS, Kind, payload_from_wire
from protocol.roster import rotation_proof_valid

FAST = settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def test_js_harness_passes_every_vector(js: Harness) -> None:
    hello = js.ask({"op": "hello"})
    assert hello["implementation"] == "caracol-js"
    report = run_vectors(js, ops=hello["ops"])
    assert report.failures == []
    # messages, ed25519, ed25519_rules, keys.json (texts, keystores), text.json, cards.json
    assert report.passed >= 177


def test_js_schemas_are_the_references(js: Harness) -> None:
    """Every kind of protocol/kinds.py, with the same fields and types, in
    kinds.js (so a kind added on main and not in JS fails here)."""
    want = {
        Kind(k).name.lower(): [k, [[n, t.describe()] for n, t in cls.SCHEMA]]
        for k, cls in PAYLOADS.items()
    }
    assert js.ask({"op": "schemas"})["schemas"] == want


VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
VALID_PAYLOADS = [
    (Kind[c["fields"]["kind"].upper()], c["fields"]["payload"])
    for c in json.loads((VECTORS / "messages.json").read_text())["tests"]
    if c["result"] == "valid" and isinstance(c["fields"]["kind"], str)
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**41)
    | st.text(max_size=5)
    | st.text(min_size=60, max_size=300)
    | st.binary(max_size=70).map(lambda b: {"bin": b.hex()}),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=8,
)


def _replace(value: Any, path: list[int], new: Any) -> Any:
    if not path or not isinstance(value, list) or not value:
        return new
    i = path[0] % len(value)
    return [_replace(v, path[1:], new) if j == i else v for j, v in enumerate(value)]


@FAST
@given(
    which=st.integers(0, 10**6),
    path=st.lists(st.integers(0, 10**6), min_size=1, max_size=4),
    new=json_values,
)
def test_js_payload_checks_agree_with_python(
    js: Harness, which: int, path: list[int], new: Any
) -> None:
    """A valid payload with one part replaced: the same verdict, code and
    field (``payload.founders[3]``) from kinds.js as from protocol/kinds.py."""
    kind, payload = VALID_PAYLOADS[which % len(VALID_PAYLOADS)]
    mutated = _replace(payload, path, new)
    try:
        payload_from_wire(kind, wire_from_json(mutated))
        want: tuple[Any, ...] = (True, None, None)
    except ProtocolError as e:
        want = (False, e.code, e.field)
    answer = js.ask({"op": "check_payload", "kind": int(kind), "payload": mutated})
    assert (answer["ok"], answer.get("error"), answer.get("field")) == want, mutated


@pytest.mark.parametrize("kind,payload", VALID_PAYLOADS, ids=lambda v: str(v)[:24])
def test_js_builders_take_the_fields_in_kinds_md_order(
    js: Harness, kind: Kind, payload: list[Any]
) -> None:
    answer = js.ask({"op": "build", "kind": kind.name.lower(), "args": payload})
    assert answer == {"id": answer["id"], "ok": True, "payload": payload}


def test_js_builders_sort_sets_and_refuse_bad_fields(js: Harness) -> None:
    a, b = {"bin": "bb" * 32}, {"bin": "aa" * 32}
    built = js.ask({"op": "build", "kind": "genesis", "args": [2, "x", None, [a, b, a]]})
    assert built["payload"][3] == [b, a]
    bad = js.ask({"op": "build", "kind": "vote", "args": [{"bin": "00"}, 1]})
    assert bad["error"] == "bad_request" and "payload.subject" in bad["reason"]


def test_js_rotation_proof_is_accepted_by_the_reference(js: Harness) -> None:
    new_seed, body = _mid("new key"), _mid("body")
    old_key = nacl.bindings.crypto_sign_seed_keypair(_mid("old key"))[0]
    new_key = nacl.bindings.crypto_sign_seed_keypair(new_seed)[0]
    proof = js.ask(
        {
            "op": "rotation_proof",
            "new_seed": new_seed.hex(),
            "body": body.hex(),
            "old_key": old_key.hex(),
        }
    )["proof"]
    assert rotation_proof_valid(body, old_key, new_key, bytes.fromhex(proof))
    assert not rotation_proof_valid(_mid("other body"), old_key, new_key, bytes.fromhex(proof))


def test_bad_requests_get_bad_request(js: Harness) -> None:
    assert js.ask({"op": "no_such_op"})["error"] == "bad_request"
    assert js.ask({"op": "decode", "message": "zz"})["error"] == "bad_request"
    assert js.ask({"op": "hello"})["ok"] is True  # still alive


# --- signatures -------------------------------------------------------------------


@FAST
@given(seed=st.binary(min_size=32, max_size=32), msg=st.binary(max_size=300))
def test_js_signatures_equal_pynacl(js: Harness, seed: bytes, msg: bytes) -> None:
    public, secret = nacl.bindings.crypto_sign_seed_keypair(seed)
    expected = nacl.bindings.crypto_sign(msg, secret)[:64]
    answer = js.ask({"op": "sign", "seed": seed.hex(), "msg": msg.hex()})
    assert answer["sig"] == expected.hex()
    assert js.ask({"op": "public_key", "seed": seed.hex()})["public_key"] == public.hex()
    assert js.ask({"op": "verify", "pk": public.hex(), "msg": msg.hex(), "sig": expected.hex()})[
        "valid"
    ]


# --- canonical decoding -------------------------------------------------------------

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text(max_size=40)
    | st.binary(max_size=300),
    lambda inner: (
        st.lists(inner, max_size=18).map(tuple)
        | st.dictionaries(st.integers(-40, 300) | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=30,
)


def _python_decode(data: bytes) -> tuple[str | None, int | None, bytes | None]:
    try:
        value = canonical.decode(data)
    except ProtocolError as e:
        return e.code, e.offset, None
    return None, None, canonical.encode(value)


@FAST
@given(
    value=values, cut=st.integers(0, 2**16), flip=st.integers(0, 2**16), byte=st.integers(0, 255)
)
def test_js_canonical_decode_agrees_with_python(
    js: Harness, value: Any, cut: int, flip: int, byte: int
) -> None:
    """Same value, same error code and offset as the reference, on canonical
    bytes, truncated bytes and bytes with one byte changed."""
    good = canonical.encode(value)
    mutated = bytearray(good)
    mutated[flip % len(mutated)] = byte
    for data in (good, good[: cut % (len(good) + 1)], bytes(mutated), good + b"\x00"):
        code, offset, reencoded = _python_decode(data)
        answer = js.ask({"op": "canonical_decode", "data": data.hex()})
        if code is None:
            assert answer["ok"], (data.hex(), answer)
            assert answer["reencoded"] == data.hex() == (reencoded or b"").hex()
        else:
            assert (answer.get("error"), answer.get("offset")) == (code, offset), data.hex()


# --- editToOps against the reference CRDT ----------------------------------------------


def _mid(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


ALPHABET = "ab cñ€😀\n"
texts = st.text(alphabet=ALPHABET, max_size=30)


@st.composite
def histories(draw: st.DrawFn) -> tuple[TextDocument, set[bytes], str]:
    doc, past, new, _ = draw(recorded_histories())
    return doc, past, new


@st.composite
def recorded_histories(
    draw: st.DrawFn,
) -> tuple[TextDocument, set[bytes], str, list[tuple[bytes, list[Any]]]]:
    """A document after a few random local edits by several messages (so it
    has tombstones and runs of several messages), and a new text to reach."""
    root = _mid("root")
    initial = draw(texts)
    doc = TextDocument(root, initial)
    past: set[bytes] = set()
    record: list[tuple[bytes, list[Any]]] = []
    for n in range(draw(st.integers(0, 5))):
        m = _mid(f"edit {n} {draw(st.integers(0, 9))}")
        if m in past:
            continue
        ops: list[Any] = []
        if len(doc) and draw(st.booleans()):
            i = draw(st.integers(0, len(doc) - 1))
            k = draw(st.integers(1, len(doc) - i))
            ops += doc.local_delete(i, k)
        else:
            ins = draw(st.text(alphabet=ALPHABET, min_size=1, max_size=8))
            ops.append(doc.prepare_insert(draw(st.integers(0, len(doc))), ins).op)
            doc.apply(m, ops)
        past.add(m)
        record.append((m, ops))
    old = doc.text()
    new = draw(
        st.one_of(
            texts,
            st.builds(
                lambda i, j, s: old[: min(i, j)] + s + old[max(i, j) :],
                st.integers(0, len(old)),
                st.integers(0, len(old)),
                texts,
            ),
        )
    )
    doc.initial = initial  # type: ignore[attr-defined]
    return doc, past, new, record


def _ops_from_json(ops: list[Any]) -> list[tuple[Any, ...]]:
    def pos(p: Any) -> tuple[bytes, int] | None:
        return None if p is None else (bytes.fromhex(p[0]), p[1])

    return [(0, pos(o[1]), pos(o[2]), o[3]) if o[0] == 0 else (1, pos(o[1]), o[2]) for o in ops]


def _runs(doc: TextDocument) -> list[list[Any]]:
    """The document as the node serves it (node/view_model.py ``document``)."""
    return [[m.hex(), off, t, deleted] for m, off, t, deleted in doc.spans()]


@FAST
@given(history=histories())
def test_edit_to_ops_is_accepted_and_gives_the_new_text(
    js: Harness, history: tuple[TextDocument, set[bytes], str]
) -> None:
    doc, past, new = history
    answer = js.ask({"op": "edit_to_ops", "runs": _runs(doc), "new_text": new})
    assert answer["ok"], answer
    ops = _ops_from_json(answer["ops"])
    if new == doc.text():
        assert ops == []
        return
    message = _mid("the edit")
    check_ops(doc, message, ops, past)
    doc.apply(message, ops)
    assert doc.text() == new


@FAST
@given(history=recorded_histories(), data=st.data())
def test_js_causal_check_agrees_with_text_guard(
    js: Harness,
    history: tuple[TextDocument, set[bytes], str, list[tuple[bytes, list[Any]]]],
    data: st.DataObject,
) -> None:
    """Honest or forged ops (any origins, any causal past): checkOps gives
    the verdict and code of crdt.text_guard.check_ops."""
    doc, _, _, record = history
    chars = [(m, off + k) for m, off, n, _ in doc.runs() for k in range(n)]
    positions = st.sampled_from([*chars, (_mid("nowhere"), 0)]) if chars else st.just(None)
    maybe = st.none() | positions
    op = st.one_of(
        st.tuples(st.just(0), maybe, maybe, st.text(alphabet="xy", min_size=1, max_size=3)),
        st.tuples(st.just(1), positions, st.integers(1, 3)).filter(lambda o: o[1] is not None),
    )
    ops = data.draw(st.lists(op, min_size=1, max_size=3))
    past = set(data.draw(st.sets(st.sampled_from([m for m, _ in record]))) if record else set())
    message = _mid("the checked message")
    try:
        check_ops(doc, message, ops, past)
        want: str | None = None
    except CrdtError as e:
        want = e.code
    answer = js.ask(
        {
            "op": "text_replay",
            "root": doc.root.hex(),
            "initial": doc.initial,  # type: ignore[attr-defined]
            "messages": [
                *({"id": m.hex(), "ops": _json_ops(o)} for m, o in record),
                {"id": message.hex(), "ops": _json_ops(ops), "past": [p.hex() for p in past]},
            ],
        }
    )
    assert (None if answer["ok"] else answer["error"]) == want, (ops, answer)


def test_edit_to_ops_splits_big_edits_into_messages(js: Harness) -> None:
    """More than one message's worth (64 ops, 4096-byte inserts): each call
    gives at most 64 ops; calling again on the new document finishes it."""
    root = _mid("big")
    old = "".join(f"{i % 10}x" for i in range(200))
    doc = TextDocument(root, old)
    # 200 separate one-character deletes and a 4500-byte insert (two pieces)
    new = "".join(f"{i % 10}" for i in range(200)) + "€" * 1500
    past: set[bytes] = set()
    for n in range(10):
        answer = js.ask({"op": "edit_to_ops", "runs": _runs(doc), "new_text": new})
        ops = _ops_from_json(answer["ops"])
        if not ops:
            break
        assert len(ops) <= 64
        m = _mid(f"big {n}")
        check_ops(doc, m, ops, past)
        doc.apply(m, ops)
        past.add(m)
    assert doc.text() == new
    assert n >= 4  # 200 one-character deletes need four messages at least


def test_js_text_document_matches_python_state(js: Harness) -> None:
    """The JS TextDocument's state hash equals the reference's after the
    same concurrent history (text.json covers more, via the runner)."""
    root = _mid("state")
    a = TextDocument(root, "hello world")
    ops1 = [a.prepare_insert(5, ", dear").op]
    ops2 = a.local_delete(0, 5)
    b = TextDocument(root, "hello world")
    for m, ops in ((_mid("1"), ops1), (_mid("2"), ops2)):
        b.apply(m, ops)
    answer = js.ask(
        {
            "op": "text_replay",
            "root": root.hex(),
            "initial": "hello world",
            "messages": [
                {"id": _mid("1").hex(), "ops": _json_ops(ops1)},
                {"id": _mid("2").hex(), "ops": _json_ops(ops2)},
            ],
        }
    )
    assert answer["text"] == b.text() == ", dear world"
    assert answer["state_sha256"] == b.state_hash().hex()


def _json_ops(ops: list[tuple[Any, ...]]) -> list[Any]:
    def pos(p: Any) -> Any:
        return None if p is None else [p[0].hex(), p[1]]

    return [[0, pos(o[1]), pos(o[2]), o[3]] if o[0] == 0 else [1, pos(o[1]), o[2]] for o in ops]


# --- the keystore, both ways ----------------------------------------------------------

LIMITS = {"opslimit": 2, "memlimit": 1024 * 1024}  # real Argon2id, cheap enough for tests


def test_python_keystore_opens_in_js(js: Harness) -> None:
    seed = _mid("python seed")
    file = keystore.seal(
        seed, "contraseña ñandú", salt=bytes(range(16)), nonce=bytes(range(24)), **LIMITS
    )
    answer = js.ask({"op": "keystore_open", "file": file.hex(), "passphrase": "contraseña ñandú"})
    assert answer["ok"], answer
    assert answer["seed"] == seed.hex()
    wrong = js.ask({"op": "keystore_open", "file": file.hex(), "passphrase": "contrasena nandu"})
    assert (wrong["ok"], wrong["error"]) == (False, "keystore")
    assert wrong["reason"] == "wrong passphrase, or the keystore file is damaged"


def test_js_keystore_opens_in_python(js: Harness) -> None:
    seed = _mid("js seed")
    answer = js.ask(
        {"op": "keystore_seal", "seed": seed.hex(), "passphrase": "correct horse", **LIMITS}
    )
    assert answer["ok"], answer
    file = bytes.fromhex(answer["file"])
    assert keystore.unseal(file, "correct horse") == seed
    assert keystore.info(file).public_key == nacl.bindings.crypto_sign_seed_keypair(seed)[0]
    with pytest.raises(KeystoreError, match="wrong passphrase"):
        keystore.unseal(file, "correct horse!")
    # the same salt and nonce give the same bytes in both implementations
    salt, nonce = bytes(16), bytes(24)
    again = js.ask(
        {
            "op": "keystore_seal",
            "seed": seed.hex(),
            "passphrase": "correct horse",
            "salt": salt.hex(),
            "nonce": nonce.hex(),
            **LIMITS,
        }
    )
    assert (
        again["file"]
        == keystore.seal(seed, "correct horse", salt=salt, nonce=nonce, **LIMITS).hex()
    )


def test_js_keystore_refuses_hostile_limits(js: Harness) -> None:
    seed = _mid("hostile")
    file = canonical.decode(keystore.seal(seed, "pw", salt=bytes(16), nonce=bytes(24), **LIMITS))
    hostile = canonical.encode((*file[:3], (1, 2**31), *file[4:]))
    answer = js.ask({"op": "keystore_open", "file": hostile.hex(), "passphrase": "pw"})
    assert answer["error"] == "keystore"
    assert "out of range" in answer["reason"]


def test_js_key_cards_are_the_references(js: Harness) -> None:
    seed, body = _mid("card seed"), _mid("card body")
    salt, nonce = bytes([3]) * 16, bytes([4]) * 24
    args = {"body": body, "name": "José Ñuñez", "salt": salt, "nonce": nonce, **LIMITS}
    python_card = keycard.seal(seed, "ñandú  azul río", **args)  # type: ignore[arg-type]
    answer = js.ask(
        {
            "op": "card_seal",
            "seed": seed.hex(),
            "pin": "ñandú  azul río",
            **{k: v.hex() if isinstance(v, bytes) else v for k, v in args.items()},
        }
    )
    assert answer["card"] == python_card.hex()
    # a loosely typed PIN (decomposed ñ, extra white space) opens it in JS
    loose = " n\u0303and\u00fa azul\tri\u0301o \n"
    opened = js.ask({"op": "card_open", "card": python_card.hex(), "pin": loose})
    assert (opened["seed"], opened["name"]) == (seed.hex(), "José Ñuñez")
    wrong = js.ask({"op": "card_open", "card": python_card.hex(), "pin": "ñandú azul rio"})
    assert (wrong["error"], wrong["reason"]) == ("wrong_pin", "wrong PIN for José Ñuñez's card")
    short = js.ask(
        {"op": "card_seal", "seed": seed.hex(), "pin": "1234567", "body": body.hex(), "name": "x"}
    )
    assert short["error"] == "card" and "at least 8" in short["reason"]


# --- the @noble fallback (no crypto.subtle: a page over plain HTTP) -------------------------


def test_noble_fallback_passes_every_vector(js_noble: Harness) -> None:
    hello = js_noble.ask({"op": "hello"})
    assert hello["backend"] == "noble"
    report = run_vectors(js_noble, ops=hello["ops"])
    assert report.failures == []
    assert report.passed >= 177


@FAST
@given(seed=st.binary(min_size=32, max_size=32), msg=st.binary(max_size=300))
def test_noble_signatures_equal_pynacl(js_noble: Harness, seed: bytes, msg: bytes) -> None:
    public, secret = nacl.bindings.crypto_sign_seed_keypair(seed)
    expected = nacl.bindings.crypto_sign(msg, secret)[:64]
    assert (
        js_noble.ask({"op": "sign", "seed": seed.hex(), "msg": msg.hex()})["sig"] == expected.hex()
    )
    answer = js_noble.ask(
        {"op": "verify", "pk": public.hex(), "msg": msg.hex(), "sig": expected.hex()}
    )
    assert answer["valid"] is True
    forged = js_noble.ask(
        {"op": "verify", "pk": public.hex(), "msg": (msg + b"!").hex(), "sig": expected.hex()}
    )
    assert forged["valid"] is False


def _nacl_valid(pk: bytes, msg: bytes, sig: bytes) -> bool:
    try:
        nacl.bindings.crypto_sign_open(sig + msg, pk)
    except Exception:
        return False
    return True


@FAST
@given(
    seed=st.binary(min_size=32, max_size=32),
    msg=st.binary(max_size=64),
    where=st.sampled_from(["pk", "sig", "msg", "random_pk", "none"]),
    bit=st.integers(0, 511),
)
def test_js_verify_agrees_with_libsodium_on_mutations(
    js: Harness, js_noble: Harness, seed: bytes, msg: bytes, where: str, bit: int
) -> None:
    """One bit flipped anywhere (or a random key): both JS backends give
    libsodium's answer (spec/signatures.md: its rules are the spec's)."""
    pk, secret = nacl.bindings.crypto_sign_seed_keypair(seed)
    sig = nacl.bindings.crypto_sign(msg, secret)[:64]

    def flip(b: bytes) -> bytes:
        if not b:
            return b"\x01"
        out = bytearray(b)
        out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
        return bytes(out)

    if where == "pk":
        pk = flip(pk)
    elif where == "sig":
        sig = flip(sig)
    elif where == "msg":
        msg = flip(msg)
    elif where == "random_pk":
        pk = hashlib.sha256(seed + bytes([bit % 256])).digest()
    want = _nacl_valid(pk, msg, sig)
    request = {"op": "verify", "pk": pk.hex(), "msg": msg.hex(), "sig": sig.hex()}
    assert js.ask(request)["valid"] is want
    assert js_noble.ask(request)["valid"] is want


EDGE_CHARS = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u3000\ufeff\u200bKk\u212a0"


@FAST
@given(
    key=st.binary(min_size=32, max_size=32),
    before=st.text(alphabet=EDGE_CHARS, max_size=3),
    after=st.text(alphabet=EDGE_CHARS, max_size=3),
    at=st.integers(0, 70),
    typo=st.sampled_from(["", "a", "Z", "1", "\u212a", "é", "ck1"]),
    upper=st.booleans(),
)
def test_js_key_text_agrees_with_python(
    js: Harness, key: bytes, before: str, after: str, at: int, typo: str, upper: bool
) -> None:
    """Padding, case, a typo or an inserted character: the same key or the
    same code and offset as protocol.keys (spec/keys.md)."""
    text = key_to_text(key)
    if upper:
        text = text[:3] + text[3:].upper()
    if typo:
        i = at % (len(text) + 1)
        text = text[:i] + typo + text[i + 1 :]
    text = before + text + after
    try:
        want: tuple[Any, ...] = (True, key_from_text(text).hex(), None)
    except ProtocolError as e:
        want = (False, e.code, e.offset)
    answer = js.ask({"op": "key_from_text", "text": text})
    got = (
        (True, answer["key"], None) if answer["ok"] else (False, answer["error"], answer["offset"])
    )
    assert got == want, repr(text)


@FAST
@given(pin=st.text(alphabet=EDGE_CHARS + "ñn\u0303u\u0301ú12 ", max_size=12))
def test_js_pin_normalisation_is_the_references(js: Harness, pin: str) -> None:
    answer = js.ask({"op": "normalise_pin", "pin": pin})
    assert answer["pin"] == keycard.normalise_pin(pin).hex(), repr(pin)


VALID_MESSAGES = [
    (bytes.fromhex(c["message"]), c.get("body"))
    for c in json.loads((VECTORS / "messages.json").read_text())["tests"]
    if c["result"] == "valid"
]


@FAST
@given(
    which=st.integers(0, 10**6),
    at=st.integers(0, 10**6),
    byte=st.integers(0, 255),
    how=st.sampled_from(["replace", "insert", "delete", "truncate"]),
)
def test_js_decode_agrees_with_python_on_mutated_messages(
    js: Harness, which: int, at: int, byte: int, how: str
) -> None:
    """One byte changed, inserted or removed, or the message cut, anywhere in
    a valid vector: the same verdict and code (and offset) as the reference."""
    raw, body = VALID_MESSAGES[which % len(VALID_MESSAGES)]
    i = at % len(raw)
    data = {
        "replace": raw[:i] + bytes([byte]) + raw[i + 1 :],
        "insert": raw[:i] + bytes([byte]) + raw[i:],
        "delete": raw[:i] + raw[i + 1 :],
        "truncate": raw[:i],
    }[how]
    try:
        env = envelope.open_untrusted(data, None if body is None else bytes.fromhex(body))
        want: tuple[Any, ...] = (True, env.id.hex(), None, None)
    except ProtocolError as e:
        want = (False, e.code, e.field, e.offset)
    answer = js.ask({"op": "decode", "message": data.hex(), "body": body})
    got = (
        (True, answer["message_id"], None, None)
        if answer["ok"]
        else (False, answer["error"], answer["field"], answer["offset"])
    )
    assert got == want, (how, i, data.hex())


def test_js_frames_with_the_browsers_compression_streams() -> None:
    """Radio frames with the zlib a page has (DecompressionStream and
    CompressionStream, core/zlib.js's streamsZlib) instead of node:zlib:
    frames.json passes the same, bytes after a zlib stream included."""
    import shutil

    from interop.runner import js_harness_command

    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    with Harness([*js_harness_command(), "--compression-streams"]) as h:
        report = run_vectors(h, only=VECTORS / "frames.json", framing=False)
    assert report.failures == []
    assert report.passed >= 79
