"""JSON <-> message fields, the shape the harness and the vectors use.

Payloads travel as the JSON form of their wire array (``fields_of``):
arrays as lists, bin as ``{"bin": hex}``, everything else as itself.
Integers JSON cannot carry exactly (beyond 2^53 - 1 either side: a double
rounds them, and JavaScript's JSON.parse reads every number as one) are
written ``{"int": "decimal digits"}`` everywhere in the harness protocol
and the vector files (spec/harness.md); ``to_json`` and ``from_json``
convert a whole request or answer.
"""

from __future__ import annotations

import re
from typing import Any

from protocol.kinds import Payload, payload_from_wire

SAFE_INTEGER = 2**53 - 1
_DIGITS = re.compile(r"-?(0|[1-9][0-9]*)")


def to_json(value: Any) -> Any:
    """A value with every integer beyond +-(2^53 - 1) as ``{"int": digits}``."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -SAFE_INTEGER <= value <= SAFE_INTEGER else {"int": str(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def from_json(value: Any) -> Any:
    """The inverse of ``to_json``: ``{"int": digits}`` back to an int.
    Raises ValueError for an ``{"int": ...}`` that is not such a number, or
    for one that a plain JSON number would carry (one form per integer)."""
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"int"}:
            digits = value["int"]
            if not isinstance(digits, str) or not _DIGITS.fullmatch(digits):
                raise ValueError(f"{{'int': ...}} must hold decimal digits, not {digits!r}")
            n = int(digits)
            if -SAFE_INTEGER <= n <= SAFE_INTEGER:
                raise ValueError(f"{n} is written as a plain JSON number, not {{'int': ...}}")
            return n
        return {k: from_json(v) for k, v in value.items()}
    return value


def wire_from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"bin"}:
            return bytes.fromhex(value["bin"])
        raise ValueError("objects in payloads must be {'bin': hex}")
    if isinstance(value, list):
        return tuple(wire_from_json(v) for v in value)
    return value


def payload_from_json(cls: type[Payload], value: Any) -> Payload:
    """Build a payload from its JSON form, checked against its schema."""
    return payload_from_wire(cls.KIND, wire_from_json(value))
