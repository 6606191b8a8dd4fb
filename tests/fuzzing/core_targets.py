"""Fuzz targets of the sans-IO cores: ``protocol`` and ``crdt``.

Allowed errors are the packages' remote errors (protocol.errors: "any
other exception escaping ``*_untrusted`` functions is a bug"); a
reconciliation session and the assembly fold raise nothing at all.
"""

from __future__ import annotations

import contextlib
from typing import Any

import nacl.bindings

from crdt.errors import RemoteCrdtError
from crdt.log import Log
from crdt.reconcile import PeerError, Session, SortedIds
from crdt.text import TextDocument
from crdt.text_guard import check_ops
from protocol import canonical, envelope, keycard, keystore
from protocol.assembly import Assembly, SubjectKind
from protocol.errors import BadKeyText, KeystoreError, ProtocolError, RemoteProtocolError
from protocol.keys import key_from_text, key_to_text, public_key
from protocol.kinds import Kind
from protocol.nesting import LevelProof
from protocol.testing import seed_of
from protocol.verdict import Attestation, FullProof, verify_attestation, verify_full_proof

from .target import Target, once, pack_frames, text_of, unpack_frames, vectors

# --- signing hostile content as a member would -------------------------------------------

NAMES = (
    "a stranger", "ana", "bea", "c1", "c2", "c3", "cruz", "dev", "eli", "fay", "fern", "gus",
    "k1", "mallory", "mun1", "mun2", "r1", "r2", "r3", "x1", "x3", "y1", "zed",
    *(f"m{i}" for i in range(10)),
)  # fmt: skip
"""The names whose seeds (protocol.testing.seed_of) sign spec/vectors' logs."""


@once
def _secrets() -> dict[bytes, bytes]:
    """Author key -> Ed25519 secret key, for every author of the vectors' logs."""
    out = {}
    for name in NAMES:
        pk, sk = nacl.bindings.crypto_sign_seed_keypair(seed_of(name))
        out[pk] = sk
    for t in vectors("messages")["tests"]:
        if t.get("seed"):
            pk, sk = nacl.bindings.crypto_sign_seed_keypair(bytes.fromhex(t["seed"]))
            out[pk] = sk
    return out


def resign(content: bytes, body: bytes) -> bytes:
    """``content`` signed by its author for ``body`` when the author is one
    of the vectors' (a Byzantine member can sign anything); otherwise with a
    zero signature. Either way the bytes go to the parser unchanged."""
    with contextlib.suppress(ProtocolError):
        value = canonical.decode(content, max_bytes=envelope.MAX_MESSAGE_BYTES)
        if type(value) is tuple and len(value) == 6 and type(value[1]) is bytes:
            secret = _secrets().get(value[1])
            if secret is not None:
                context = envelope.GENESIS_CONTEXT if value[0] == Kind.GENESIS else body
                signed = envelope.SIGN_DOMAIN + context + content
                sig = nacl.bindings.crypto_sign(signed, secret)[: envelope.SIGNATURE_BYTES]
                return content + sig
    return content + bytes(envelope.SIGNATURE_BYTES)


def _encode(value: Any) -> bytes | None:
    try:
        return canonical.encode(value)
    except ProtocolError:
        return None


# --- canonical values and envelopes -------------------------------------------------------


@once
def _messages() -> list[tuple[bytes, bytes | None]]:
    return [
        (bytes.fromhex(t["message"]), bytes.fromhex(t["body"]) if t.get("body") else None)
        for t in vectors("messages")["tests"]
    ]


@once
def _bodies() -> list[bytes]:
    return sorted({b for _, b in _messages() if b is not None})


def _canonical(data: bytes) -> None:
    try:
        value = canonical.decode(data)
    except RemoteProtocolError:
        return
    assert canonical.encode(value) == data, "a decoded value re-encodes to other bytes"


def _envelope(data: bytes) -> None:
    for body in (None, *_bodies()[:1], bytes(32)):
        try:
            env = envelope.decode_untrusted(data, body)
        except RemoteProtocolError:
            continue
        envelope.fields_of(env)  # the harness and the node describe what decodes
        with contextlib.suppress(RemoteProtocolError):
            envelope.verify(env)


