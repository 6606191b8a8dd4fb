"""Structure-aware fuzzing of every parser of untrusted input (issue 16).

Random bytes rarely get past the canonical decoder, so they never reach the
checks behind it. Here each case starts from a *valid* committed vector
(spec/vectors), decodes it to its canonical value, replaces one node of the
value tree with something hostile (another type, a boundary integer, a byte
string one too long or short, a dropped or repeated element, a deep nest),
re-encodes it (recomputing the integrity check where the format has one, so
the mutation reaches the field parsers) and feeds it to the parser. The only
exceptions allowed out are the package's own remote errors (STYLE.md: "any
other exception escaping the core is a bug, and a fuzz test asserts exactly
that"). Arbitrary bytes and arbitrary canonical values are thrown at each
parser as well.

The budget is generous (``EXAMPLES`` per parser, about a minute in all).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crdt.errors import RemoteCrdtError
from crdt.reconcile import PeerError, Session, SortedIds
from crdt.text import TextDocument
from crdt.text_guard import check_ops
from protocol import canonical, envelope, keycard
from protocol.errors import BadBundle, RemoteProtocolError
from protocol.nesting import LevelProof
from protocol.sneakernet import Bundle, _digest
from protocol.verdict import Attestation, FullProof, verify_full_proof

EXAMPLES = 800
BUDGET = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


def _load(name: str) -> Any:
    return json.loads((VECTORS / f"{name}.json").read_text())


MESSAGES = [
    (bytes.fromhex(t["message"]), bytes.fromhex(t["body"]) if t.get("body") else None)
    for t in _load("messages")["tests"]
    if t["result"] == "valid"
]
CARDS = [bytes.fromhex(c["card"]) for c in _load("cards")["cards"] if c["result"] == "valid"]
BUNDLES = [
    bytes.fromhex(b["bundle"]) for b in _load("sneakernet")["bundles"] if "error" not in b["expect"]
]
PROOFS = [
    (bytes.fromhex(p["proof"]), bytes.fromhex(p["higher_body"]), bytes.fromhex(p["resolution"]))
    for p in _load("verdicts")["proofs"]
]

# --- hostile values -----------------------------------------------------------------

_BOUNDARY_INTS = [0, 1, -1, 255, 256, 65535, 65536, 2**32, 2**40, 2**53, 2**63 - 1, 2**64 - 1]
_scalars = (
    st.none()
    | st.booleans()
    | st.sampled_from(_BOUNDARY_INTS)
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text(max_size=20)
    | st.binary(max_size=70)
    | st.sampled_from([b"\x00" * 31, b"\x00" * 32, b"\xff" * 32, b"\x00" * 33, b"\x00" * 64])
)
hostile = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=6).map(tuple)
        | st.dictionaries(st.integers(0, 9) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


def _tweak(draw: st.DrawFn, value: Any) -> Any:
    """A near miss of ``value``: same type, just out of line."""
    if type(value) is bool:
        return not value
    if type(value) is int:
        return draw(st.sampled_from([value + 1, value - 1, -value - 1, value + 2**32, 2**64 - 1]))
    if type(value) is bytes:  # nil is a bytes field's nearest miss (optional ids, bounds)
        return draw(st.sampled_from([None, value[:-1], value + b"\x00", value[::-1], b""]))
    if type(value) is str:
        return draw(st.sampled_from([value + "\x00", value * 50, "", value.upper()]))
    if type(value) is tuple:
        if not value:
            return (value,)
        return draw(st.sampled_from([value[:-1], value + value[-1:], value[::-1], (value,)]))
    return draw(hostile)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with one node (anywhere in its tree) replaced."""
    if isinstance(value, tuple) and value and draw(st.integers(0, 3)) != 0:
        i = draw(st.integers(0, len(value) - 1))
        return (*value[:i], draw(mutated(value[i])), *value[i + 1 :])
    if isinstance(value, dict) and value and draw(st.integers(0, 3)) != 0:
        key = draw(st.sampled_from(sorted(value, key=repr)))
        return {**value, key: draw(mutated(value[key]))}
    if draw(st.booleans()):
        return _tweak(draw, value)
    return draw(hostile)


