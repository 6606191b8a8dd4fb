"""The grievance rounds of the assembly fold: concerns, delegates, pleas,
agreement and friendly amendments (spec/process.md §7, steps 3-4).

A mixin of ``protocol.assembly.Assembly``, kept apart so each file reads in
one sitting. Round messages are checked when they arrive (who may send them
follows from the closed concerns stage, which every round message has seen)
and decided at the round's effective close: delegates elected, agreement
counted, amendments adopted or rejected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crdt.log import Log

from .envelope import Envelope
from .kinds import Agreement, Amendment, AmendmentVote, DelegateElect, Grievance, Plea
from .process_records import (
    TEXTED,
    AmendmentRecord,
    Cast,
    GrievanceRecord,
    Subject,
    SubjectKind,
    count_of,
    latest_casts,
)
from .rules import ProcessRules
from .stages import ROUNDS, Event, Stage


class GrievanceRounds:
    """Handlers for GRIEVANCE, DELEGATE_ELECT, PLEA, AGREEMENT, AMENDMENT and
    AMENDMENT_VOTE, and the evaluation of concerns and round closes."""

    _grievance_owner: dict[bytes, bytes]
    _amendment_owner: dict[bytes, bytes]
    rules: ProcessRules

    if TYPE_CHECKING:  # what this mixin uses of Assembly, for the type checker only

        @property
        def log(self) -> Log: ...

        def _ignore(self, env: Envelope, reason: str, subject: bytes | None = None) -> None: ...

        def _staged(
            self, env: Envelope, sid: bytes, kind: SubjectKind | None = None
        ) -> tuple[Subject, Stage] | None: ...

        def _cast(
            self, env: Envelope, identity: bytes, value: Any, target: bytes | str | None = None
        ) -> Cast: ...

        def _record_staged(
            self, s: Subject, stage: Stage, cast: Cast, bucket: dict[Stage, list[Cast]]
        ) -> None: ...

    def _grievance(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Grievance)
        res = self._staged(env, p.proposal, SubjectKind.PROPOSAL)
        if res is None:
            return
        s, _ = res
        if identity not in s.against:
            self._ignore(env, "only members whose counted vote was against file grievances", s.id)
            return
        s.grievances[env.id] = GrievanceRecord(
            env.id, identity, p.category, p.deal_breaker, p.text, env.time
        )
        self._grievance_owner[env.id] = s.id
        if s.stage != Stage.CONCERNS:
            s.late.append((Stage.CONCERNS, self._cast(env, identity, None)))

    def _round(self, env: Envelope, sid: bytes) -> tuple[Subject, Stage] | None:
        res = self._staged(env, sid, SubjectKind.PROPOSAL)
        if res is None:
            return None
        if res[1] not in ROUNDS:
            self._ignore(env, "not in a grievance round", sid)
            return None
        return res

    def _holders(self, s: Subject, category: str, deal_breaker: bool) -> frozenset[bytes]:
        return frozenset(
            g.identity
            for g in s.grievances.values()
            if g.counted and g.category == category and g.deal_breaker == deal_breaker
        )

    def _delegate_elect(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(DelegateElect)
        res = self._round(env, p.proposal)
        if res is None:
            return
        s, stage = res
        holders = self._holders(s, p.category, ROUNDS[stage])
        if identity not in holders:
            self._ignore(env, "only the category's holders elect its delegate", s.id)
            return
        candidate = s.electorate.identity_of(p.candidate)
        if candidate not in holders:
            self._ignore(env, "the candidate does not hold a grievance in the category", s.id)
            return
        cast = self._cast(env, identity, candidate, p.category)
        self._record_staged(s, stage, cast, s.elects)

    def _plea(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Plea)
        res = self._round(env, p.proposal)
        if res is not None:
            s, stage = res
            s.pleas.append((stage, env.id, identity, p.category, p.text))

    def _agreement(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Agreement)
        sid = self._grievance_owner.get(p.grievance)
        if sid is None:
            self._ignore(env, "unknown grievance", p.grievance)
            return
        res = self._round(env, sid)
        if res is None:
            return
        s, stage = res
        g = s.grievances[p.grievance]
        if not g.counted or g.deal_breaker != ROUNDS[stage]:
            self._ignore(env, "the grievance is not treated in this round", s.id)
            return
        if identity not in s.electorate:
            self._ignore(env, "not in the proposal's electorate", s.id)
            return
        cast = self._cast(env, identity, p.agree, p.grievance)
        if s.stage != stage:
            s.late.append((stage, cast))
        else:
            s.agreements.append(cast)

    def _amendment(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Amendment)
        res = self._round(env, p.proposal)
        if res is None:
            return
        s, stage = res
        if s.kind not in TEXTED:
            self._ignore(env, "only a proposal has a text to amend", s.id)
            return
        if identity not in self._holders(s, p.category, ROUNDS[stage]):
            self._ignore(env, "only the category's holders propose its amendments", s.id)
            return
        rec = AmendmentRecord(env.id, identity, stage, p.category, p.rationale, p.ops)
        if s.stage != stage:
            rec.status = "late"
        s.amendments[env.id] = rec
        self._amendment_owner[env.id] = s.id

    def _amendment_vote(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(AmendmentVote)
        sid = self._amendment_owner.get(p.amendment)
        if sid is None:
            self._ignore(env, "unknown amendment", p.amendment)
            return
        res = self._round(env, sid)
        if res is None:
            return
        s, stage = res
        a = s.amendments[p.amendment]
        if a.stage != stage:
            self._ignore(env, "the amendment belongs to another round", s.id)
            return
        if identity not in s.electorate:
            self._ignore(env, "not in the proposal's electorate", s.id)
            return
        cast = self._cast(env, identity, p.choice, p.amendment)
        if a.status != "open" or s.stage != stage:
            s.late.append((stage, cast))
        else:
            a.votes.append(cast)

    def _close_concerns(self, s: Subject, cut: set[bytes] | frozenset[bytes]) -> Event:
        for g in s.grievances.values():
            if g.id in cut:
                g.counted = True
            else:
                s.late.append((Stage.CONCERNS, Cast(g.id, g.identity, 0, g.time, None)))
        counted = [g for g in s.grievances.values() if g.counted]
        if any(not g.deal_breaker for g in counted):
            return Event.MINOR_GRIEVANCES
        if counted:
            return Event.ONLY_MAJOR_GRIEVANCES
        return Event.NO_GRIEVANCES

    def _close_round(
        self, s: Subject, stage: Stage, cut: set[bytes] | frozenset[bytes]
    ) -> tuple[Cast, ...]:
        """Elect delegates, count agreements, decide amendments; returns the
        counted casts (each identity's latest per category, grievance and
        amendment)."""
        deal_breaker = ROUNDS[stage]
        counted: list[Cast] = []
        elects = s.elects.get(stage, [])
        s.late.extend((stage, c) for c in elects if c.message not in cut)
        by_category: dict[str, list[Cast]] = {}
        for c in elects:
            if c.message in cut:
                by_category.setdefault(str(c.target), []).append(c)
        for category, casts in sorted(by_category.items()):
            votes: dict[bytes, int] = {}
            for c in latest_casts(casts).values():
                counted.append(c)
                votes[c.value] = votes.get(c.value, 0) + 1
            # most votes wins; ties go to the smallest identity (as bytes)
            winner = min(votes, key=lambda k: (-votes[k], k))
            s.delegates[(category, deal_breaker)] = winner
        for cast in s.agreements:
            if cast.message not in cut:
                s.late.append((stage, cast))
        agreements = [c for c in s.agreements if c.message in cut]
        s.agreements = [c for c in s.agreements if c.message not in cut]
        by_grievance: dict[bytes | str | None, list[Cast]] = {}
        for c in agreements:
            by_grievance.setdefault(c.target, []).append(c)
        for gid, casts in by_grievance.items():
            assert isinstance(gid, bytes)  # an agreement's target is its grievance's id
            g = s.grievances[gid]
            latest = latest_casts(casts).values()
            counted.extend(latest)
            g.agree = sum(1 for c in latest if c.value)
            g.disagree = sum(1 for c in latest if not c.value)
        for a in s.amendments.values():
            if a.stage != stage or a.status != "open":
                continue
            if a.id not in cut:
                a.status = "late"
                continue
            s.late.extend((stage, c) for c in a.votes if c.message not in cut)
            latest_votes = latest_casts(c for c in a.votes if c.message in cut)
            counted.extend(latest_votes.values())
            a.count = count_of(latest_votes.values(), len(s.electorate))
            a.status = (
                "adopted"
                if a.count.passes(s.rules.amendment_threshold, s.rules.quorum)
                else "rejected"
            )
        return tuple(sorted(counted, key=lambda c: c.message))
