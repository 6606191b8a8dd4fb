"""Only the pertinent constituents decide (spec/federation.md, "Pertinent
constituents"): a resolution's author names them before any stage closes;
the first such naming counts; anything else is ignored with the reason."""

from __future__ import annotations

import hashlib

from protocol.kinds import BodyKind, Pertinent
from protocol.testing import Scenario

A, B = (hashlib.sha256(x).digest() for x in (b"a", b"b"))


def muni() -> Scenario:
    return Scenario(("mun1", "mun2"), body_kind=BodyKind.MUNICIPALITY, name="Valle")


def test_the_author_names_the_pertinent_constituents_before_any_close() -> None:
    m = muni()
    res = m.propose("mun1", "The river", "Clean the river banks.")
    first = m.post("mun1", Pertinent(res, tuple(sorted((A, B))))).id
    second = m.post("mun1", Pertinent(res, (A,))).id
    a = m.assembly()
    assert a.pertinent == {res: frozenset({A, B})}
    assert first not in a.ignored_by_id
    assert "named already" in a.ignored_by_id[second].reason


def test_anyone_else_or_after_a_close_is_ignored_with_the_reason() -> None:
    m = muni()
    res = m.propose("mun1", "The river", "Clean the river banks.")
    other = m.post("mun2", Pertinent(res, (A,))).id
    nothing = m.post("mun1", Pertinent(hashlib.sha256(b"x").digest(), (A,))).id
    m.close(res)
    late = m.post("mun1", Pertinent(res, (A,))).id
    a = m.assembly()
    reasons = {k: v.reason for k, v in a.ignored_by_id.items()}
    assert "resolution's author" in reasons[other]
    assert "no proposal" in reasons[nothing]
    assert "before any stage closes" in reasons[late]
    assert a.pertinent == {}
