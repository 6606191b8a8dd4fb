"""Motions and membership in the assembly fold: the subjects decided by one
vote (spec/process.md §5, §8): admitting a member (ADMIT), removing one
(LEAVE naming another), electing an implementation delegate (MANDATE, with
its term limits and RECALL_VOTE); and the membership records that are not
motions: a member leaving (LEAVE naming themself), ROTATE_KEY and NAME.

A mixin of ``protocol.assembly.Assembly``, kept apart so each file reads in
one sitting. A motion opens in stage MOTION and is adopted or rejected by
the close of its one vote (``protocol.closing``); an adopted admission or
removal changes the roster from that close on, within the body's size cap.
"""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from .envelope import Envelope
from .kinds import Admit, Choice, Genesis, Leave, Mandate, Name, RecallVote, RotateKey
from .names import Names
from .process_records import Cast, Evidence, MandateView, Subject, SubjectKind, latest_casts
from .roster import Change, MembershipHistory, RosterEvent, rotation_proof_valid
from .rules import ProcessRules
from .stages import Stage
from .terms import term_refusal

if TYPE_CHECKING:
    from typing import Any

    from crdt.log import Log


class Motions:
    """Handlers for ADMIT, LEAVE, ROTATE_KEY, NAME, MANDATE and RECALL_VOTE,
    what an adopted motion changes, term limits and the mandates view."""

    body_id: bytes
    genesis: Genesis | None
    membership: MembershipHistory
    names: Names
    subjects: dict[bytes, Subject]
    evidence: list[Evidence]
    _genesis_author: bytes | None

    if TYPE_CHECKING:

        @property
        def log(self) -> Log: ...

        def _ignore(self, env: Envelope, reason: str, subject: bytes | None = None) -> None: ...

        def _staged(
            self, env: Envelope, sid: bytes, kind: SubjectKind | None = None
        ) -> tuple[Subject, Stage] | None: ...

        def _cast(
            self, env: Envelope, identity: bytes, value: Any, target: bytes | str | None = None
        ) -> Cast: ...

        def _new_subject(
            self, env: Envelope, kind: SubjectKind, identity: bytes, stage: Stage
        ) -> Subject | None: ...

        def _rules_at(self, cut: Container[bytes]) -> tuple[int, ProcessRules]: ...

    # --- membership -----------------------------------------------------------

    def _admit(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Admit)
        if self.membership.known_key(p.member):
            roster = self.membership.at(self.log.causal_past(env.id))
            if roster.identity_of(p.member) is not None:
                self._ignore(env, "key is already a member")
                return
            if self.membership.identity_of(p.member) != p.member:
                self._ignore(env, "key was rotated away and cannot rejoin")
                return
        self._new_subject(env, SubjectKind.ADMISSION, identity, Stage.MOTION)

    def _leave(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Leave)
        if p.member == env.author:
            self.membership.add(RosterEvent(env.id, Change.LEAVE, identity, env.author, env.id))
            return
        roster = self.membership.at(self.log.causal_past(env.id))
        if roster.identity_of(p.member) is None:
            self._ignore(env, "removal of a key that is not a member")
            return
        self._new_subject(env, SubjectKind.REMOVAL, identity, Stage.MOTION)

    def _rotate(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(RotateKey)
        if self.membership.known_key(p.new_key):
            self._ignore(env, "new key is already in use")
            return
        if not rotation_proof_valid(self.body_id, env.author, p.new_key, p.proof):
            self._ignore(env, "rotation proof does not verify")
            self.evidence.append(
                Evidence(
                    "bad rotation proof",
                    env.author,
                    (env.id,),
                    "the new key did not sign the rotation",
                )
            )
            return
        self.membership.add(RosterEvent(env.id, Change.ROTATE, identity, p.new_key, env.id))
        self.membership.retire(env.author, env.id)

    def _name(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Name)
        if p.member == env.author:
            order = (self.membership.epoch_of(env.author), env.seq)
            self.names.own(identity, order, p.name, env.id)
            return
        assert self.genesis is not None
        if env.author == self._genesis_author and p.member in self.genesis.founders:
            self.names.introduce(p.member, p.name, "founding", env.id)
            return
        self._ignore(env, "a member names only themself (the genesis author introduces founders)")

    def _motion_adopted(
        self, s: Subject, close: Envelope, cut: set[bytes] | frozenset[bytes]
    ) -> None:
        if s.kind == SubjectKind.ADMISSION:
            key = s.payload.member
            cap = self._rules_at(cut)[1].size_cap
            if len(self.membership.at(cut)) >= cap:
                s.stage = Stage.REJECTED
                s.note = f"the body is at its size cap ({cap})"
                return
            self.membership.add(RosterEvent(close.id, Change.JOIN, key, key, s.id))
            self.names.introduce(key, s.payload.name, "admission", s.id)
        elif s.kind == SubjectKind.REMOVAL:
            identity = self.membership.identity_of(s.payload.member)
            if identity is not None:
                self.membership.add(
                    RosterEvent(close.id, Change.LEAVE, identity, s.payload.member, s.id)
                )

    # --- mandates -------------------------------------------------------------

    def _mandate(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Mandate)
        res = self._staged(env, p.resolution, SubjectKind.PROPOSAL)
        if res is None:
            return
        _, stage = res
        if stage != Stage.CARRIED:
            self._ignore(
                env, f"mandates follow a carried resolution (stage {stage.name})", p.resolution
            )
            return
        past = self.log.causal_past(env.id)
        roster = self.membership.at(past)
        delegate = roster.identity_of(p.delegate)
        if delegate is None:
            self._ignore(env, "the delegate is not a member", p.resolution)
            return
        why = self.term_refusal(p, env.time, delegate, past)
        if why is not None:
            self._ignore(env, why, p.resolution)
            return
        self._new_subject(env, SubjectKind.MANDATE, identity, Stage.MOTION)

    def term_refusal(
        self, p: Mandate, time: int, delegate: bytes, past: Container[bytes] | None = None
    ) -> str | None:
        """Why nominating ``p`` at ``time`` breaks a term limit in the cut
        ``past`` (the whole log when None), or None (``protocol.terms``)."""
        cut: Container[bytes] = set(self.log.ids()) if past is None else past
        held = []
        for sid, s in self.subjects.items():
            if s.kind == SubjectKind.MANDATE and sid in cut and s.stage == Stage.ADOPTED:
                r = s.recalled_by
                held.append((s.payload, self.log.get(r).time if r and r in cut else None))
        rules = self._rules_at(cut)[1]
        return term_refusal(p, time, delegate, rules, held, self.membership.identity_of)

    def _recall(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(RecallVote)
        s = self.subjects.get(p.mandate)
        if s is None or s.kind != SubjectKind.MANDATE:
            self._ignore(env, "unknown mandate", p.mandate)
            return
        if (
            not s.history
            or s.stage != Stage.ADOPTED
            or not self.log.is_ancestor(s.history[-1].closed_by, env.id)
        ):
            self._ignore(env, "recall of a mandate not (yet) in force", s.id)
            return
        if identity not in s.electorate:
            self._ignore(env, "not in the mandate's electorate", s.id)
            return
        if env.time >= s.payload.expires:
            # an ended term cannot be revoked (spec/process.md §9)
            self._ignore(env, "the mandate has expired", s.id)
            return
        cast = self._cast(env, identity, p.choice)
        if s.recalled_by is not None:
            s.late.append((Stage.ADOPTED, cast))
            return
        s.recall.append(cast)
        if p.choice != Choice.FOR:
            return
        need = s.rules.needed(s.rules.recall_threshold, len(s.electorate))
        if len({c.identity for c in s.recall if c.value == Choice.FOR}) < need:
            return
        past = self.log.causal_past(env.id) | {env.id}
        latest = latest_casts(c for c in s.recall if c.message in past)
        if sum(1 for c in latest.values() if c.value == Choice.FOR) >= need:
            s.recalled_by = env.id

    def mandates(self, now: int) -> tuple[MandateView, ...]:
        out = []
        for s in self.subjects.values():
            if s.kind != SubjectKind.MANDATE:
                continue
            m: Mandate = s.payload
            if s.recalled_by is not None:
                status = "recalled"
            elif s.stage == Stage.ADOPTED:
                status = "active" if now < m.expires else "expired"
            elif s.stage == Stage.REJECTED:
                status = "rejected"
            else:
                status = "nominated"
            out.append(
                MandateView(
                    s.id, m.resolution, m.delegate, m.scope, m.expires, status, s.recalled_by
                )
            )
        return tuple(out)
