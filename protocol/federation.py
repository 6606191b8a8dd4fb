"""Combining Community Verdicts into a Municipality (Region, Collective) verdict.

Default rule of the constitution: one Community, one vote, with the same
thresholds a Community applies to its members. A Community whose verdict is
PASSED counts for; FAILED or TABLED counts against; a member Community that
has not decided yet counts toward neither. The resolution passes when the
Communities that decided meet the quorum share of all member Communities and
those for reach the temperature-check threshold of those that decided. A
higher level combines the verdicts of the level below the same way.

Every Community Verdict enters through ``Federation.receive_proof`` (full
proof, re-derived) or ``receive_attestation`` (k signatures, provisional);
a forged or inconsistent verdict is rejected with the reason, and an
attestation a later full proof contradicts is kept as evidence against its
signers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from .envelope import Envelope
from .kinds import Genesis, Outcome
from .rules import Count, ProcessRules
from .verdict import (
    Attestation,
    AttestationRefuted,
    CommunityVerdict,
    FullProof,
    ProofError,
    confront,
    rederive,
    verify_attestation,
)


class Standing(Enum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FederationVerdict:
    body: bytes
    resolution: bytes
    standing: Standing
    count: Count
    decided: int
    members: int
    provisional: bool
    """True while some counted verdict rests only on an attestation."""


@dataclass(frozen=True, slots=True)
class RefusedProof:
    """Evidence: a verdict proof from a body that does not count here, with
    the reason; the proof itself is kept so anyone can check it."""

    community: bytes
    reason: str
    proof: FullProof


@dataclass
class Federation:
    """One higher body's view of one resolution."""

    body: bytes
    resolution: bytes
    members: frozenset[bytes]
    rules: ProcessRules = field(default_factory=ProcessRules)
    attestation_k: int = 5
    proven: dict[bytes, CommunityVerdict] = field(default_factory=dict)
    attested: dict[bytes, Attestation] = field(default_factory=dict)
    evidence: list[AttestationRefuted] = field(default_factory=list)
    rejected: list[tuple[bytes, str]] = field(default_factory=list)
    rosters: dict[bytes, frozenset[bytes]] = field(default_factory=dict)
    """Member keys of each Community, from its genesis (``learn_genesis``)
    or its latest verified full proof: attestations are checked against it."""
    why_not: Callable[[bytes], str | None] | None = None
    """Why a body is not a member (``Constituency.why_not``), for the reason
    a refused proof is recorded with."""
    refused: list[RefusedProof] = field(default_factory=list)

    def learn_genesis(self, genesis: Envelope) -> None:
        """Take a member Community's founders as its roster until a full
        proof tells more."""
        g = genesis.payload
        if (
            isinstance(g, Genesis)
            and genesis.body in self.members
            and genesis.body not in self.rosters
        ):
            self.rosters[genesis.body] = frozenset(g.founders)

    def receive_proof(self, proof: FullProof) -> CommunityVerdict:
        if proof.community not in self.members:
            why = self.why_not(proof.community) if self.why_not is not None else None
            reason = why or "not a member of this body (never admitted as a constituent)"
            self.rejected.append((proof.community, reason))
            self.refused.append(RefusedProof(proof.community, reason, proof))
            raise ProofError(f"the proof does not count: {reason}")
        try:
            # each Community decides under its own rules (its genesis and the
            # Collective's amendments), not the higher body's
            verdict, roster = rederive(proof, higher_body=self.body, resolution=self.resolution)
        except ProofError as exc:
            self.rejected.append((proof.community, str(exc)))
            raise
        if proof.community in self.rosters:
            self.rosters[proof.community] = roster  # the latest known members
        # (a Community first seen through its proof needs no roster here:
        # its verdict is proven, so attestations for it are only compared)
        att = self.attested.pop(proof.community, None)
        if att is not None:
            refuted = confront(att, verdict)
            if refuted is not None:
                self.evidence.append(refuted)
        self.proven[proof.community] = verdict
        return verdict

    def receive_attestation(self, att: Attestation) -> CommunityVerdict:
        v = att.verdict
        try:
            if v.community not in self.members:
                raise ProofError("the attestation is from a body that is not a member community")
            if v.higher_body != self.body or v.resolution != self.resolution:
                raise ProofError("the attestation is about another resolution")
            if v.community in self.proven:
                # already proven: an attestation adds nothing but can be refuted
                verify_attestation(att, self.attestation_k)
                refuted = confront(att, self.proven[v.community])
                if refuted is not None:
                    self.evidence.append(refuted)
                return v
            roster = self.rosters.get(v.community)
            if roster is None:
                raise ProofError(
                    "no roster is known for this community: its genesis or a full proof "
                    "must arrive before an attestation can be checked"
                )
            verify_attestation(att, self.attestation_k, roster)
        except ProofError as exc:
            self.rejected.append((v.community, str(exc)))
            raise
        if v.community not in self.proven:
            self.attested[v.community] = att
        return v

    def verdicts(self) -> dict[bytes, CommunityVerdict]:
        out = {c: a.verdict for c, a in self.attested.items()}
        out.update(self.proven)
        return out

    def combine(self) -> FederationVerdict:
        verdicts = self.verdicts()
        votes_for = sum(1 for v in verdicts.values() if v.outcome == Outcome.PASSED)
        votes_against = len(verdicts) - votes_for
        count = Count(votes_for, votes_against, 0, len(self.members))
        undecided = len(self.members) - len(verdicts)
        if count.passes(self.rules.temperature_threshold, self.rules.quorum):
            # Would the undecided Communities, all against, still leave it passing?
            worst = Count(votes_for, votes_against + undecided, 0, len(self.members))
            standing = (
                Standing.PASSED
                if worst.share_met(self.rules.temperature_threshold) or not undecided
                else Standing.PENDING
            )
        elif undecided and Count(votes_for + undecided, votes_against, 0, len(self.members)).passes(
            self.rules.temperature_threshold, self.rules.quorum
        ):
            standing = Standing.PENDING
        else:
            standing = Standing.FAILED
        return FederationVerdict(
            self.body,
            self.resolution,
            standing,
            count,
            len(verdicts),
            len(self.members),
            provisional=bool(self.attested),
        )
