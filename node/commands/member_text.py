"""A friendly amendment from an edited text file: the text-CRDT operations
that turn a proposal's current document into the edited text.

The document is rebuilt from the folded log (the proposal's initial text
with its adopted amendments applied, tombstones included), the edit is a
``difflib`` diff of the visible text, and each difference becomes
``TextDocument.local_delete`` / ``local_insert`` operations. Differences are
applied from the end of the text backwards, so every operation names only
characters that already exist (no operation may name its own message's
characters: its id is not known before signing, and the receiver's causal
check rejects such ops). An inserted passage is one operation, so it holds
at most ``MAX_RUN_BYTES``.
"""

from __future__ import annotations

import difflib
from typing import Any

from crdt.errors import CrdtError
from crdt.text import TextDocument
from crdt.text_guard import check_ops
from protocol.assembly import Assembly
from protocol.kinds import MAX_RUN_BYTES, MAX_TEXT_OPS

from .member_state import Refusal

_PLACEHOLDER = b"\xff" * 32  # stands for the amendment's own id while computing


def document(a: Assembly, sid: bytes) -> TextDocument:
    """The proposal's document as the fold has it (adopted amendments applied)."""
    s = a.subject(sid)
    doc = TextDocument(sid, s.payload.text)
    for am in a.adopted_amendments(sid):
        try:
            check_ops(doc, am.id, am.ops, a.log.causal_past(am.id))
            doc.apply(am.id, am.ops)
        except CrdtError:
            continue  # skipped by the fold too (text_and_skipped)
    return doc


def ops_for_edit(doc: TextDocument, new: str) -> tuple[tuple[Any, ...], ...]:
    """The operations that make ``doc``'s visible text equal ``new``."""
    old = doc.text()
    if old == new:
        raise Refusal("--text-file: the file's text equals the proposal's text; nothing to amend")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    ops: list[tuple[Any, ...]] = []
    offset = 0
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        if i2 > i1:
            ops.extend(doc.local_delete(i1, i2 - i1))
        if j2 > j1:
            piece = new[j1:j2]
            if len(piece.encode()) > MAX_RUN_BYTES:
                raise Refusal(
                    f"--text-file: one inserted passage has {len(piece.encode())} bytes, at most "
                    f"{MAX_RUN_BYTES} fit one amendment operation; propose it in parts"
                )
            ops.append(doc.local_insert(i1, piece, _PLACEHOLDER, offset))
            offset += len(piece)
    assert not any(_names_own(op) for op in ops), "an op names the amendment's own text"
    if len(ops) > MAX_TEXT_OPS:
        raise Refusal(
            f"--text-file: the edit needs {len(ops)} text operations, at most "
            f"{MAX_TEXT_OPS} fit one amendment; make fewer separate changes"
        )
    assert doc.text() == new
    return tuple(ops)


def _names_own(op: tuple[Any, ...]) -> bool:
    positions = [op[1], op[2]] if op[0] == 0 else [op[1]]
    return any(p is not None and p[0] == _PLACEHOLDER for p in positions)
