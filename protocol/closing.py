"""Closing a stage of the assembly fold: the effective close, the count at
it and the event that moves the subject on (spec/process.md §4-7).

A mixin of ``protocol.assembly.Assembly``, kept apart so each file reads in
one sitting. A CLOSE is the facilitator's (it closes at once, after the
stage's minimum duration) or a co-signature (the stage closes at the first
CLOSE whose causal past, with itself, holds co-signed CLOSEs from
``cosign_quorum`` of the electorate, each claiming a time at or after the
stage's deadline). ``_decide`` counts the stage's votes in the close's
causal past (hand counts standing in for the members they counted), files
the rest as late and moves the subject on through ``stages.TRANSITIONS``;
a carried constitution amendment changes the rules from that close on, an
adopted motion is applied (``protocol.motions``). Contention tables a
resolution during planning as soon as support falls below its threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from . import hand_counts
from .envelope import Envelope
from .kinds import Choice, Close, Outcome
from .process_records import (
    DELIBERATED,
    Cast,
    Evidence,
    RulesAmender,
    StageRecord,
    Subject,
    SubjectKind,
    VerdictRecord,
    count_of,
    latest_casts,
    passing_casts,
)
from .rules import Count, ProcessRules
from .stages import DURATION, FINAL, ROUNDS, VOTING, Event, Stage, next_stage

if TYPE_CHECKING:
    from crdt.log import Log

    from .assembly import Assembly


class StageClosing:
    """The CLOSE handler, the decision at an effective close, contention
    and the verdicts the closes reach."""

    subjects: dict[bytes, Subject]
    evidence: list[Evidence]
    rule_changes: list[tuple[bytes, int, ProcessRules]]
    amend_rules: RulesAmender

    if TYPE_CHECKING:

        @property
        def log(self) -> Log: ...

        def proposals(self) -> tuple[bytes, ...]: ...

        def _ignore(self, env: Envelope, reason: str, subject: bytes | None = None) -> None: ...

        def _before(self, a: bytes, b: bytes) -> bool: ...

        def _staged(
            self, env: Envelope, sid: bytes, kind: SubjectKind | None = None
        ) -> tuple[Subject, Stage] | None: ...

        def _close_concerns(self, s: Subject, cut: set[bytes] | frozenset[bytes]) -> Event: ...

        def _close_round(
            self, s: Subject, stage: Stage, cut: set[bytes] | frozenset[bytes]
        ) -> tuple[Cast, ...]: ...

        def _motion_adopted(
            self, s: Subject, close: Envelope, cut: set[bytes] | frozenset[bytes]
        ) -> None: ...

    # --- closing ------------------------------------------------------------

    def _close(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Close)
        res = self._staged(env, p.subject)
        if res is None:
            return
        s, stage = res
        if p.stage != stage:
            self._ignore(
                env, f"close names stage {p.stage}, the open stage is {stage.name.lower()}", s.id
            )
            return
        if s.stage != stage:
            prior = next((r for r in s.history if r.stage == stage), None)
            if identity == s.facilitator and prior is not None and prior.closer == env.author:
                self.evidence.append(
                    Evidence(
                        "conflicting close",
                        env.author,
                        (prior.closed_by, env.id),
                        f"the facilitator closed stage {stage.name.lower()} twice",
                    )
                )
            self._ignore(env, "stage already closed", s.id)
            return
        behind = max(self.log.get(q).time for q in env.parents)
        if env.time < behind:
            self.evidence.append(
                Evidence(
                    "close claims a time before its past",
                    env.author,
                    (env.id,),
                    f"claims {env.time}, a parent claims {behind}",
                )
            )
        duration = DURATION[stage]
        if identity == s.facilitator:
            if env.time < s.opened_time + s.rules.min_duration[duration]:
                self._ignore(env, "facilitator's close before the stage's minimum duration", s.id)
                return
            self._decide(s, env, ())
            return
        if identity not in s.electorate:
            self._ignore(env, "co-signer is not in the subject's electorate", s.id)
            return
        if env.time < s.opened_time + s.rules.deadline[duration]:
            self._ignore(env, "co-signed close before the stage's deadline", s.id)
            return
        signed = s.cosigns.setdefault(stage, [])
        signed.append((env.id, identity))
        need = s.rules.needed(s.rules.cosign_quorum, len(s.electorate))
        if len({i for _, i in signed}) < need:
            return
        cosigners = sorted({i for m, i in signed if m == env.id or self._before(m, env.id)})
        if len(cosigners) >= need:
            self._decide(s, env, tuple(cosigners))

    def _decide(self, s: Subject, close: Envelope, cosigners: tuple[bytes, ...]) -> None:
        stage = s.stage
        cut = self.log.causal_past(close.id) | {close.id}
        count: Count | None = None
        counted: tuple[Cast, ...] = ()
        hand: tuple[bytes, ...] = ()
        if stage in VOTING:
            casts = s.casts.get(stage, [])
            latest = latest_casts(c for c in casts if c.message in cut)
            s.late.extend((stage, c) for c in casts if c.message not in cut)
            hands: tuple[hand_counts.HandRecord, ...] = ()
            if stage in hand_counts.HAND_STAGES:
                hands = hand_counts.standing(cast("Assembly", self), s, stage, cut)
                by_hand = frozenset().union(*(h.present for h in hands))
                s.superseded.extend(c for i, c in latest.items() if i in by_hand)
                latest = {i: c for i, c in latest.items() if i not in by_hand}
            hand = tuple(h.id for h in hands)
            counted = tuple(latest[i] for i in sorted(latest))
            if stage == Stage.PLANNING:
                base = latest_casts(passing_casts(s))
                base.update(latest)
                count = count_of(base.values(), len(s.electorate))
            else:
                count = hand_counts.combined(count_of(counted, len(s.electorate)), hands)
            event = self._vote_event(s, stage, count)
            if stage == Stage.TEMPERATURE:
                s.against = frozenset(
                    [c.identity for c in counted if c.value == Choice.AGAINST]
                    + [i for h in hands if h.count.votes_against for i in h.present]
                )
        elif stage == Stage.CONCERNS:
            event = self._close_concerns(s, cut)
        elif stage in ROUNDS:
            counted = self._close_round(s, stage, cut)
            event = Event.CLOSED
        else:
            event = Event.CLOSED  # discussion
        s.history.append(
            StageRecord(
                stage, s.opened_by, close.id, close.author, cosigners, event, count, counted, hand
            )
        )
        s.stage = next_stage(stage, event)
        s.opened_by = close.id
        s.opened_time = close.time
        if s.kind == SubjectKind.CONSTITUTION and s.stage == Stage.CARRIED:
            rules = self.amend_rules(s.rules, s.payload.params)
            self.rule_changes.append((close.id, s.version + 1, rules))
        if s.kind not in DELIBERATED and s.stage == Stage.ADOPTED:
            self._motion_adopted(s, close, cut)

    def _vote_event(self, s: Subject, stage: Stage, count: Count) -> Event:
        threshold = s.rules.threshold(VOTING[stage])
        if stage == Stage.PLANNING:
            return Event.SUPPORT_HELD if count.share_met(threshold) else Event.SUPPORT_LOST
        passed = count.passes(threshold, s.rules.quorum)
        if stage == Stage.MINOR_CHECK and not passed:
            major = any(g.counted and g.deal_breaker for g in s.grievances.values())
            return Event.NOT_PASSED_MAJOR_PENDING if major else Event.NOT_PASSED_NO_MAJOR
        return Event.PASSED if passed else Event.NOT_PASSED

    def _contest(self, s: Subject, vote: Envelope) -> None:
        """Contention: the resolution is tabled at once by the first planning
        vote whose causal past (with itself) holds support below the
        contention threshold (spec/process.md §7.7)."""
        cut = self.log.causal_past(vote.id) | {vote.id}
        support = latest_casts(passing_casts(s))
        support.update(latest_casts(c for c in s.casts[Stage.PLANNING] if c.message in cut))
        count = count_of(support.values(), len(s.electorate))
        if not count.share_met(s.rules.contention_threshold):
            self._decide(s, vote, ())

    # --- the verdicts reached -----------------------------------------------

    def verdict(self, sid: bytes) -> VerdictRecord | None:
        s = self.subjects[sid]
        if s.kind not in DELIBERATED or s.stage not in FINAL:
            return None
        last = s.history[-1]
        if s.stage == Stage.FAILED:
            assert last.count is not None
            return VerdictRecord(
                sid, Outcome.FAILED, last.closed_by, last.stage, last.count, len(s.electorate)
            )
        deciding = next(r for r in reversed(s.history[:-1]) if r.event == Event.PASSED)
        assert deciding.count is not None and last.count is not None
        if s.stage == Stage.TABLED:
            return VerdictRecord(
                sid, Outcome.TABLED, last.closed_by, Stage.PLANNING, last.count, len(s.electorate)
            )
        return VerdictRecord(
            sid, Outcome.PASSED, last.closed_by, deciding.stage, deciding.count, len(s.electorate)
        )

    def verdicts(self) -> dict[bytes, VerdictRecord]:
        out = {}
        for sid in self.proposals():
            v = self.verdict(sid)
            if v is not None:
                out[sid] = v
        return out
