"""What the harness's operations share: reading request fields (a bad
one is ``BadRequest``, answered ``bad_request``), writing a rejection,
and building a log from a request's messages."""

from __future__ import annotations

from typing import Any

from protocol import envelope

from .errors import BadRequest


def hex_field(
    request: dict[str, Any], name: str, *, size: int | None = None, optional: bool = False
) -> Any:
    value = request.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise BadRequest(f"{name} is not valid hex") from None
    if size is not None and len(raw) != size:
        raise BadRequest(f"{name} must be {size} bytes")
    return raw


def failure(exc: Exception) -> dict[str, Any]:
    """A rejection as harness.md writes it: the code, reason, field, offset
    (ProtocolError, CrdtError and MeshError all carry a code and reason)."""
    return {
        "ok": False,
        "error": getattr(exc, "code", "remote_error"),
        "reason": getattr(exc, "reason", str(exc)),
        "field": getattr(exc, "field", None),
        "offset": getattr(exc, "offset", None),
    }


def str_field(request: dict[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value


def hex_list(request: dict[str, Any], name: str) -> list[bytes]:
    values = request.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadRequest(f"{name} must be a list of hex strings")
    try:
        return [bytes.fromhex(v) for v in values]
    except ValueError:
        raise BadRequest(f"{name} holds a string that is not hex") from None


def int_field(request: dict[str, Any], name: str) -> int:
    value = request.get(name)
    if type(value) is not int:
        raise BadRequest(f"{name} must be an integer")
    return value


def log_of(body: bytes, raws: list[bytes]) -> Any:
    """A fresh log of ``body`` holding ``raws`` (each decoded, verified and
    inserted in the given order); raises ProtocolError or CrdtError."""
    from crdt.log import Log

    log = Log(body)
    for raw in raws:
        log.add(envelope.open_untrusted(raw, body))
    return log