def _encode(value: Any) -> bytes | None:
    try:
        return canonical.encode(value)
    except RemoteProtocolError:
        return None  # outside the subset (a too deep nest): nothing to send
    except Exception:
        return None


# --- envelopes: every kind's payload parser ---------------------------------------------


@given(st.data())
@BUDGET
def test_mutated_messages_raise_only_protocol_errors(data: st.DataObject) -> None:
    raw, body = data.draw(st.sampled_from(MESSAGES))
    content = canonical.decode(raw[:-64])
    wire = _encode(data.draw(mutated(content)))
    if wire is None:
        return
    for candidate in (wire + raw[-64:], wire + bytes(64)):
        for b in (body, None, b"\x00" * 32):
            try:
                env = envelope.open_untrusted(candidate, b)
            except RemoteProtocolError:
                continue
            envelope.fields_of(env)  # the node logs and serves what it accepted


@given(st.binary(max_size=600), st.sampled_from([None, b"\x00" * 32]))
@BUDGET
def test_arbitrary_bytes_as_a_message_raise_only_protocol_errors(
    data: bytes, body: bytes | None
) -> None:
    with contextlib.suppress(RemoteProtocolError):
        envelope.decode_untrusted(data, body)


# --- key cards -----------------------------------------------------------------------


@given(st.data())
@BUDGET
def test_mutated_key_cards_raise_only_card_errors(data: st.DataObject) -> None:
    value = canonical.decode(data.draw(st.sampled_from(CARDS)))
    fields = data.draw(mutated(value[:-1]))
    if not isinstance(fields, tuple):
        fields = (fields,)
    for card in (
        _encode((*fields, keycard._check(fields))) if _encode(fields) else None,
        _encode((*fields, value[-1])),
        _encode(fields),
    ):
        if card is None:
            continue
        with contextlib.suppress(keycard.CardError):
            keycard.read(card)


@given(st.binary(max_size=400) | hostile.map(lambda v: _encode(v) or b""))
@BUDGET
def test_arbitrary_key_cards_raise_only_card_errors(data: bytes) -> None:
    with contextlib.suppress(keycard.CardError):
        keycard.read(data)


# --- sneakernet bundles --------------------------------------------------------------------


@given(st.data())
@BUDGET
def test_mutated_bundles_raise_only_bundle_errors(data: st.DataObject) -> None:
    value = canonical.decode(data.draw(st.sampled_from(BUNDLES)))
    bad = data.draw(mutated(value[:-1]))
    candidates = [_encode((*bad, value[-1])) if isinstance(bad, tuple) else _encode(bad)]
    if (
        isinstance(bad, tuple)
        and len(bad) == 5
        and type(bad[2]) is bytes
        and type(bad[4]) is tuple
        and all(type(m) is bytes for m in bad[4])
    ):
        candidates.append(_encode((*bad, _digest(bad[2], bad[4]))))  # the digest made to match
    for wire in candidates:
        if wire is None:
            continue
        with contextlib.suppress(BadBundle):
            Bundle.decode_untrusted(wire)


@given(st.binary(max_size=400) | hostile.map(lambda v: _encode(v) or b""))
@BUDGET
def test_arbitrary_bundles_raise_only_bundle_errors(data: bytes) -> None:
    with contextlib.suppress(BadBundle):
        Bundle.decode_untrusted(data)


# --- verdict proofs -------------------------------------------------------------------------