# --- the assembly fold, fed hostile content signed by members ----------------------------


@once
def _process_cases() -> list[tuple[list[envelope.Envelope], int]]:
    out = []
    for case in vectors("process")["cases"]:
        raws = [bytes.fromhex(m) for m in case["messages"]]
        genesis = envelope.decode_untrusted(raws[0], None)
        envs = [genesis] + [envelope.decode_untrusted(r, genesis.body) for r in raws[1:]]
        out.append((envs, int(case["now"])))
    return out


def _process_seeds() -> list[bytes]:
    out = []
    for i, (envs, _) in enumerate(_process_cases()):
        for env in envs[1:]:
            out.append(canonical.encode((i, env.content)))
    return out


def _process(data: bytes) -> None:
    """[case, content, ...]: each content signed by its author for the
    case's body, submitted after the case's log, then the fold read in full
    (what gen_process.expected reads and the node's views show)."""
    try:
        value = canonical.decode(data, max_bytes=1 << 20)
    except RemoteProtocolError:
        return
    if type(value) is not tuple or len(value) < 2 or type(value[0]) is not int:
        return
    cases = _process_cases()
    envs, now = cases[value[0] % len(cases)]
    body = envs[0].body
    log = Log(body)
    for env in envs:
        log.add(env)
    for content in value[1:8]:
        if type(content) is not bytes:
            continue
        try:
            log.add(envelope.open_untrusted(resign(content, body), body))
        except (RemoteProtocolError, RemoteCrdtError):
            continue
    a = Assembly(body).fold(log)
    for sid, s in a.subjects.items():
        a.verdict(sid)
        if s.kind == SubjectKind.PROPOSAL:
            a.text(sid)
    a.roster().current_keys()
    a.mandates(now)
    a.state_hash()


# --- keys -----------------------------------------------------------------------------------


def _card_fixup(data: bytes) -> bytes:
    """Recompute a mutated card's check value (the card's own checksum)."""
    with contextlib.suppress(ProtocolError):
        value = canonical.decode(data)
        if type(value) is tuple and value:
            fixed = _encode((*value[:-1], keycard._check(value[:-1])))
            if fixed is not None:
                return fixed
    return data


def _card(data: bytes) -> None:
    try:
        card = keycard.read(data)
    except keycard.CardError:
        return
    if card.opslimit == keycard.MIN_OPSLIMIT and card.memlimit <= 1 << 16:
        with contextlib.suppress(keycard.CardError):
            keycard.unseal(data, "0000")


def _keystore_seeds() -> list[bytes]:
    out = [bytes.fromhex(k["file"]) for k in vectors("keys")["keystore"]]
    out.append(
        keystore.seal(
            seed_of("ana"),
            "pass",
            salt=bytes(16),
            nonce=bytes(24),
            opslimit=keystore.MIN_OPSLIMIT,
            memlimit=keystore.MIN_MEMLIMIT,
        )
    )
    return out


def _keystore(data: bytes) -> None:
    try:
        info = keystore.info(data)
    except KeystoreError:
        return
    if info.opslimit == keystore.MIN_OPSLIMIT and info.memlimit <= 1 << 16:  # cheap to try
        with contextlib.suppress(KeystoreError):
            keystore.unseal(data, "pass")


def _key_text_seeds() -> list[bytes]:
    out = [t["text"].encode() for t in vectors("keys")["key_text"]]
    return [*out, key_to_text(public_key(seed_of("ana"))).encode()]


def _key_text(data: bytes) -> None:
    with contextlib.suppress(BadKeyText):
        key_from_text(text_of(data))


# --- verdict proofs -------------------------------------------------------------------------


@once
def _proofs() -> list[tuple[bytes, bytes, bytes]]:
    return [
        (bytes.fromhex(p["proof"]), bytes.fromhex(p["higher_body"]), bytes.fromhex(p["resolution"]))
        for p in vectors("verdicts")["proofs"]
    ]


