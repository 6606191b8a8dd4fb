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

from .assembly import Assembly
from .envelope import Envelope, decode_untrusted
from .kinds import BodyKind, Genesis, Outcome
from .one_person import (
    Decision,
    Duplicate,
    Membership,
    decision,
    duplicates,
    memberships,
    without,
)
from .rules import Count, ProcessRules
from .verdict import (
    Attestation,
    AttestationRefuted,
    CommunityVerdict,
    FullProof,
    ProofError,
    confront,
    rederive_assembly,
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
    workplaces: Count | None = None
    """The Workplace Councils' chamber, when the body has any counting."""
    amendments: tuple[tuple[bytes, bytes], ...] = ()
    """(constituent, text hash) of each verdict that passed an amended text:
    counted against the original, reported as an amendment proposal."""


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
    kinds: dict[bytes, BodyKind] = field(default_factory=dict)
    """Body kind of each member (from its genesis or proof); a member of
    unknown kind sits with the Communities."""
    text: bytes | None = None
    """``text_hash`` of the resolution's text: a PASSED verdict on another
    text (a Community's amended text) is not FOR the resolution but an
    amendment proposal (``amendments``). None: not checked."""
    undersized: dict[bytes, int] = field(default_factory=dict)
    """Base bodies whose verdict showed fewer members than the higher body's
    ``min_constituent_size``: they do not count, not even toward N."""
    members_of: dict[bytes, tuple[Membership, ...]] = field(default_factory=dict)
    """Each base constituent's members at its verdict (from its full proof
    or its replicated log): one person, one Community."""
    decisions: dict[bytes, Decision] = field(default_factory=dict)
    duplicates: tuple[Duplicate, ...] = ()
    """Evidence: people who are members of two constituents (``combine``)."""
    federal: int | None = None
    """The version of the people's constitution in force for the
    resolution (its subject's); None: not checked."""
    federal_of: dict[bytes, int] = field(default_factory=dict)
    """The version each base constituent decided under (``learn``)."""
    superseded: dict[bytes, str] = field(default_factory=dict)
    """Constituents whose verdict ran under a superseded version: they do
    not count, not even toward N, until they decide under the current one."""
    doubled: dict[bytes, str] = field(default_factory=dict)
    """Constituents that do not count because of members counted first in
    another constituent: constituent -> reason (as last computed by
    ``one_person``, which ``counting`` and so ``combine`` call)."""

    def learn(self, assembly: Assembly, verdict: CommunityVerdict) -> None:
        """Read a constituent's members and the casts behind its verdict
        from its fold (a verified full proof's, or a replicated log's)."""
        self.members_of[verdict.community] = memberships(assembly)
        s = assembly.subjects.get(verdict.proposal)
        if s is not None:
            self.federal_of[verdict.community] = s.federal
        d = decision(assembly, verdict.proposal)
        if d is not None:
            self.decisions[verdict.community] = d

    def one_person(self) -> dict[bytes, str]:
        """Who is a member of two counted base constituents, and which
        later memberships keep a constituent's verdict from counting
        (spec/federation.md, "One person, one Community")."""
        base = {
            b: ms
            for b, ms in self.members_of.items()
            if b in self.proven and self.kinds.get(b, BodyKind.COMMUNITY) in BASE_KINDS
        }
        self.duplicates = duplicates(base)
        later: dict[bytes, set[bytes]] = {}
        for d in self.duplicates:
            later.setdefault(d.second.body, set()).add(d.second.identity)
        floor = self.rules.constituent_floor()
        out: dict[bytes, str] = {}
        for body, ids in sorted(later.items()):
            v = self.proven[body]
            n = len(ids)
            dec = self.decisions.get(body)
            left = v.electorate - len(ids & dec.voters) if dec is not None else v.electorate - n
            if left < floor:
                out[body] = (
                    f"too small to count: {left} members once {n} counted first in another "
                    f"body are left out; the constitution requires {floor} (min_constituent_size)"
                )
            elif dec is not None and without(dec, frozenset(ids)) != dec.outcome:
                out[body] = (
                    f"its verdict rests on the votes of {n} member(s) counted first in "
                    f"another body (one person, one Community)"
                )
        self.doubled = out
        return out

    def take(self, verdict: CommunityVerdict, kind: BodyKind = BodyKind.COMMUNITY) -> str | None:
        """Count a verified verdict of a Community or Workplace Council, or
        say why it does not count (equal power: spec/federation.md)."""
        self.kinds[verdict.community] = kind
        under = self.federal_of.get(verdict.community)
        if self.federal is not None and under is not None and under < self.federal:
            reason = (
                f"decided under version {under} of the people's constitution, superseded by "
                f"version {self.federal}"
            )
            self.superseded[verdict.community] = reason
            self.proven.pop(verdict.community, None)
            return reason
        self.superseded.pop(verdict.community, None)
        floor = self.rules.constituent_floor()
        if kind in BASE_KINDS and verdict.electorate < floor:
            self.undersized[verdict.community] = verdict.electorate
            self.proven.pop(verdict.community, None)
            return (
                f"too small to count: {verdict.electorate} members, the constitution "
                f"requires {floor} (min_constituent_size)"
            )
        self.undersized.pop(verdict.community, None)
        self.proven[verdict.community] = verdict
        return None

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
        if isinstance(g, Genesis) and genesis.body in self.members:
            self.kinds.setdefault(genesis.body, g.body_kind)

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
            verdict, assembly = rederive_assembly(
                proof, higher_body=self.body, resolution=self.resolution
            )
            roster = frozenset(assembly.roster().current_keys())
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
        self.learn(assembly, verdict)
        small = self.take(verdict, _kind_of(proof))
        if small is not None:
            self.rejected.append((proof.community, small))
            self.refused.append(RefusedProof(proof.community, small, proof))
            raise ProofError(f"the proof does not count: {small}")
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
            floor = self.rules.constituent_floor()
            if self.kinds.get(v.community, BodyKind.COMMUNITY) in BASE_KINDS and (
                v.electorate < floor
            ):
                raise ProofError(
                    f"too small to count: {v.electorate} members, the constitution "
                    f"requires {floor} (min_constituent_size)"
                )
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
        out = {c: a.verdict for c, a in self.attested.items() if c not in self.undersized}
        out.update(self.proven)
        return out

    def amendments(self) -> dict[bytes, bytes]:
        """Constituents that passed another text than the resolution's:
        constituent -> hash of the text it passed (spec/federation.md)."""
        if self.text is None:
            return {}
        return {
            c: v.text
            for c, v in self.verdicts().items()
            if c in self.counting() and v.outcome == Outcome.PASSED and v.text != self.text
        }

    def counting(self) -> frozenset[bytes]:
        """The members that count: all but those shown to be undersized or
        to count people counted first elsewhere (``one_person``)."""
        return self.members - set(self.undersized) - set(self.superseded) - set(self.one_person())

    def combine(self) -> FederationVerdict:
        """Communities (and higher bodies) in one chamber, Workplace Councils
        in another; with workplaces, both must pass (spec/federation.md)."""
        verdicts = self.verdicts()
        counting = self.counting()
        workplaces = {m for m in counting if self.kinds.get(m) == BodyKind.WORKPLACE}
        standing, count = self._chamber(counting - workplaces, verdicts)
        work: Count | None = None
        if workplaces:
            work_standing, work = self._chamber(frozenset(workplaces), verdicts)
            if Standing.FAILED in (standing, work_standing):
                standing = Standing.FAILED
            elif Standing.PENDING in (standing, work_standing):
                standing = Standing.PENDING
        return FederationVerdict(
            self.body,
            self.resolution,
            standing,
            count,
            sum(1 for c in verdicts if c in counting),
            len(counting),
            provisional=bool(self.attested),
            workplaces=work,
            amendments=tuple(sorted(self.amendments().items())),
        )

    def _chamber(
        self, members: frozenset[bytes] | set[bytes], verdicts: dict[bytes, CommunityVerdict]
    ) -> tuple[Standing, Count]:
        decided = [v for c, v in verdicts.items() if c in members]
        votes_for = sum(1 for v in decided if self._for(v))
        votes_against = len(decided) - votes_for
        n = len(members)
        count = Count(votes_for, votes_against, 0, n)
        undecided = n - len(decided)
        t, q = self.rules.temperature_threshold, self.rules.quorum
        if count.passes(t, q):
            # Would the undecided members, all against, still leave it passing?
            worst = Count(votes_for, votes_against + undecided, 0, n)
            standing = Standing.PASSED if worst.share_met(t) or not undecided else Standing.PENDING
        elif undecided and Count(votes_for + undecided, votes_against, 0, n).passes(t, q):
            standing = Standing.PENDING
        else:
            standing = Standing.FAILED
        return standing, count

    def _for(self, v: CommunityVerdict) -> bool:
        """PASSED on the resolution's own text (when it is known)."""
        return v.outcome == Outcome.PASSED and (self.text is None or v.text == self.text)


BASE_KINDS = frozenset({BodyKind.COMMUNITY, BodyKind.WORKPLACE})
"""Bodies whose members are people: the minimum size applies to them."""


def _kind_of(proof: FullProof) -> BodyKind:
    g = decode_untrusted(proof.messages[0], None).payload
    return g.body_kind if isinstance(g, Genesis) else BodyKind.COMMUNITY
