"""Who a higher body's constituents are: admitted, never self-declared.

Theory of operation. A Municipality (Region, the Collective) is made of the
bodies it admitted, by the same process it decides everything else with
(seed 004: "this process holds true for any grouping"). Naming the higher
body as ``parent`` in one's own GENESIS is a *request*, nothing more:

* **Founding.** The first FOUNDING (kind 21) in the higher body's replay
  order that is signed by the genesis author and has the genesis as its only
  parent names the founding constituents. Any other FOUNDING is ignored.
* **Admission.** A CONSTITUENT_ADMIT (kind 22) by a member of the higher body
  is a resolution: each constituent presents it (a PROPOSAL naming the
  higher body and the admission's id) and reaches its verdict; the
  admission is combined from those verdicts by the federation rule
  (``protocol.federation``) over the constituents in force before it — the
  founders, the earlier admissions (in the higher body's replay order) that
  passed, less those that left. Passed: the body is a constituent.
* **Leaving.** A constituent leaves by its own verdict: a PROPOSAL naming
  the higher body as both ``origin_body`` and ``origin_proposal`` asks "do
  we leave?"; its verdict PASSED ends the constituency. Leaving is final.

Everything here is derived from the higher body's log and verified
verdicts (``protocol.verdict.rederive``), so every node holding the same
messages and proofs agrees. Sans-IO: values in, a ``Constituency`` out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from crdt.log import Log

from .assembly import Assembly
from .envelope import Envelope
from .federation import Federation, FederationVerdict, Standing
from .kinds import ConstituentAdmit, Founding, Genesis, Kind, Outcome
from .roster import MembershipHistory
from .rules import ProcessRules
from .verdict import CommunityVerdict

Verdicts = Mapping[bytes, Mapping[bytes, CommunityVerdict]]
"""Verified verdicts: constituent body -> resolution -> its verdict."""


@dataclass(frozen=True, slots=True)
class Admission:
    message: bytes
    constituent: bytes
    electorate: frozenset[bytes]
    result: FederationVerdict


@dataclass
class Constituency:
    """A higher body's constituents, as its log and their verdicts say."""

    body: bytes
    founding: frozenset[bytes] = frozenset()
    founding_message: bytes | None = None
    admissions: list[Admission] = field(default_factory=list)
    left: frozenset[bytes] = frozenset()
    ignored: list[tuple[bytes, str]] = field(default_factory=list)
    """Messages about constituents that do not count, with the reason."""

    def members(self) -> frozenset[bytes]:
        admitted = {a.constituent for a in self.admissions if a.result.standing == Standing.PASSED}
        return (self.founding | admitted) - self.left

    def why_not(self, body: bytes) -> str | None:
        """Why ``body`` is not a constituent, or None if it is one."""
        if body in self.left:
            return "it left this body by its own verdict"
        if body in self.members():
            return None
        mine = [a for a in self.admissions if a.constituent == body]
        if not mine:
            return (
                "not a member of this body: never admitted as a constituent "
                "(naming a parent is not admission)"
            )
        last = mine[-1].result
        if last.standing == Standing.PENDING:
            return (
                f"its admission is still being decided ({last.decided} of "
                f"{last.members} constituents have decided)"
            )
        return f"its admission failed ({last.count.votes_for} of {last.decided} for)"


def is_leave_question(higher: bytes, origin_body: bytes | None, origin: bytes | None) -> bool:
    """A constituent's PROPOSAL that asks whether to leave ``higher``."""
    return origin_body == higher and origin == higher


def read_constituency(
    higher: Log,
    verdicts: Verdicts,
    rules: ProcessRules | None = None,
) -> Constituency:
    """The constituency of the body whose log is ``higher``, given the
    verified verdicts its node holds (see the module docstring); under
    ``rules``, by default the higher body's own."""
    body = higher.body
    membership: MembershipHistory | None = None
    if rules is None:  # the higher body's own constitution, from its genesis
        folded = Assembly(body).fold(higher)
        rules, membership = folded.rules, folded.membership
    out = Constituency(body)
    genesis = higher.get(body)
    founder = genesis.author
    left = {c for c, by in verdicts.items() if _left(body, by)}
    current: set[bytes] = set()
    for mid in higher.order():
        env = higher.get(mid)
        if env.kind == Kind.FOUNDING:
            _founding(out, env, founder, current)
        elif env.kind == Kind.CONSTITUENT_ADMIT:
            if membership is None:
                membership = _membership(higher)
            p = env.payload_as(ConstituentAdmit)
            past = higher.causal_past(mid)
            if out.founding_message is None or out.founding_message not in past:
                out.ignored.append((mid, "an admission must follow the body's FOUNDING"))
                continue
            if membership.at(past).identity_of(env.author) is None:
                out.ignored.append((mid, "the mover is not a member of the higher body"))
                continue
            if p.constituent in current or p.constituent in left:
                out.ignored.append((mid, "the body is already a constituent, or left"))
                continue
            electorate = frozenset(current - left)
            fed = Federation(body, mid, electorate, rules=rules)
            for c in electorate:
                v = verdicts.get(c, {}).get(mid)
                if v is not None:
                    fed.take(v)  # an undersized constituent does not count here either
            result = fed.combine()
            out.admissions.append(Admission(mid, p.constituent, electorate, result))
            if result.standing == Standing.PASSED:
                current.add(p.constituent)
    out.left = frozenset(left & (current | out.founding))
    return out


def _left(higher: bytes, by_resolution: Mapping[bytes, CommunityVerdict]) -> bool:
    v = by_resolution.get(higher)
    return v is not None and v.outcome == Outcome.PASSED


def _founding(out: Constituency, env: Envelope, founder: bytes, current: set[bytes]) -> None:
    if out.founding_message is not None:
        out.ignored.append((env.id, "a second FOUNDING: the first in replay order counts"))
    elif env.author != founder or env.parents != (out.body,):
        out.ignored.append(
            (env.id, "a FOUNDING is signed by the genesis author with the genesis as its parent")
        )
    else:
        p = env.payload_as(Founding)
        out.founding = frozenset(p.constituents)
        out.founding_message = env.id
        current.update(p.constituents)


def _membership(log: Log) -> MembershipHistory:
    return Assembly(log.body).fold(log).membership


def verdict_map(pairs: Iterable[CommunityVerdict]) -> dict[bytes, dict[bytes, CommunityVerdict]]:
    """Index verified verdicts by constituent and resolution."""
    out: dict[bytes, dict[bytes, CommunityVerdict]] = {}
    for v in pairs:
        out.setdefault(v.community, {})[v.resolution] = v
    return out


def requested_parent(genesis: Envelope) -> bytes | None:
    """The higher body a body's genesis asks to join (a request only)."""
    g = genesis.payload
    return g.parent if isinstance(g, Genesis) else None