def _proof_fixup(data: bytes) -> bytes:
    """Re-sign a mutated proof's messages (all but the genesis) for its community."""
    with contextlib.suppress(ProtocolError):
        value = canonical.decode(data, max_bytes=1 << 22)
        if (
            type(value) is tuple
            and len(value) == 3
            and type(value[1]) is bytes
            and len(value[1]) == 32
            and type(value[2]) is tuple
            and all(type(m) is bytes and len(m) > 64 for m in value[2])
        ):
            msgs = value[2]
            signed = msgs[:1] + tuple(resign(m[:-64], value[1]) for m in msgs[1:])
            fixed = _encode((value[0], value[1], signed))
            if fixed is not None:
                return fixed
    return data


def _full_proof(data: bytes) -> None:
    try:
        proof = FullProof.decode_untrusted(data)
    except RemoteProtocolError:
        return
    pairs = _proof_targets()
    higher, resolution = pairs.get(proof.community, next(iter(pairs.values())))
    with contextlib.suppress(RemoteProtocolError):
        verify_full_proof(proof, higher_body=higher, resolution=resolution)


@once
def _proof_targets() -> dict[bytes, tuple[bytes, bytes]]:
    """The vectors' (higher body, resolution) by the community they prove for."""
    return {FullProof.decode_untrusted(p).community: (h, r) for p, h, r in _proofs()}


def _attestation_seeds() -> list[bytes]:
    return [bytes.fromhex(a["attestation"]) for a in vectors("verdicts")["attestations"]]


def _attestation(data: bytes) -> None:
    try:
        att = Attestation.decode_untrusted(data)
    except RemoteProtocolError:
        return
    with contextlib.suppress(RemoteProtocolError):
        verify_attestation(att, 1)
    with contextlib.suppress(RemoteProtocolError):
        verify_attestation(att, 3, frozenset(k for k, _ in att.signatures[1:]))


def _level_proof_seeds() -> list[bytes]:
    out = []
    for case in vectors("verdicts")["people"]:
        for part in case.get("parts", []):
            if isinstance(part, str):
                out.append(bytes.fromhex(part))
            elif isinstance(part, dict):
                out.extend(
                    bytes.fromhex(v) for v in part.values() if isinstance(v, str) and len(v) > 64
                )
    return out or [p for p, _, _ in _proofs()]


def _level_proof(data: bytes) -> None:
    with contextlib.suppress(RemoteProtocolError):
        LevelProof.decode_untrusted(data)


# --- reconciliation ---------------------------------------------------------------------------


@once
def _transcripts() -> list[dict[str, Any]]:
    out = []
    for case in vectors("reconcile")["tests"]:
        out.append(
            {
                "b": SortedIds(bytes.fromhex(i) for i in case["b_ids"]),
                "a": SortedIds(bytes.fromhex(i) for i in case["a_ids"]),
                "frames": [bytes.fromhex(f["frame"]) for f in case["frames"] if f["from"] == "a"],
                "max_frame": case["max_frame"],
                "branching": case["branching"],
                "idlist_threshold": case["idlist_threshold"],
            }
        )
    return out


def _reconcile_seeds() -> list[bytes]:
    out = []
    for i, case in enumerate(_transcripts()):
        frames = case["frames"]
        for k in range(1, len(frames) + 1):
            out.append(pack_frames([bytes([i]), *frames[:k]]))
    return out


def _reconcile(data: bytes) -> None:
    """[selector, frame, ...]: the frames of side a of a transcript (chosen
    by the selector) arrive at side b (or, by the selector's high bit, at an
    initiating a): the session ends, at worst, with a PeerError."""
    frames = unpack_frames(data)
    selector = frames[0][0] if len(frames) > 1 and len(frames[0]) == 1 else 0
    if len(frames) > 1 and len(frames[0]) == 1:
        frames = frames[1:]
    cases = _transcripts()
    case = cases[selector % len(cases)]
    initiate = bool(selector & 0x80)
    s = Session(
        case["a" if initiate else "b"],
        max_frame=case["max_frame"],
        branching=case["branching"],
        idlist_threshold=case["idlist_threshold"],
    )
    if initiate:
        s.initiate()
        s.frames_to_send()
    for i, frame in enumerate(frames):
        s.receive_frame(frame, float(i))
        s.frames_to_send()
    for event in s.events():
        if isinstance(event, PeerError):
            assert event.code in ("malformed", "protocol"), event


