"""Parser edges the other property tests leave implicit (spec/encoding.md
rule 6, spec/envelope.md "Decoding order"):

- every proper prefix of a canonical value is ``truncated``, on both paths
  (the h11 habit of feeding input one byte at a time, for a one-shot parser);
- ``decode_prefix`` returns the value and its exact length, whatever follows;
- a message with bytes appended is ``trailing_bytes`` at the end of its
  original content (the signature is the last 64 bytes, so extra bytes push
  the signature's first bytes into the content);
- EVERY single-byte substitution (all 255 other values at every position)
  of a signed vote and of a proposal is rejected.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_canonical_properties import MESSAGES, values

from protocol import canonical, envelope, kinds
from protocol.canonical import _strict_decode
from protocol.errors import BadSignature, ProtocolError, TrailingBytes, Truncated


@given(values)
@settings(max_examples=150, deadline=None)
def test_every_proper_prefix_is_truncated_on_both_paths(value: object) -> None:
    data = canonical.encode(value)
    for n in range(len(data)):
        for decode in (canonical.decode, _strict_decode):
            with pytest.raises(Truncated) as info:
                decode(data[:n])
            assert info.value.offset is not None and info.value.offset <= n


@given(values, st.binary(max_size=16))
@settings(max_examples=150, deadline=None)
def test_decode_prefix_finds_the_end_of_the_value(value: object, rest: bytes) -> None:
    data = canonical.encode(value)
    decoded, length = canonical.decode_prefix(data + rest)
    assert decoded == value and length == len(data)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: kinds.Kind(m.kind).name.lower())
@pytest.mark.parametrize("extra", [b"\x00", b"\xc0" * 3, bytes(64)])
def test_appended_bytes_are_trailing_bytes_at_the_end_of_the_content(
    message: envelope.Envelope, extra: bytes
) -> None:
    body = None if message.kind == kinds.Kind.GENESIS else message.body
    with pytest.raises(TrailingBytes) as info:
        envelope.open_untrusted(message.raw + extra, body)
    assert info.value.offset == len(message.content)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: kinds.Kind(m.kind).name.lower())
def test_every_proper_prefix_of_a_message_is_truncated(message: envelope.Envelope) -> None:
    body = None if message.kind == kinds.Kind.GENESIS else message.body
    for n in range(len(message.raw)):
        with pytest.raises(Truncated):
            envelope.decode_untrusted(message.raw[:n], body)


@pytest.mark.parametrize("index", [1, 2], ids=["proposal", "vote"])
def test_every_single_byte_substitution_is_rejected(index: int) -> None:
    message = MESSAGES[index]
    raw = message.raw
    signature_start = len(raw) - envelope.SIGNATURE_BYTES
    for i in range(len(raw)):
        for b in range(256):
            if b == raw[i]:
                continue
            mutated = bytes(raw[:i]) + bytes([b]) + raw[i + 1 :]
            try:
                envelope.open_untrusted(mutated, message.body)
            except BadSignature:
                continue
            except ProtocolError:
                # a form error can only come from the content, never the signature
                assert i < signature_start
                continue
            pytest.fail(f"byte {i} set to {b:#04x} was accepted")


@given(st.sampled_from(MESSAGES), st.binary(min_size=32, max_size=32))
@settings(max_examples=40, deadline=None)
def test_a_message_never_verifies_in_another_body(message: envelope.Envelope, other: bytes) -> None:
    assume(message.kind != kinds.Kind.GENESIS and other != message.body)
    env = envelope.decode_untrusted(message.raw, other)  # the form is body-independent
    with pytest.raises(BadSignature):
        envelope.verify(env)
