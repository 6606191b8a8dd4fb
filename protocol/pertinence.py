"""Only the pertinent constituents decide (seed 004: "all pertinent
groupings affected by the decision"; spec/federation.md, "Pertinent
constituents").

A higher body's resolution is decided by all its constituents unless it
names the pertinent ones: a PERTINENT message ``[resolution, constituents]``
in the higher body's log. The first in replay order counts when it is
signed by the resolution's own author (the same identity, across key
rotation), names a PROPOSAL of this body in its causal past, and no close
of that proposal is in its causal past — the scope is fixed before any
stage closes, so it cannot be redrawn after seeing how bodies decide. Any
other is ignored with the reason. Called by the assembly fold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .envelope import Envelope
from .kinds import Pertinent
from .process_records import SubjectKind

if TYPE_CHECKING:
    from .assembly import Assembly


def record(a: Assembly, env: Envelope, identity: bytes) -> None:
    p = env.payload_as(Pertinent)
    s = a.subjects.get(p.resolution)
    if s is None or s.kind != SubjectKind.PROPOSAL or not a._before(p.resolution, env.id):
        a._ignore(env, "names no proposal of this body in its causal past")
        return
    if s.author != identity:
        a._ignore(env, "only the resolution's author names its pertinent constituents", s.id)
        return
    if p.resolution in a.pertinent:
        a._ignore(env, "the resolution's pertinent constituents are named already", s.id)
        return
    if any(a._before(close, env.id) for _, close in s.closes):
        a._ignore(env, "the pertinent constituents are named before any stage closes", s.id)
        return
    a.pertinent[p.resolution] = frozenset(p.constituents)


def describe(resolution: bytes, pertinent: frozenset[bytes]) -> str:
    """Why a constituent outside a resolution's scope does not count."""
    return (
        f"not a pertinent constituent: resolution {resolution.hex()[:16]}… names "
        f"{len(pertinent)} constituent(s) to decide it"
    )