@given(st.data())
@settings(BUDGET, max_examples=EXAMPLES // 5)
def test_mutated_full_proofs_raise_only_protocol_errors(data: st.DataObject) -> None:
    raw, higher, resolution = data.draw(st.sampled_from(PROOFS))
    value = canonical.decode(raw)
    wire = _encode(data.draw(mutated(value)))
    if wire is None:
        return
    try:
        proof = FullProof.decode_untrusted(wire)
        verify_full_proof(proof, higher_body=higher, resolution=resolution)
    except RemoteProtocolError:
        pass


@given(st.binary(max_size=300) | hostile.map(lambda v: _encode(v) or b""))
@BUDGET
def test_arbitrary_proofs_and_attestations_raise_only_protocol_errors(data: bytes) -> None:
    for parse in (FullProof.decode_untrusted, Attestation.decode_untrusted):
        with contextlib.suppress(RemoteProtocolError):
            parse(data)
    with contextlib.suppress(RemoteProtocolError):
        LevelProof.decode_untrusted(data)


# --- reconciliation: arbitrary bytes and values at a session ------------------------------


def _ids(n: int) -> list[bytes]:
    import hashlib

    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


@given(
    st.lists(st.binary(max_size=120) | hostile.map(lambda v: _encode(v) or b""), max_size=5),
    st.booleans(),
    st.integers(0, 20),
)
@BUDGET
def test_arbitrary_frames_at_a_session_end_it_with_a_peer_error(
    frames: list[bytes], initiate: bool, n: int
) -> None:
    s = Session(SortedIds(_ids(n)), max_frame=4096)
    if initiate:
        s.initiate()
        s.frames_to_send()
    for i, frame in enumerate(frames):
        s.receive_frame(frame, float(i))
        s.frames_to_send()
    for event in s.events():
        if isinstance(event, PeerError):
            assert event.code in ("malformed", "protocol")


TRANSCRIPTS = _load("reconcile")["tests"]


@given(st.data())
@BUDGET
def test_mutated_transcript_frames_end_a_session_with_a_peer_error(data: st.DataObject) -> None:
    """The committed transcripts replayed against b's set, one of a's frames
    with one to three nodes made hostile: a session ends, at worst, with a PeerError.
    (The OverflowError of issue 16 needs a turn's first frame with a nil
    lower bound *and* a fingerprint first range; tests/crdt/test_reconcile.py
    and tests/node/test_gossip_frames_fuzz.py hold it as an explicit example,
    since no budget here reliably draws that conjunction.)"""
    case = data.draw(st.sampled_from(TRANSCRIPTS))
    frames = [bytes.fromhex(f["frame"]) for f in case["frames"] if f["from"] == "a"]
    k = data.draw(st.integers(0, len(frames) - 1))
    value = canonical.decode(frames[k])
    for _ in range(data.draw(st.integers(1, 3))):  # some faults take two changes
        value = data.draw(mutated(value))
    wire = _encode(value)
    if wire is None:
        return
    b = Session(
        SortedIds(bytes.fromhex(i) for i in case["b_ids"]),
        max_frame=case["max_frame"],
        branching=case["branching"],
        idlist_threshold=case["idlist_threshold"],
    )
    for i, frame in enumerate([*frames[:k], wire, *frames[k + 1 :]]):
        b.receive_frame(frame, float(i))
        b.frames_to_send()
    for event in b.events():
        if isinstance(event, PeerError):
            assert event.code in ("malformed", "protocol")


# --- text operations: any value where an op list goes ---------------------------------------


@given(hostile)
@BUDGET
def test_arbitrary_text_ops_raise_only_crdt_errors(ops: Any) -> None:
    doc = TextDocument(b"\x01" * 32, "abc")
    before = doc.state_bytes()
    if not isinstance(ops, tuple):
        ops = (ops,)
    try:
        check_ops(doc, b"\x02" * 32, ops, {b"\x01" * 32})
    except RemoteCrdtError:
        assert doc.state_bytes() == before
        return
    doc.apply(b"\x02" * 32, ops)


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_deep_nests_are_refused_by_every_parser(depth: int) -> None:
    """A value nested past the canonical depth limit is a protocol error for
    every parser, not a RecursionError."""
    data = b"\x91" * depth + b"\xc0"
    for parse in (
        lambda d: envelope.decode_untrusted(d + bytes(64), None),
        FullProof.decode_untrusted,
        Attestation.decode_untrusted,
        LevelProof.decode_untrusted,
    ):
        with pytest.raises(RemoteProtocolError):
            parse(data)
    with pytest.raises(keycard.CardError):
        keycard.read(data)
    with pytest.raises(BadBundle):
        Bundle.decode_untrusted(data)
    s = Session(SortedIds([]))
    s.receive_frame(data, 0.0)
    assert [type(e) for e in s.events()] == [PeerError]
