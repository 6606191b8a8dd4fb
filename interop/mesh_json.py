"""The JSON form of radio frames (spec/mesh.md) that vectors/frames.json
records and the harness's ``frame_decode`` answers (spec/harness.md)."""

from __future__ import annotations

from typing import Any

from mesh import frames


def frame_fields(frame: frames.Frame, data: bytes) -> dict[str, Any]:
    """The decoded fields of a frame, as the vectors record them."""
    if isinstance(frame, frames.Msg):
        return {
            "type": "MSG",
            "ctx": frame.ctx.hex(),
            "compressed": bool(data[1 + frames.CTX] & frames.FLAG_ZLIB),
            "abbreviated": frame.abbreviated,
            "body": frame.body.hex(),
        }
    if isinstance(frame, frames.Frag):
        return {
            "type": "FRAG",
            "tag": frame.tag.hex(),
            "index": frame.index,
            "count": frame.count,
            "chunk": frame.chunk.hex(),
        }
    if isinstance(frame, frames.FragReq):
        return {
            "type": "FRAG_REQ",
            "tag": frame.tag.hex(),
            "count": frame.count,
            "missing": list(frame.missing),
        }
    if isinstance(frame, frames.Sync):
        form = "announcement" if frame.announcement else "nack" if frame.is_nack else "session"
        out: dict[str, Any] = {
            "type": "SYNC",
            "form": form,
            "ctx": frame.ctx.hex(),
            "session": frame.session.hex(),
            "from": frame.sender.hex(),
            "to": frame.receiver.hex(),
            "turn": frame.turn,
            "part": frame.part,
            "parts": frame.parts,
            "frame": frame.frame.hex(),
        }
        if frame.is_nack:
            out["missing"] = list(frame.missing)
        return out
    if isinstance(frame, frames.ExpandReq):
        return {"type": "EXPAND_REQ", "ctx": frame.ctx.hex(), "handle": frame.handle.hex()}
    if isinstance(frame, frames.Want):
        return {
            "type": frame.name,
            "ctx": frame.ctx.hex(),
            "from": frame.sender.hex(),
            "to": frame.receiver.hex(),
            "count": len(frame.prefixes),
            "prefixes": [p.hex() for p in frame.prefixes],
        }
    return {
        "type": "OBJECT",
        "ctx": frame.ctx.hex(),
        "what": int(frame.what),
        "compressed": bool(data[1 + frames.CTX] & 0x80),
        "data": frame.data.hex(),
    }
