"""A friendly amendment from an edited text file (``caracol member amend
--text-file``): the operations computed from a diff turn the document into
the edited text on every replica, pass the receiver's causal check, and
never name the amendment's own characters (spec/text.md)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.text import TextDocument
from crdt.text_guard import check_ops
from node.commands.member_state import Refusal
from node.commands.member_text import ops_for_edit
from protocol.kinds import MAX_TEXT_OPS

ROOT = hashlib.sha256(b"proposal").digest()
EARLIER = hashlib.sha256(b"an adopted amendment").digest()
MINE = hashlib.sha256(b"the amendment being signed").digest()
texts = st.text(alphabet="ab cñ\n", max_size=40)


def replica(base: str, earlier: str) -> TextDocument:
    """The proposal's document after an earlier adopted amendment (so it has
    several runs and tombstones)."""
    doc = TextDocument(ROOT, base)
    if earlier != base:
        ops = ops_for_edit(TextDocument(ROOT, base), earlier)
        check_ops(doc, EARLIER, ops, {ROOT})
        doc.apply(EARLIER, ops)
    return doc


@settings(max_examples=200, deadline=None)
@given(base=texts, earlier=texts, edited=texts)
def test_the_ops_make_the_edited_text_everywhere(base: str, earlier: str, edited: str) -> None:
    if edited == earlier:
        return
    try:
        ops = ops_for_edit(replica(base, earlier), edited)
    except Refusal as exc:
        assert "text operations" in str(exc)  # more than one amendment holds
        return
    assert len(ops) <= MAX_TEXT_OPS
    for op in ops:
        named = [op[1], op[2]] if op[0] == 0 else [op[1]]
        assert all(p is None or p[0] in (ROOT, EARLIER) for p in named)
    doc = replica(base, earlier)
    check_ops(doc, MINE, ops, {ROOT, EARLIER})
    doc.apply(MINE, ops)
    assert doc.text() == edited


def test_an_unchanged_file_is_refused() -> None:
    with pytest.raises(Refusal, match="nothing to amend"):
        ops_for_edit(TextDocument(ROOT, "same"), "same")


def test_a_passage_longer_than_one_operation_is_refused_with_the_limit() -> None:
    ops = ops_for_edit(TextDocument(ROOT, "ab"), "a" + "é" * 2048 + "b")
    assert len(ops) == 1 and len(ops[0][3].encode()) == 4096
    with pytest.raises(Refusal, match="4098 bytes, at most 4096"):
        ops_for_edit(TextDocument(ROOT, "ab"), "a" + "é" * 2049 + "b")
