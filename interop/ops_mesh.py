"""Harness operations on the mesh layer (spec/harness.md): radio frames,
abbreviation, fragmentation, sneakernet bundles and bulletin codes."""

from __future__ import annotations

from typing import Any

from protocol import envelope
from protocol.errors import ProtocolError

from .errors import BadRequest
from .requests import failure, hex_field, hex_list


def op_frame_decode(request: dict[str, Any]) -> dict[str, Any]:
    """A radio frame's fields (interop.mesh_json) and the one byte form
    they encode to (mesh.frames)."""
    from mesh import frames
    from mesh.errors import MeshError

    from .mesh_json import frame_fields

    data = hex_field(request, "frame")
    try:
        frame = frames.decode_untrusted(data)
    except MeshError as exc:
        return failure(exc)
    return {
        "ok": True,
        "fields": frame_fields(frame, data),
        "reencoded": frames.encode(frame).hex(),
    }


def _radio_context(request: dict[str, Any]) -> Any:
    """What one end of a link knows of a body: its roster and held ids."""
    from mesh import frames

    roster = hex_list(request, "roster")
    held = hex_list(request, "held")
    return frames.Context(bytes(32), roster, lambda p: [m for m in held if m.startswith(p)])


def op_frame_abbreviate(request: dict[str, Any]) -> dict[str, Any]:
    from mesh import frames
    from mesh.errors import MeshError

    try:
        short = frames.abbreviate(hex_field(request, "message"), _radio_context(request))
    except MeshError as exc:
        return failure(exc)
    return {"ok": True, "abbreviated": short.hex(), "handle": frames.handle_of(short).hex()}


def op_frame_expand(request: dict[str, Any]) -> dict[str, Any]:
    from mesh import frames
    from mesh.errors import MeshError

    try:
        raw = frames.expand_untrusted(hex_field(request, "abbreviated"), _radio_context(request))
    except MeshError as exc:
        return failure(exc)
    return {"ok": True, "message": raw.hex()}


def op_frame_fragment(request: dict[str, Any]) -> dict[str, Any]:
    from mesh import frames
    from mesh.errors import MeshError

    mtu = request.get("mtu")
    if type(mtu) is not int:
        raise BadRequest("mtu must be an integer")
    try:
        pieces = frames.fragment(hex_field(request, "frame"), mtu)
    except MeshError as exc:
        return failure(exc)
    return {"ok": True, "fragments": [p.hex() for p in pieces]}


def op_frame_reassemble(request: dict[str, Any]) -> dict[str, Any]:
    """FRAG frames received in the given order; the whole frame once the
    last one is in (null until then)."""
    from mesh import frames
    from mesh.errors import MeshError

    r = frames.Reassembler()
    whole = None
    for data in hex_list(request, "fragments"):
        try:
            frag = frames.decode_untrusted(data)
        except MeshError as exc:
            return failure(exc)
        if not isinstance(frag, frames.Frag):
            return {"ok": False, "error": "bad_frame", "reason": "not a FRAG frame"}
        whole = r.receive(frag, 0.0) or whole
    return {"ok": True, "frame": None if whole is None else whole.hex(), "dropped": r.dropped}


def _verified(raws: Any, body: bytes) -> list[str]:
    """Each message decoded and verified for ``body``: "ok" or its code."""
    out = []
    for raw in raws:
        try:
            envelope.open_untrusted(raw, body)
            out.append("ok")
        except ProtocolError as exc:
            out.append(exc.code)
    return out


def op_bundle_read(request: dict[str, Any]) -> dict[str, Any]:
    """A sneakernet bundle (protocol.sneakernet): refused whole, or its body,
    heads, message ids, each message's verification and the one byte form."""
    from protocol.sneakernet import Bundle

    try:
        b = Bundle.decode_untrusted(hex_field(request, "bundle"))
    except ProtocolError as exc:
        return failure(exc)
    return {
        "ok": True,
        "body": b.body.hex(),
        "heads": [h.hex() for h in b.heads],
        "messages": [envelope.message_id(m).hex() for m in b.messages],
        "verify": _verified(b.messages, b.body),
        "reencoded": b.encode().hex(),
    }


def op_bulletin_read(request: dict[str, Any]) -> dict[str, Any]:
    """Scanned bulletin codes (protocol.sneakernet), in the order scanned:
    the body, the message ids in order, the problems, each message verified."""
    from protocol.sneakernet import messages_from_payloads

    try:
        body, raws, problems = messages_from_payloads(hex_list(request, "payloads"))
    except ProtocolError as exc:
        return failure(exc)
    return {
        "ok": True,
        "body": body.hex(),
        "messages": [envelope.message_id(m).hex() for m in raws],
        "problems": problems,
        "verify": _verified(raws, body),
    }
