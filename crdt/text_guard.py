"""The causal check a receiver runs on a message's text ops before applying
them (spec/text.md, "Origins and causality").

Why it exists. The integration rule (YjsMod / FugueMax) converges for inserts
whose origins were *neighbours* when the author made the edit. The wire
cannot prove that: a Byzantine author can sign an insert whose left and right
origins are far apart, or in the wrong order, and replicas that receive the
concurrent messages of others in different orders then place it differently
and diverge (``tests/crdt/test_text_guard.py`` shows it). The receiver can,
however, check the one thing an honest author guarantees and that every
replica sees identically: restricted to characters of the message's causal
past (messages listed by the log's ``causal_past``, plus the document root),
the two origins are neighbours, left before right. Restriction keeps honest
inserts valid (removing characters keeps neighbours neighbours), and since
characters never move and the causal past is a fixed set, every replica
accepts or rejects the same messages.

The check also requires every position an op names (origins, delete start)
to belong to the causal past: an author cannot have seen anything else.
Ops naming their own message's characters are rejected for the same reason
(no author can know its message id before signing it).

Cost: an honest, non-concurrent insert costs O(1) (its right origin is the
very next character); otherwise the characters between the origins are
walked once.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Any

from crdt.errors import TextOriginOutsidePast, TextOriginsNotAdjacent
from crdt.text import BadTextOp, Position, TextDocument, UnknownOrigin
from protocol.errors import ProtocolError
from protocol.kinds import TEXT_OPS


def check_ops(
    doc: TextDocument,
    message: bytes,
    ops: Sequence[Any],
    causal_past: Container[bytes],
    *,
    shapes: bool = True,
) -> None:
    """Raise unless every op of ``message`` is well formed (``BadTextOp``)
    and passes the causal check against ``doc`` (which must not yet hold
    ``message``). Changes nothing; only RemoteCrdtError subclasses escape,
    whatever ``ops`` holds. ``shapes=False`` skips the shape check for ops
    taken from a decoded payload, which ``protocol.kinds`` already checked
    (it is most of the cost on an honest message)."""
    if shapes:
        check_shapes(message, ops)
    for i, op in enumerate(ops):
        where = f"ops[{i}]"
        if op[0] == 0:
            left, right = _pos(op[1]), _pos(op[2])
            for name, p in (("left", left), ("right", right)):
                if p is not None:
                    _require_past(doc, message, p, causal_past, f"{where}.{name}")
            _require_neighbours(doc, left, right, causal_past, where)
        else:
            start: Position = (op[1][0], op[1][1])
            _require_past(doc, message, start, causal_past, f"{where}.start")
            _require_held(doc, (start[0], start[1] + op[2] - 1), f"{where}.length")


def check_shapes(message: Any, ops: Any) -> None:
    """The wire shape, checked by the payload schema itself
    (``protocol.kinds.TEXT_OPS``), for ops that did not come through a
    decoded payload: a list or tuple of 1..64 ops, each a tuple; insert
    ``(0, left|None, right|None, text)`` with 1..4096 UTF-8 bytes of text;
    delete ``(1, start, length)``; a position ``(32-byte message id,
    offset)``, also a tuple."""
    if not isinstance(message, bytes) or len(message) != 32:
        raise BadTextOp("a message id is 32 bytes", field="message")
    try:
        TEXT_OPS.check(tuple(ops) if isinstance(ops, list) else ops, "ops")
    except ProtocolError as e:
        raise BadTextOp(e.reason, field=e.field) from None
    except UnicodeError:  # a lone surrogate (only from a caller, never off the wire)
        raise BadTextOp("insert text is not encodable as UTF-8", field="ops") from None


def _pos(p: Any) -> Position | None:
    return None if p is None else (p[0], p[1])


def _in_past(doc: TextDocument, msg: bytes, causal_past: Container[bytes]) -> bool:
    return msg == doc.root or msg in causal_past


def _require_past(
    doc: TextDocument, message: bytes, p: Position, causal_past: Container[bytes], where: str
) -> None:
    if p[0] == message or not _in_past(doc, p[0], causal_past):
        raise TextOriginOutsidePast(
            f"position {p[0].hex()[:16]}…:{p[1]} is not in the message's causal past", field=where
        )
    _require_held(doc, p, where)


def _require_held(doc: TextDocument, p: Position, where: str) -> None:
    try:
        doc._find_run(p)
    except UnknownOrigin as e:
        raise UnknownOrigin(e.reason, field=where) from None


def _require_neighbours(
    doc: TextDocument,
    left: Position | None,
    right: Position | None,
    causal_past: Container[bytes],
    where: str,
) -> None:
    """Walk from just after ``left`` (the start for None) towards ``right``
    (the end for None); every character passed must be outside the past."""
    try:
        if left is None:
            run, k = doc._next_run(None), 0
        else:
            lrun, lk = doc._char_run(left)
            if lk + 1 < lrun.n:
                run, k = lrun, lk + 1
            else:
                run, k = doc._next_run(lrun), 0
    except UnknownOrigin:
        raise TextOriginOutsidePast("an origin is not in this document", field=where) from None
    while run is not None:
        if right is not None and run.msg == right[0] and run.off <= right[1] < run.off + run.n:
            if right[1] < run.off + k:
                break  # the right origin is before the left one
            if right[1] > run.off + k and _in_past(doc, run.msg, causal_past):
                raise TextOriginsNotAdjacent(
                    "a character of the causal past lies between the origins", field=where
                )
            return  # reached the right origin; everything passed was concurrent
        if _in_past(doc, run.msg, causal_past):
            raise TextOriginsNotAdjacent(
                "a character of the causal past lies between the origins", field=where
            )
        run, k = doc._next_run(run), 0
    if right is None and run is None:
        return
    raise TextOriginsNotAdjacent("the right origin is not after the left origin", field=where)