# --- text operations ----------------------------------------------------------------------------


def _ops_value(raw: Any) -> Any:
    if isinstance(raw, list):
        return tuple(_ops_value(x) for x in raw)
    if isinstance(raw, str) and len(raw) == 64:
        with contextlib.suppress(ValueError):
            return bytes.fromhex(raw)
    return raw


@once
def _text_cases() -> list[dict[str, Any]]:
    out = []
    for case in vectors("text")["tests"]:
        msgs = case["messages"]
        order = case["orders"][0]
        out.append(
            {
                "root": bytes.fromhex(case["root"]),
                "initial": case["initial"],
                "applied": [
                    (bytes.fromhex(msgs[i]["id"]), _ops_value(msgs[i]["ops"])) for i in order[:-1]
                ],
                "last": _ops_value(msgs[order[-1]]["ops"]),
            }
        )
    return out


def _text_seeds() -> list[bytes]:
    return [canonical.encode((i, c["last"])) for i, c in enumerate(_text_cases())]


def _text(data: bytes) -> None:
    """[case, ops]: ops of a new message on a text case's document (all
    its other messages applied); refused with a RemoteCrdtError that changes
    nothing, or applied."""
    try:
        value = canonical.decode(data)
    except RemoteProtocolError:
        return
    if type(value) is not tuple or len(value) != 2 or type(value[0]) is not int:
        return
    cases = _text_cases()
    case = cases[value[0] % len(cases)]
    doc = TextDocument(case["root"], case["initial"])
    for mid, ops in case["applied"]:
        doc.apply(mid, ops)
    ops = value[1] if type(value[1]) is tuple else (value[1],)
    past = {case["root"], *(m for m, _ in case["applied"])}
    before = doc.state_bytes()
    try:
        check_ops(doc, b"\x02" * 32, ops, past)
    except RemoteCrdtError:
        assert doc.state_bytes() == before, "a refused op changed the document"
        return
    doc.apply(b"\x02" * 32, ops)
    doc.text()


TARGETS = [
    Target(
        "canonical",
        _canonical,
        lambda: [m for m, _ in _messages()],
        "protocol.canonical.decode: any bytes (and re-encoding what decodes)",
    ),
    Target(
        "envelope",
        _envelope,
        lambda: [m for m, _ in _messages()],
        "protocol.envelope.decode_untrusted/verify/fields_of: a message's bytes",
    ),
    Target(
        "process",
        _process,
        _process_seeds,
        "members' hostile (validly signed) messages through crdt.log and the assembly fold",
    ),
    Target(
        "key_card",
        _card,
        lambda: [bytes.fromhex(c["card"]) for c in vectors("cards")["cards"]],
        "protocol.keycard.read/unseal: a printed key card's bytes",
        fixup=_card_fixup,
    ),
    Target("keystore", _keystore, _keystore_seeds, "protocol.keystore.info/unseal: a key file"),
    Target(
        "key_text",
        _key_text,
        _key_text_seeds,
        "protocol.keys.key_from_text: a key's text form",
        shape="text",
    ),
    Target(
        "full_proof",
        _full_proof,
        lambda: [p for p, _, _ in _proofs()],
        "protocol.verdict FullProof.decode_untrusted/verify_full_proof",
        fixup=_proof_fixup,
    ),
    Target(
        "attestation",
        _attestation,
        _attestation_seeds,
        "protocol.verdict Attestation.decode_untrusted/verify_attestation",
    ),
    Target(
        "level_proof",
        _level_proof,
        _level_proof_seeds,
        "protocol.nesting LevelProof.decode_untrusted",
    ),
    Target(
        "reconcile",
        _reconcile,
        _reconcile_seeds,
        "crdt.reconcile Session.receive_frame: a peer's frames in a session",
    ),
    Target(
        "text_ops",
        _text,
        _text_seeds,
        "crdt.text_guard.check_ops then TextDocument.apply: a message's text ops",
    ),
]
