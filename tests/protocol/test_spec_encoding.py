"""spec/encoding.md's "Every leading byte" table, checked against the parser,
and the offsets the spec promises for faults inside a value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from protocol import canonical
from protocol.canonical import _strict_decode
from protocol.errors import InvalidUtf8, LocalProtocolError, ProtocolError

SPEC = (Path(__file__).resolve().parents[2] / "spec" / "encoding.md").read_text()
ROW = re.compile(
    r"^\| `([0-9a-f]{2})`(?:(?:–|, )`([0-9a-f]{2})`)? \| ([^|]+)\|[^|]+\|([^|]+)\| ([^|]+) \|$"
)


def _rows() -> list[tuple[range, str, str, str]]:
    rows = []
    for line in SPEC.splitlines():
        m = ROW.match(line)
        if m:
            lo, hi, kind, when, error = m.groups()
            first, last = int(lo, 16), int(hi or lo, 16)
            rows.append((range(first, last + 1), kind.strip(), when.strip(), error.strip()))
    return rows


ROWS = _rows()


def test_the_table_covers_every_byte_exactly_once() -> None:
    covered = sorted(b for r, *_ in ROWS for b in r)
    assert covered == list(range(256))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r[0].start:02x}-{r[1]}")
def test_never_allowed_bytes_give_the_named_error(row: tuple[range, str, str, str]) -> None:
    span, _kind, when, error = row
    if when != "never":
        return
    for b in span:
        for decode in (canonical.decode, _strict_decode):
            with pytest.raises(ProtocolError) as info:
                decode(bytes([b]) + bytes(20))
            assert info.value.code == error.strip("`")
            assert info.value.offset == 0


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r[0].start:02x}-{r[1]}")
def test_conditional_bytes_reject_their_non_canonical_use(row: tuple[range, str, str, str]) -> None:
    """The smallest payload after a sized header (all zero bytes) is the
    non-shortest form for every header whose rule is not "always"."""
    span, _kind, when, error = row
    if when in ("always", "never") or error != "`non_canonical`":
        return
    for b in span:
        with pytest.raises(ProtocolError) as info:
            canonical.decode(bytes([b]) + bytes(8))
        assert info.value.code == "non_canonical"  # for d0-d3: zero in a signed form
        assert info.value.offset == 0


@pytest.mark.parametrize("header", [b"\xa0", b"\xd9", b"\xda\x00", b"\xdb\x00\x00\x00"])
def test_invalid_utf8_offset_is_the_bad_byte_whatever_the_header_size(header: bytes) -> None:
    """Regression: the offset used to assume a 1-byte header, so str8/16/32
    reported 1, 2 or 4 bytes too early."""
    good = {b"\xa0": 5, b"\xd9": 40, b"\xda\x00": 300, b"\xdb\x00\x00\x00": 70000}[header]
    n = good + 1
    if header == b"\xa0":
        head = bytes([0xA0 | n])
    else:
        head = header[:1] + n.to_bytes({0xD9: 1, 0xDA: 2, 0xDB: 4}[header[0]], "big")
    data = head + b"a" * good + b"\xff"
    for decode in (lambda d: canonical.decode(d, max_bytes=100_000), _strict_decode):
        with pytest.raises(InvalidUtf8) as info:
            decode(data)
        assert info.value.offset == len(head) + good == data.index(b"\xff")


def _nest(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = (value,)
    return value


def test_depth_eight_is_allowed_and_nine_is_too_deep_at_the_ninth_header() -> None:
    assert canonical.decode(canonical.encode(_nest(8))) == _nest(8)
    data = b"\x91" * 9 + b"\x00"
    for decode in (canonical.decode, _strict_decode):
        with pytest.raises(ProtocolError) as info:
            decode(data)
        assert info.value.code == "too_deep" and info.value.offset == 8
    with pytest.raises(LocalProtocolError):
        canonical.encode(_nest(9))


@pytest.mark.parametrize("n", [2**64 - 1, -(2**63), 2**32, -(2**31) - 1, 127, 128, -32, -33])
def test_integer_edges_round_trip(n: int) -> None:
    assert canonical.decode(canonical.encode(n)) == n


@pytest.mark.parametrize("n", [2**64, -(2**63) - 1])
def test_integers_outside_the_subset_are_a_local_error(n: int) -> None:
    with pytest.raises(LocalProtocolError):
        canonical.encode(n)


@pytest.mark.parametrize(
    ("data", "code", "offset"),
    [
        (b"\x82\xa1b\x01\xa1a\x02", "map_key_order", 4),  # "b" before "a"
        (b"\x82\x01\x01\x01\x02", "map_key_order", 3),  # duplicate key 1
        (b"\x81\xc4\x01k\x01", "forbidden_type", 1),  # bin key
        (b"\x81\xc0\x01", "forbidden_type", 1),  # nil key
        (b"\x81\xc3\x01", "forbidden_type", 1),  # bool key
        (b"\x82\x05\x01\xa1a\x02", None, None),  # int keys sort before str keys
    ],
)
def test_map_keys(data: bytes, code: str | None, offset: int | None) -> None:
    for decode in (canonical.decode, _strict_decode):
        if code is None:
            assert canonical.encode(decode(data)) == data
            continue
        with pytest.raises(ProtocolError) as info:
            decode(data)
        assert (info.value.code, info.value.offset) == (code, offset)
