"""A higher body's constituents as this node knows them.

The node holds the higher body's log (its FOUNDING and CONSTITUENT_ADMIT
messages) and the logs of the bodies that asked to join it (replicated by
gossip, or imported from relayed proofs). Their verdicts on the admission
resolutions and on "do we leave?" are re-derived from those logs by the
same fold as everywhere, and ``protocol.constituents`` turns them into the
constituency (spec/federation.md, "Constituents"). Call on the store thread.
"""

from __future__ import annotations

from typing import Any

from protocol.constituents import Constituency, read_constituency, verdict_map
from protocol.envelope import decode_untrusted
from protocol.federation import Federation
from protocol.kinds import BodyKind, Genesis, Proposal
from protocol.verdict import CommunityVerdict, FullProof, community_verdict


def applicants(ingest: Any, higher: bytes) -> list[Any]:
    """The bodies this node holds whose genesis names ``higher`` as parent."""
    return [
        b
        for b in ingest.bodies.values()
        if isinstance((g := b.log.get(b.id).payload), Genesis) and g.parent == higher
    ]


def verdicts_on(fold: Any, higher: bytes) -> list[CommunityVerdict]:
    """Every finished verdict of a folded body on ``higher``'s resolutions."""
    out = []
    seen: set[bytes] = set()
    for sid in fold.proposals():
        p = fold.subject(sid).payload
        if isinstance(p, Proposal) and p.origin_body == higher and p.origin_proposal:
            if p.origin_proposal in seen:
                continue
            seen.add(p.origin_proposal)
            v = community_verdict(fold, higher, p.origin_proposal)
            if v is not None:
                out.append(v)
    return out


def constituency_of(ingest: Any, higher: Any) -> Constituency:
    """``higher`` is the node's Body of the higher body."""
    vs = [v for b in applicants(ingest, higher.id) for v in verdicts_on(b.fold(), higher.id)]
    return read_constituency(higher.log, verdict_map(vs), higher.fold().rules)


def refusal(ingest: Any, higher: Any, proof: FullProof, verdict: CommunityVerdict) -> str | None:
    """Why a verified proof's verdict does not count in ``higher``: not an
    admitted constituent, or below the minimum size; None if it counts."""
    why = constituency_of(ingest, higher).why_not(proof.community)
    if why is not None:
        return why
    g = decode_untrusted(proof.messages[0], None).payload
    kind = g.body_kind if isinstance(g, Genesis) else BodyKind.COMMUNITY
    fed = Federation(higher.id, verdict.resolution, frozenset({proof.community}))
    fed.rules = higher.fold().rules
    return fed.take(verdict, kind)
