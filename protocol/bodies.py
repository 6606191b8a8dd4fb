"""The nested bodies: Workplace and Community inside a Municipality, inside a
Region, inside the Collective.

A body is founded by its GENESIS, which names its kind and its parent body;
the genesis id is the body id. A parent's log does not list its children (a
child is founded later, by other people), so the links are assembled from
the geneses a node holds: ``BodyDirectory`` collects them, checks that each
parent link fits the nesting, and answers "which bodies are under this one"
— in particular which Communities must each reach a Community Verdict for a
resolution of a Municipality, Region or the Collective (spec/process.md,
federation in spec/federation.md).

A genesis whose parent link does not fit (a Region under a Community, a
Collective with a parent) is kept as a *problem* with a reason and left out
of the tree; it never raises. Kinds nest strictly, so links cannot cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from .envelope import Envelope
from .kinds import BodyKind, Genesis, Kind

PARENT_KINDS: dict[BodyKind, frozenset[BodyKind]] = {
    BodyKind.WORKPLACE: frozenset({BodyKind.MUNICIPALITY}),
    BodyKind.COMMUNITY: frozenset({BodyKind.MUNICIPALITY}),
    BodyKind.MUNICIPALITY: frozenset({BodyKind.REGION}),
    BodyKind.REGION: frozenset({BodyKind.COLLECTIVE}),
    BodyKind.COLLECTIVE: frozenset(),
    BodyKind.JUSTICE_COUNCIL: frozenset({BodyKind.COMMUNITY}),
}
"""The kinds a body's parent may have; the Collective has none. A justice
council sits under its Community (spec/justice.md): it is not a leaf that
decides higher resolutions."""


@dataclass(frozen=True, slots=True)
class Body:
    id: bytes
    kind: BodyKind
    name: str
    parent: bytes | None
    founders: tuple[bytes, ...]


def body_of(genesis: Envelope) -> Body:
    p = genesis.payload
    if genesis.kind != Kind.GENESIS or not isinstance(p, Genesis):
        from .errors import LocalProtocolError

        raise LocalProtocolError("not a genesis message", field="kind")
    return Body(genesis.id, p.body_kind, p.name, p.parent, p.founders)


class BodyDirectory:
    """Bodies known to a node and their parent/children links."""

    def __init__(self) -> None:
        self._bodies: dict[bytes, Body] = {}
        self.problems: dict[bytes, str] = {}

    def add(self, genesis: Envelope) -> Body:
        body = body_of(genesis)
        self._bodies[body.id] = body
        self._recheck()
        return body

    def __contains__(self, body_id: object) -> bool:
        return body_id in self._bodies

    def get(self, body_id: bytes) -> Body:
        return self._bodies[body_id]

    def _recheck(self) -> None:
        self.problems = {}
        for b in self._bodies.values():
            reason = self._problem(b)
            if reason:
                self.problems[b.id] = reason

    def _problem(self, b: Body) -> str | None:
        allowed = PARENT_KINDS[b.kind]
        if b.parent is None:
            return None  # the Collective, or a body not (yet) federated
        if not allowed:
            return f"a {b.kind.name.lower()} has no parent body"
        parent = self._bodies.get(b.parent)
        if parent is None:
            return None  # the parent's genesis is not known here yet
        if parent.kind not in allowed:
            return f"a {b.kind.name.lower()} cannot belong to a {parent.kind.name.lower()}"
        return None

    def parent(self, body_id: bytes) -> Body | None:
        b = self._bodies[body_id]
        if b.parent is None or body_id in self.problems:
            return None
        return self._bodies.get(b.parent)

    def children(self, body_id: bytes) -> tuple[Body, ...]:
        return tuple(
            sorted(
                (
                    b
                    for b in self._bodies.values()
                    if b.parent == body_id and b.id not in self.problems
                ),
                key=lambda b: b.id,
            )
        )

    def ancestors(self, body_id: bytes) -> tuple[Body, ...]:
        out: list[Body] = []
        cur = self.parent(body_id)
        while cur is not None:
            out.append(cur)
            cur = self.parent(cur.id)
        return tuple(out)

    def communities_under(self, body_id: bytes) -> tuple[Body, ...]:
        """The Communities (and Workplaces) whose verdicts a resolution of
        ``body_id`` needs: every leaf body beneath it."""
        b = self._bodies[body_id]
        if b.kind in (BodyKind.COMMUNITY, BodyKind.WORKPLACE):
            return (b,)
        out: list[Body] = []
        for child in self.children(body_id):
            out.extend(self.communities_under(child.id))
        return tuple(out)
