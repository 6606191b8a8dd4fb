"""The people's constitution on a node (spec/constitution.md, spec/api.md
"The people's constitution").

The node verifies a RATIFICATION itself, from the logs it holds: the
Collective's, and those of every body under it (replicated by gossip,
relayed, or imported from a ratification record). It combines the
initiative's verdicts exactly as the federation view does — each level from
its own constituents' re-derived verdicts — and checks the ratification
threshold (``protocol.ratification.ratification_standing``). What it
verified goes into ``Ingest.ratified``, which every body's fold reads, so a
CONSTITUTION_ADOPTION applies as soon as its ratification is verified here.

A **ratification record** is ``[2, [[message, …] per body]]`` (canonical
msgpack): the Collective's log first, then every body under it that this
node holds, each log genesis first in replay order. Anyone can check it by
importing it (``POST /v0/ratifications``) into a node of their own.

A node refuses to run a decision under a superseded constitution: through
the member API, a message that opens, votes on or closes a subject in a
body whose version in force is older than the newest ratified one is
refused (``Superseded``) until a member signs the adoption.

Everything here runs on the store thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol import canonical, envelope
from protocol.errors import ProtocolError
from protocol.federal import Claim, FederalConstitution, constitution_text, initiative_text
from protocol.federation import FederationVerdict
from protocol.kinds import BodyKind, Genesis, Kind
from protocol.ratification import Ratified, ratification_standing
from protocol.verdict import ProofError

from .errors import Superseded
from .ingest import Body, Ingest
from .views import ProcessViews

RECORD = 2
"""First element of a ratification record (a level bundle starts with 1)."""
MAX_ROUNDS = 64
"""Versions verified in one refresh at most (each needs the one before)."""

DECIDING = frozenset(
    {
        Kind.PROPOSAL,
        Kind.CONSTITUTION_AMENDMENT,
        Kind.ADMIT,
        Kind.LEAVE,
        Kind.MANDATE,
        Kind.CLOSE,
        Kind.VOTE,
        Kind.CONSTITUENT_ADMIT,
    }
)
"""Messages that run a decision: refused under a superseded constitution."""


@dataclass(frozen=True, slots=True)
class Standing:
    claim: Claim
    verdict: FederationVerdict
    ratified: Ratified


def _genesis(body: Body) -> Genesis:
    g = body.log.get(body.id).payload
    assert isinstance(g, Genesis)
    return g


def collective_of(ingest: Ingest, body: Body) -> Body | None:
    """The Collective above ``body`` (or ``body`` itself), following the
    genesis parents through the bodies this node holds."""
    seen: set[bytes] = set()
    current: Body | None = body
    while current is not None and current.id not in seen:
        seen.add(current.id)
        g = _genesis(current)
        if g.body_kind == BodyKind.COLLECTIVE:
            return current
        current = ingest.bodies.get(g.parent) if g.parent is not None else None
    return None


def descendants(ingest: Ingest, top: Body) -> list[Body]:
    """``top`` and every body this node holds under it, parents first."""
    out = [top]
    i = 0
    while i < len(out):
        parent = out[i].id
        out += [b for b in ingest.bodies.values() if _genesis(b).parent == parent and b not in out]
        i += 1
    return out


class People:
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest
        self.views = ProcessViews(ingest, None, None)  # type: ignore[arg-type]
        self._generation = -1

    # --- verifying ----------------------------------------------------------------

    def standing(self, collective: Body, claim: Claim) -> Standing:
        """The Collective's combination of an initiative from what this
        node holds, at the ratification threshold in force."""
        fed = self.views.combined(collective, claim.initiative)
        result = fed.combine()
        return Standing(
            claim, result, ratification_standing(result, fed.rules.ratification_threshold)
        )

    def refresh(self) -> None:
        """Verify every RATIFICATION of every Collective held, in order;
        cheap when no log grew since the last call."""
        generation = sum(len(b.log) for b in self.ingest.bodies.values())
        if generation == self._generation:
            return
        for top in [
            b for b in self.ingest.bodies.values() if _genesis(b).body_kind == BodyKind.COLLECTIVE
        ]:
            for _ in range(MAX_ROUNDS):
                new = next(
                    (
                        (rid, claim.after)
                        for rid, claim in top.fold().claims.items()
                        if rid not in self.ingest.ratified
                        and self.standing(top, claim).ratified == Ratified.RATIFIED
                    ),
                    None,
                )
                if new is None:
                    break
                self.ingest.learn_ratified(*new)
        self._generation = sum(len(b.log) for b in self.ingest.bodies.values())

    def latest(self, top: Body) -> tuple[bytes, FederalConstitution] | None:
        """The newest version this node verified for Collective ``top``."""
        self.refresh()
        best: tuple[bytes, FederalConstitution] | None = None
        for rid in top.fold().claims:
            c = self.ingest.ratified.get(rid)
            if c is not None and (best is None or c.version > best[1].version):
                best = (rid, c)
        return best

    def superseded(self, body: Body, parents: tuple[bytes, ...] | None = None) -> str | None:
        """Why ``body`` may not run a decision now — or a message with these
        ``parents``, in whose causal cut the version in force is older than
        the newest verified — or None."""
        top = collective_of(self.ingest, body)
        if top is None or top is body:
            return None
        latest = self.latest(top)
        fold = body.fold()
        if parents is None:
            have = fold.federal_now().version
        else:
            have = fold.federal_at(body.log.causal_past_of_set(parents)).version
        if latest is None or latest[1].version <= have:
            return None
        return (
            f"version {have} of the people's constitution is in force in this message's "
            f"causal past, superseded by version {latest[1].version} ratified in the "
            f"Collective (ratification {latest[0].hex()}): a member adopts it first "
            f"(caracol member adopt), and messages are signed after the adoption"
        )

    def gate(self, body: Body, envs: list[Any]) -> None:
        for e in envs:
            if e.kind in DECIDING:
                why = self.superseded(body, tuple(e.parents))
                if why is not None:
                    raise Superseded(why)

    # --- views ------------------------------------------------------------------------

    def view(self, body: Body) -> dict[str, Any]:
        """``GET …/people``: the version in force here, its text, the newest
        verified one, and for a Collective every initiative's standing."""
        self.refresh()
        fold = body.fold()
        now = fold.federal_now()
        top = collective_of(self.ingest, body)
        latest = self.latest(top) if top is not None else None
        out: dict[str, Any] = {
            "version": now.version,
            "constitution": now.digest().hex(),
            "articles": [{"number": n, "title": t, "text": x} for n, t, x in now.articles],
            "parameters": [
                {"number": n, "value": f"{a}/{d}" if d != 1 else str(a)} for n, a, d in now.params
            ],
            "text": constitution_text(now),
            "collective": None if top is None else top.id.hex(),
            "latest": None
            if latest is None
            else {
                "ratification": latest[0].hex(),
                "version": latest[1].version,
                "constitution": latest[1].digest().hex(),
            },
            "superseded": self.superseded(body),
        }
        if _genesis(body).body_kind == BodyKind.COLLECTIVE:
            claimed = {c.initiative: rid for rid, c in fold.claims.items()}
            out["initiatives"] = []
            for iid, claim in fold.initiatives.items():
                st = self.standing(body, claim)
                rid = claimed.get(iid)
                p = body.log.get(iid).payload
                out["initiatives"].append(
                    {
                        "id": iid.hex(),
                        "version": claim.after.version,
                        "text": initiative_text(p),  # type: ignore[arg-type]
                        "rationale": getattr(p, "rationale", ""),
                        "constitution": claim.after.digest().hex(),
                        "standing": st.ratified.value,
                        "for": st.verdict.count.votes_for,
                        "decided": st.verdict.decided,
                        "counting": st.verdict.members,
                        "ratification": None if rid is None else rid.hex(),
                        "verified": rid is not None and rid in self.ingest.ratified,
                    }
                )
        return out

    # --- the record ------------------------------------------------------------------

    def record(self, ratification: bytes) -> bytes | None:
        """The ratification record of a RATIFICATION this node verified."""
        self.refresh()
        if ratification not in self.ingest.ratified:
            return None
        for top in self.ingest.bodies.values():
            if ratification in top.log and _genesis(top).body_kind == BodyKind.COLLECTIVE:
                logs = [
                    [b.log.get(m).raw for m in b.log.order()] for b in descendants(self.ingest, top)
                ]
                return canonical.encode((RECORD, logs))
        return None

    def import_record(self, data: bytes, *, max_bytes: int) -> list[bytes]:
        """Store a record's logs (kept whatever they prove, like gossip) and
        return the ids of the bodies it held; ``ProofError`` if it is not a
        record."""
        try:
            doc = canonical.decode(data, max_bytes=max_bytes)
        except ProtocolError as exc:
            raise ProofError(f"not canonical msgpack: {exc}") from None
        logs = doc[1] if isinstance(doc, tuple) and len(doc) == 2 and doc[0] == RECORD else None
        if not (
            isinstance(logs, tuple)
            and logs
            and all(
                isinstance(g, tuple) and g and all(isinstance(m, bytes) for m in g) for g in logs
            )
        ):
            raise ProofError("expected [2, [[message, …] per body]]")
        bodies = []
        for i, log in enumerate(logs):
            try:
                g = envelope.decode_untrusted(log[0], None)
            except ProtocolError as exc:
                raise ProofError(f"log {i}: its first message is not a genesis: {exc}") from None
            if g.kind != Kind.GENESIS:
                raise ProofError(f"log {i}: its first message is not a genesis")
            if g.body not in self.ingest.bodies:
                try:
                    self.ingest.found(log[0], origin="ratification record")
                except ProtocolError as exc:  # a bad signature: found() verifies, decode did not
                    raise ProofError(f"log {i}: its genesis does not verify: {exc}") from None
            self.ingest.submit(g.body, list(log[1:]), origin="ratification record")
            bodies.append(g.body)
        first = self.ingest.body(bodies[0])
        if _genesis(first).body_kind != BodyKind.COLLECTIVE:
            raise ProofError("the record's first log is not a Collective's")
        return bodies
