"""Properties of the canonical encoding and of envelopes (spec/encoding.md).

- decode(encode(v)) == v for every value of the subset;
- the fast path (msgpack C extension) and the strict parser agree on every
  input: same value, or the same error class;
- arbitrary bytes only ever raise this package's errors;
- every single-byte mutation of a signed message is rejected or yields a
  different id;
- parsers are checked whole and with trailing bytes.
"""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from protocol import canonical, envelope, kinds
from protocol.canonical import _strict_decode
from protocol.errors import NonCanonical, ProtocolError, TrailingBytes
from protocol.keys import public_key

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text(max_size=40)
    | st.binary(max_size=300)
)
keys = st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=20).map(tuple) | st.dictionaries(keys, inner, max_size=6)
    ),
    max_leaves=40,
)


@given(values)
@SETTINGS
def test_decode_inverts_encode(value: object) -> None:
    data = canonical.encode(value)
    assert canonical.decode(data) == value
    assert _strict_decode(data) == value
    assert canonical.encode(canonical.decode(data)) == data


def _outcome(fn, data: bytes):  # type: ignore[no-untyped-def]
    try:
        return ("ok", fn(data))
    except ProtocolError as exc:
        return ("error", type(exc))


@given(st.binary(max_size=64))
@SETTINGS
def test_arbitrary_bytes_raise_only_protocol_errors_and_paths_agree(data: bytes) -> None:
    assert _outcome(canonical.decode, data) == _outcome(_strict_decode, data)


@given(values, st.data())
@SETTINGS
def test_mutated_encodings_fast_and_strict_paths_agree(value: object, data: st.DataObject) -> None:
    encoded = bytearray(canonical.encode(value))
    assume(encoded)
    i = data.draw(st.integers(0, len(encoded) - 1))
    encoded[i] = data.draw(st.integers(0, 255))
    mutated = bytes(encoded)
    assert _outcome(canonical.decode, mutated) == _outcome(_strict_decode, mutated)


@given(values, st.binary(min_size=1, max_size=4))
@SETTINGS
def test_trailing_bytes_are_rejected_where_the_value_ends(value: object, extra: bytes) -> None:
    data = canonical.encode(value)
    with pytest.raises(ProtocolError) as info:
        canonical.decode(data + extra)
    assert isinstance(info.value, TrailingBytes)
    assert info.value.offset == len(data)


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b"\xcc\x05", 0),  # 5 as uint8
        (b"\xcd\x00\xff", 0),  # 255 as uint16
        (b"\xd0\xff", 0),  # -1 as int8
        (b"\xd0\x05", 0),  # 5 in a signed form
        (b"\x92\x01\xd9\x01a", 2),  # 1-byte string as str8, inside an array
        (b"\xc5\x00\x01a", 0),  # 1-byte bin as bin16
        (b"\xdc\x00\x01\x01", 0),  # 1-element array as array16
    ],
)
def test_non_shortest_forms_are_named_with_their_offset(data: bytes, offset: int) -> None:
    with pytest.raises(NonCanonical) as info:
        canonical.decode(data)
    assert info.value.offset == offset


SEED = hashlib.sha256(b"mutation author").digest()


def _sample() -> list[envelope.Envelope]:
    g = envelope.sign(
        SEED,
        None,
        kinds.Genesis(kinds.BodyKind.COMMUNITY, "M", None, (public_key(SEED),), (), b""),
        seq=1,
        time=5,
    )
    p = envelope.sign(
        SEED, g.body, kinds.Proposal("P", "text", "", None, None), parents=[g.id], seq=2, time=6
    )
    v = envelope.sign(
        SEED, g.body, kinds.Vote(p.id, kinds.Choice.FOR), parents=[g.id, p.id], seq=3, time=7
    )
    gr = envelope.sign(
        SEED,
        g.body,
        kinds.Grievance(p.id, "cost", False, "too dear"),
        parents=[v.id],
        seq=4,
        time=8,
    )
    return [g, p, v, gr]


MESSAGES = _sample()


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: kinds.Kind(m.kind).name.lower())
def test_every_single_byte_mutation_is_rejected_or_changes_the_id(
    message: envelope.Envelope,
) -> None:
    body = None if message.kind == kinds.Kind.GENESIS else message.body
    raw = message.raw
    for i in range(len(raw)):
        for delta in (0x01, 0x80, 0xFF):
            mutated = bytearray(raw)
            mutated[i] ^= delta
            try:
                env = envelope.open_untrusted(bytes(mutated), body)
            except ProtocolError:
                continue
            assert env.id != message.id


@given(st.binary(max_size=400))
@settings(max_examples=500, deadline=None)
def test_open_untrusted_on_random_bytes_raises_only_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        envelope.open_untrusted(data, MESSAGES[0].body)


@given(st.sampled_from(MESSAGES), st.integers(0, 500), st.binary(min_size=1, max_size=8))
@settings(max_examples=300, deadline=None)
def test_spliced_messages_raise_only_protocol_errors(
    message: envelope.Envelope, cut: int, junk: bytes
) -> None:
    raw = message.raw
    cut = min(cut, len(raw))
    with contextlib.suppress(ProtocolError):
        envelope.open_untrusted(raw[:cut] + junk + raw[cut:], message.body)


def test_parsing_whole_one_byte_at_a_time_prefixes_and_trailing() -> None:
    v = MESSAGES[2]
    assert envelope.open_untrusted(v.raw, v.body) == v
    for n in range(len(v.raw)):
        with pytest.raises(ProtocolError):
            envelope.open_untrusted(v.raw[:n], v.body)
    with pytest.raises(ProtocolError):
        envelope.open_untrusted(v.raw + b"\x00", v.body)
