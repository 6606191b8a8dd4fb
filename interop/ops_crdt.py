"""Harness operations on the crdt layer (spec/harness.md): the text CRDT,
the DAG log and set reconciliation."""

from __future__ import annotations

from typing import Any

from protocol import envelope
from protocol.errors import ProtocolError

from .dag_json import log_json
from .errors import BadRequest
from .requests import failure, hex_field, hex_list


def _text_value(value: Any) -> Any:
    """Text ops from JSON: lists as tuples, a position ``[hex, offset]`` as
    ``(bytes, offset)``; anything else as it is, for the shape check."""
    if isinstance(value, list):
        if (
            len(value) == 2
            and isinstance(value[0], str)
            and len(value[0]) == 64
            and type(value[1]) is int
        ):
            try:
                return (bytes.fromhex(value[0]), value[1])
            except ValueError:
                pass
        return tuple(_text_value(v) for v in value)
    return value


def _spans(doc: Any) -> list[list[Any]]:
    """The document's runs, merged maximally: ``[hex, first offset, text, deleted]``."""
    out: list[list[Any]] = []
    for msg, off, text, deleted in doc.spans():
        last = out[-1] if out else None
        if last and last[0] == msg.hex() and last[1] + len(last[2]) == off and last[3] == deleted:
            last[2] += text
        else:
            out.append([msg.hex(), off, text, deleted])
    return out


def op_text_replay(request: dict[str, Any]) -> dict[str, Any]:
    """Apply messages' text ops in the given order to a fresh document; a
    message with ``past`` is first put through the receiver's causal check
    (crdt.text_guard); a rejection answers its code and the state before."""
    from crdt.errors import CrdtError
    from crdt.text import TextDocument
    from crdt.text_guard import check_ops

    messages = request.get("messages", [])
    initial = request.get("initial", "")
    if not isinstance(messages, list) or not isinstance(initial, str):
        raise BadRequest("messages must be a list and initial a string")
    doc = TextDocument(hex_field(request, "root", size=32), initial)
    for m in messages:
        if not isinstance(m, dict):
            raise BadRequest("each message must be an object")
        mid = hex_field(m, "id", size=32)
        ops = _text_value(m.get("ops"))
        past = m.get("past")
        try:
            if past is not None:
                if not isinstance(past, list):
                    raise BadRequest("past must be a list of ids")
                check_ops(doc, mid, ops, {bytes.fromhex(p) for p in past})
            if not isinstance(ops, tuple):
                from crdt.text import BadTextOp

                raise BadTextOp("ops must be a list")
            doc.apply(mid, ops)
        except CrdtError as exc:
            return {**failure(exc), "text": doc.text(), "state_sha256": doc.state_hash().hex()}
    return {
        "ok": True,
        "text": doc.text(),
        "state_sha256": doc.state_hash().hex(),
        "runs": _spans(doc),
    }


def op_dag_replay(request: dict[str, Any]) -> dict[str, Any]:
    """Deliver messages, in the given order, to a fresh log of ``body``
    (each decoded and verified for that body, then inserted as spec/dag.md
    says) and describe the log they make (crdt.log)."""
    from crdt.errors import CrdtError
    from crdt.log import Log

    body = hex_field(request, "body", size=32)
    log = Log(body)
    for index, raw in enumerate(hex_list(request, "messages")):
        try:
            log.add(envelope.open_untrusted(raw, body))
        except (ProtocolError, CrdtError) as exc:
            return {**failure(exc), "index": index}
    return {"ok": True, **log_json(log)}


def op_reconcile_side(request: dict[str, Any]) -> dict[str, Any]:
    """Play one side of a reconciliation (crdt.reconcile.Session) over
    ``ids``: initiate if asked, then take the peer's frames in order; answer
    every frame this side sent, in order, and what it concluded."""
    from crdt.errors import CrdtError
    from crdt.reconcile import HaveIds, NeedIds, PeerError, Session, SortedIds

    params = {}
    for name in ("max_frame", "branching", "idlist_threshold"):
        if name in request:
            if type(request[name]) is not int:
                raise BadRequest(f"{name} must be an integer")
            params[name] = request[name]
    try:
        session = Session(SortedIds(sorted(hex_list(request, "ids"))), **params)
    except CrdtError as exc:
        return failure(exc)
    if request.get("initiate") is True:
        session.initiate()
    sent = session.frames_to_send()
    for data in hex_list(request, "peer_frames"):
        session.receive_frame(data, 0.0)
        sent += session.frames_to_send()
    events: list[dict[str, Any]] = []
    for e in session.events():
        if isinstance(e, (HaveIds, NeedIds)):
            events.append({type(e).__name__: sorted(i.hex() for i in e.ids)})
        elif isinstance(e, PeerError):
            events.append({"PeerError": {"code": e.code, "reason": e.reason}})
    return {"ok": True, "frames": [f.hex() for f in sent], "events": events}
