"""Ratifying the people's constitution (spec/constitution.md, "The people's
constitution").

An initiative is ratified when the Collective's counting constituents that
passed its exact text reach ``ratification_threshold`` (parameter 13) of
*all* its counting constituents — each Region's verdict in turn combined
from its Municipalities', each of those from its Communities' verdicts,
under their ordinary rules. ``verify`` re-derives that combination from the
Regions' level proofs (``protocol.nesting``): a RATIFICATION with those
proofs is the signed, verifiable record every node checks before it
applies the new version.

Sans-IO and pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from fractions import Fraction

from .federal import Claim
from .federation import FederationVerdict
from .nesting import LevelProof, federate
from .rules import ProcessRules
from .verdict import FullProof, ProofError


class Ratified(Enum):
    PENDING = "pending"
    RATIFIED = "ratified"
    REFUSED = "refused"


def ratification_standing(verdict: FederationVerdict, threshold: Fraction) -> Ratified:
    """Ratified iff the counting constituents that passed the text reach
    ``threshold`` of all counting constituents; refused once the undecided
    could no longer get it there; pending otherwise."""
    n = verdict.members
    votes_for = verdict.count.votes_for
    undecided = n - verdict.decided
    if n and votes_for >= threshold * n:
        return Ratified.RATIFIED
    if n and votes_for + undecided >= threshold * n:
        return Ratified.PENDING
    return Ratified.REFUSED


def verify(
    claim: Claim,
    collective: bytes,
    parts: tuple[FullProof | LevelProof, ...],
    structure: Mapping[bytes, frozenset[bytes]],
    rules: ProcessRules | None = None,
) -> FederationVerdict:
    """Re-derive the Collective's combination of ``claim``'s initiative
    from its constituents' proofs (``protocol.nesting``) and check it
    reaches the ratification threshold of the constitution in force;
    ``ProofError`` naming what does not hold."""
    base = rules or ProcessRules()
    # version 1 leaves each body's genesis values; a later version sets them
    in_force = base if claim.before.version == 1 else claim.before.apply_to(base)
    fed = federate(collective, claim.initiative, parts, structure, in_force, text=claim.text)
    result = fed.combine()
    threshold = in_force.ratification_threshold
    standing = ratification_standing(result, threshold)
    if standing != Ratified.RATIFIED:
        raise ProofError(
            f"not ratified ({standing.value}): {result.count.votes_for} of {result.members} "
            f"counting constituents passed the text; {threshold} of all are needed "
            f"(ratification_threshold)"
        )
    return result
