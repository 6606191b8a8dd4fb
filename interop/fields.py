"""JSON <-> message fields, the shape the harness and the vectors use.

Payloads travel as the JSON form of their wire array (``fields_of``):
arrays as lists, bin as ``{"bin": hex}``, everything else as itself.
"""

from __future__ import annotations

from typing import Any

from protocol.kinds import Payload, payload_from_wire


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
