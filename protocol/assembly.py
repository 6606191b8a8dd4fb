"""The Community assembly process: a deterministic fold over a body's log.

Theory of operation. A body's state is a pure function of its log (a set of
signed envelopes). ``Assembly.fold(log)`` walks the log in its replay order
(topological by (depth, id), identical on every node holding the same set)
and feeds each message to the subject it names: a proposal, a membership
motion (ADMIT, removal LEAVE), a mandate, or a dispute subject (DISPUTE,
DISPUTE_RESPONSE, ESCALATION; their handlers and the reading of a dispute
across bodies' logs are in ``protocol.disputes``). Each subject is in one stage of
``protocol.stages``; only the stage's *effective close* moves it on, through
``stages.TRANSITIONS``.

Every rule is causal, so the replay order never decides a count:

* the stage a message belongs to is the stage open in its causal past:
  after the last effective close of that subject it has seen;
* a vote counts exactly when it is a causal ancestor of its stage's
  effective close; a vote of that stage that is not (concurrent with the
  close, or made after it without seeing it) is kept and shown as *late*;
* among one identity's counted votes the latest counts: the highest
  sequence number (an honest author's sequence numbers grow along its causal
  chain); both messages of an equivocation (one author, one sequence number,
  two messages) are discarded and the key is flagged;
* the effective close of a stage is the first valid closing CLOSE in replay
  order: the facilitator's own CLOSE (claimed time at or after the stage's
  minimum duration), or the first CLOSE whose causal past (with itself) holds
  co-signed CLOSEs, each claiming a time at or after the stage's deadline,
  from ``cosign_quorum`` of the electorate. Claimed times are advisory: a
  lying clock moves only its own signer's message, and it takes a quorum of
  liars to close early without the facilitator.

Anything that does not fit (an unknown subject, a non-member, a kind the
stage does not take, a close of the wrong stage) is recorded in
``ignored`` with a reason; nothing raises for remote input. The fold is
recomputed from the log (``fold``), so any two nodes holding the same set get
the same ``state_hash()``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Mapping
from typing import Any

from crdt.errors import CrdtError
from crdt.log import AddResult, Log
from crdt.text import TextDocument
from crdt.text_guard import check_ops

from . import canonical, disputes, federal_fold, hand_counts, pertinence
from .constitution import federal_reason
from .envelope import Envelope
from .errors import ProtocolError
from .federal import FOUNDING, Claim, FederalConstitution
from .kinds import (
    Admit,
    Agreement,
    Amendment,
    AmendmentVote,
    BodyKind,
    Choice,
    Close,
    Comment,
    ConstitutionAdoption,
    ConstitutionAmendment,
    ConstitutionInitiative,
    DelegateElect,
    Dispute,
    DisputeResponse,
    Escalation,
    Genesis,
    Grievance,
    HandCount,
    HandCountContest,
    Kind,
    Leave,
    Mandate,
    Mediation,
    Name,
    Outcome,
    Pertinent,
    Plea,
    Proposal,
    Ratification,
    RecallVote,
    RotateKey,
    Vote,
)
from .names import Names
from .process_records import (
    DELIBERATED,
    AmendmentRecord,
    Cast,
    Evidence,
    GrievanceRecord,
    Ignored,
    MandateView,
    RulesAmender,
    StageRecord,
    Subject,
    SubjectKind,
    VerdictRecord,
    count_of,
    count_tuple,
    latest_casts,
    passing_casts,
)
from .roster import Change, MembershipHistory, Roster, RosterEvent, rotation_proof_valid
from .rotation import ROLES, roles
from .rounds import GrievanceRounds
from .rules import Count, ProcessRules, amend, federal_in, from_params
from .stages import ACCEPTS, DURATION, FINAL, ROUNDS, VOTING, Event, Stage, next_stage
from .terms import term_refusal

__all__ = [
    "DELIBERATED",
    "AmendmentRecord",
    "Assembly",
    "Cast",
    "Evidence",
    "GrievanceRecord",
    "Ignored",
    "MandateView",
    "RulesAmender",
    "StageRecord",
    "Subject",
    "SubjectKind",
    "VerdictRecord",
]


class Assembly(GrievanceRounds):
    """The fold of one body's log (see the module docstring)."""

    def __init__(
        self,
        body_id: bytes,
        rules: ProcessRules | None = None,
        *,
        amend_rules: RulesAmender | None = None,
        version: int = 1,
        ratified: Mapping[bytes, FederalConstitution] | None = None,
    ) -> None:
        self.body_id = body_id
        self._given_rules = rules
        self.rules = rules or ProcessRules()
        """The rules the body was founded with: ``rules`` when given (a node
        that knows better, a test), else those of the genesis parameters."""
        self.version = version
        self.amend_rules: RulesAmender = amend_rules or amend
        self.ratified: Mapping[bytes, FederalConstitution] = ratified or {}
        """RATIFICATIONs this reader verified (``protocol.ratification``):
        the versions of the people's constitution it may apply."""
        self._reset()

    def _reset(self) -> None:
        self.genesis: Genesis | None = None
        self.membership = MembershipHistory()
        self.subjects: dict[bytes, Subject] = {}
        self.ignored: list[Ignored] = []
        self.ignored_by_id: dict[bytes, Ignored] = {}
        self.evidence: list[Evidence] = []
        self.names = Names()
        self._genesis_author: bytes | None = None
        self._equivocating: set[tuple[bytes, int]] = set()
        self._grievance_owner: dict[bytes, bytes] = {}
        self._amendment_owner: dict[bytes, bytes] = {}
        self._hand_owner: dict[bytes, bytes] = {}
        self._log: Log | None = None
        self.rule_changes: list[tuple[bytes, int, ProcessRules]] = []
        """(trigger: the close that carried it, version, rules), replay order."""
        self.initiatives: dict[bytes, Claim] = {}
        """Kept CONSTITUTION_INITIATIVEs (the Collective's log)."""
        self.claims: dict[bytes, Claim] = {}
        """RATIFICATIONs that fit their initiative, verified or not."""
        self.pertinent: dict[bytes, frozenset[bytes]] = {}
        """Resolution -> the constituents named to decide it (``pertinence``)."""
        self.federal_changes: list[tuple[bytes, FederalConstitution]] = []
        """(ratification or adoption, version applied), replay order."""
        self._applied = 0
        self._equivocations = 0

    # --- driving ------------------------------------------------------------

    def fold(self, log: Log) -> Assembly:
        """Recompute the whole state from ``log`` (idempotent)."""
        self._reset()
        self._log = log
        self._equivocations = len(log.equivocations())
        for eq in log.equivocations():
            self._equivocating.add((eq.author, eq.seq))
            self.evidence.append(
                Evidence(
                    "equivocation",
                    eq.author,
                    (eq.first, eq.second),
                    f"two messages with sequence number {eq.seq}; both discarded",
                )
            )
        for env in log.envelopes():
            self._apply(env)
        self._applied = len(log)
        return self

    def update(self, log: Log, result: AddResult) -> Assembly:
        """Fold what ``log.add`` just accepted. When every new message lands
        at the end of the replay order and none is an equivocation, they are
        applied in place (the common case: messages that extend the log);
        otherwise the log is folded again. Either way the state equals
        ``fold(log)``."""
        if not result.accepted or result.first_changed is None:
            return self
        if (
            self._log is not log
            or result.first_changed < self._applied
            or len(log.equivocations()) != self._equivocations
        ):
            return self.fold(log)
        for env in log.envelopes(self._applied):
            self._apply(env)
        self._applied = len(log)
        return self

    @property
    def log(self) -> Log:
        assert self._log is not None, "fold a log first"
        return self._log

    # --- queries ------------------------------------------------------------

    @property
    def body_kind(self) -> BodyKind | None:
        return self.genesis.body_kind if self.genesis else None

    @property
    def parent(self) -> bytes | None:
        return self.genesis.parent if self.genesis else None

    def roster(self) -> Roster:
        """The roster of the whole log."""
        return self.membership.at(set(self.log.ids()))

    def roster_at(self, cut: Iterable[bytes]) -> Roster:
        """The roster of a causal cut: the given messages and their pasts."""
        return self.membership.at(self.log.causal_past_of_set(cut))

    def proposals(self) -> tuple[bytes, ...]:
        return tuple(s.id for s in self.subjects.values() if s.kind == SubjectKind.PROPOSAL)

    def constitution_amendments(self) -> tuple[bytes, ...]:
        return tuple(s.id for s in self.subjects.values() if s.kind == SubjectKind.CONSTITUTION)

    def federal_at(self, cut: Container[bytes]) -> FederalConstitution:
        """The version of the people's constitution in force in a cut."""
        for trigger, constitution in reversed(self.federal_changes):
            if trigger in cut:
                return constitution
        return FOUNDING

    def federal_now(self) -> FederalConstitution:
        return self.federal_at(set(self.log.ids()))

    def rules_now(self) -> tuple[int, ProcessRules]:
        """The constitution version and rules in force for the whole log."""
        return self._rules_at(set(self.log.ids()))

    def subject(self, sid: bytes) -> Subject:
        return self.subjects[sid]

    def stage(self, sid: bytes) -> Stage:
        return self.subjects[sid].stage

    def stage_of(self, sid: bytes, mid: bytes) -> Stage:
        """The stage of subject ``sid`` open in message ``mid``'s causal past:
        the stage after the last effective close of ``sid`` that ``mid`` has
        seen (spec/process.md §4)."""
        s = self.subjects[sid]
        for rec in reversed(s.history):
            if self.log.is_ancestor(rec.closed_by, mid):
                return next_stage(rec.stage, rec.event)
        return Stage.DISCUSSION if s.kind in DELIBERATED else Stage.MOTION

    def tallies(self, sid: bytes) -> dict[Stage, Count]:
        return {r.stage: r.count for r in self.subjects[sid].history if r.count is not None}

    def late_votes(self, sid: bytes) -> tuple[tuple[Stage, Cast], ...]:
        return tuple(self.subjects[sid].late)

    def grievances(self, sid: bytes) -> dict[tuple[str, bool], tuple[GrievanceRecord, ...]]:
        """Counted grievances by (category, deal-breaker)."""
        out: dict[tuple[str, bool], list[GrievanceRecord]] = {}
        for g in self.subjects[sid].grievances.values():
            if g.counted:
                out.setdefault((g.category, g.deal_breaker), []).append(g)
        return {k: tuple(v) for k, v in sorted(out.items())}

    def hand_counts(self) -> dict[bytes, bytes]:
        """Every hand count recorded -> the subject it counts (§6a)."""
        return dict(self._hand_owner)

    def delegates(self, sid: bytes) -> dict[tuple[str, bool], bytes]:
        return dict(sorted(self.subjects[sid].delegates.items()))

    def amendments(self, sid: bytes) -> tuple[AmendmentRecord, ...]:
        return tuple(self.subjects[sid].amendments.values())

    def adopted_amendments(self, sid: bytes) -> tuple[AmendmentRecord, ...]:
        return tuple(a for a in self.subjects[sid].amendments.values() if a.status == "adopted")

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

    def text(self, sid: bytes) -> str:
        """The proposal's current text: its initial text with the adopted
        amendments' operations applied through the text CRDT."""
        return self.text_and_skipped(sid)[0]

    def text_and_skipped(self, sid: bytes) -> tuple[str, tuple[bytes, ...]]:
        """The text, and the adopted amendments whose operations fail the
        text CRDT's causal check or name text the document lacks (kept in the
        log and the minutes, not applied)."""
        s = self.subjects[sid]
        doc = TextDocument(sid, s.payload.text)
        skipped = []
        for a in self.adopted_amendments(sid):
            try:
                check_ops(doc, a.id, a.ops, self.log.causal_past(a.id))
                doc.apply(a.id, a.ops)
            except CrdtError:
                skipped.append(a.id)
        return doc.text(), tuple(skipped)

    def summary(self) -> Any:
        """A canonical value of everything the process decided."""
        subjects = []
        for sid in sorted(self.subjects):
            s = self.subjects[sid]
            subjects.append(
                (
                    sid,
                    int(s.kind),
                    int(s.stage),
                    s.facilitator,
                    tuple(
                        (
                            int(r.stage),
                            r.closed_by,
                            int(r.event),
                            count_tuple(r.count),
                            tuple(c.message for c in r.counted) + r.hand,
                        )
                        for r in s.history
                    ),
                    tuple(sorted((int(st), c.message) for st, c in s.late)),
                    tuple(
                        sorted(
                            (g.id, g.counted, g.agree, g.disagree) for g in s.grievances.values()
                        )
                    ),
                    tuple(sorted((k[0], k[1], v) for k, v in s.delegates.items())),
                    tuple(
                        sorted(
                            (a.id, a.status, count_tuple(a.count)) for a in s.amendments.values()
                        )
                    ),
                    s.recalled_by or b"",
                )
                # mediation records (disputes) only where there are any, so
                # the hash of a log without disputes is what it always was
                + ((tuple(m.message for m in s.mediations),) if s.mediations else ())
            )
        roster = tuple(sorted(self.roster().members.items())) if self._log else ()
        ignored = tuple(sorted((i.message, i.reason) for i in self.ignored))
        changes = tuple((t, v) for t, v, _ in self.rule_changes)
        changes += tuple((t, c.version) for t, c in self.federal_changes)
        evidence = tuple(sorted((e.what, e.author, e.messages) for e in self.evidence))
        out: tuple[Any, ...] = (
            tuple(subjects),
            roster,
            ignored,
            evidence,
            changes,
            self.names.summary(),
        )
        if self.pertinent:
            out += (tuple(sorted((r, tuple(sorted(c))) for r, c in self.pertinent.items())),)
        return out

    def state_hash(self) -> bytes:
        return hashlib.sha256(b"caracol/0 assembly\x00" + canonical.encode(self.summary())).digest()

    # --- the fold -------------------------------------------------------------

    def _ignore(self, env: Envelope, reason: str, subject: bytes | None = None) -> None:
        record = Ignored(env.id, env.kind, env.author, reason, subject)
        self.ignored.append(record)
        self.ignored_by_id.setdefault(env.id, record)

    def _before(self, a: bytes, b: bytes) -> bool:
        """``a`` is in the causal past of ``b`` (the genesis is in every past)."""
        return a == self.body_id or self.log.is_ancestor(a, b)

    def _member_identity(self, env: Envelope) -> bytes | None:
        """The identity ``env``'s author is a member as, in env's causal past."""
        identity = self.membership.identity_of(env.author)
        if identity is None:
            return None
        retired = self.membership.retired_by.get(env.author)
        if retired is not None and self._before(retired, env.id):
            return None
        rotated_in = self.membership.rotated_in_by.get(env.author)
        if rotated_in is not None and not self._before(rotated_in, env.id):
            return None  # a rotated-to key speaks only after its rotation
        state = None
        for ev in self.membership.events_of(identity):
            if ev.change != Change.ROTATE and self._before(ev.trigger, env.id):
                state = ev.change
        return identity if state == Change.JOIN else None

    def _apply(self, env: Envelope) -> None:
        if env.kind == Kind.GENESIS:
            self._genesis(env)
            return
        if (env.author, env.seq) in self._equivocating:
            self._ignore(env, f"equivocation: author signed two messages with seq {env.seq}")
            return
        p = env.payload
        if type(p) is ConstitutionInitiative:  # anyone may propose one
            federal_fold.initiative(self, env)
            return
        handler = _HANDLERS.get(type(p))
        if handler is None:
            return  # verdicts, text edits, unknown kinds: kept in the log, not folded
        identity = self._member_identity(env)
        if identity is None:
            self._ignore(env, "author is not a member at the message's causal cut")
            return
        handler(self, env, identity)

    def _genesis(self, env: Envelope) -> None:
        g = env.payload
        assert isinstance(g, Genesis)
        self.genesis = g
        self._genesis_author = env.author
        if self._given_rules is None:
            try:
                self.rules = from_params(g.params)
            except ProtocolError as exc:
                self.rules = ProcessRules()
                self.evidence.append(
                    Evidence("bad constitution parameters", env.author, (env.id,), str(exc))
                )
        for key in g.founders:
            self.membership.add(RosterEvent(env.id, Change.JOIN, key, key, env.id))

    def _new_subject(
        self, env: Envelope, kind: SubjectKind, identity: bytes, stage: Stage
    ) -> Subject | None:
        past = self.log.causal_past(env.id)
        electorate = self._electorate_of(env, past)
        if not len(electorate):
            self._ignore(env, "empty electorate")
            return None
        version, rules = self._rules_at(past)
        federal = self.federal_at(past).version
        drawn = roles(self.body_id, electorate.identities(), identity, self._served(past))
        s = Subject(
            rules=rules,
            version=version,
            federal=federal,
            id=env.id,
            kind=kind,
            author=identity,
            time=env.time,
            electorate=electorate,
            facilitator=drawn["facilitator"],
            minute_taker=drawn["minute_taker"],
            mediator=drawn["mediator"],
            stage=stage,
            payload=env.payload,
            opened_by=env.id,
            opened_time=env.time,
        )
        self.subjects[env.id] = s
        return s

    def _electorate_of(self, env: Envelope, past: Container[bytes]) -> Roster:
        """The electorate of the subject ``env`` opens: the roster of its cut
        (a justice council's is its members in force, protocol.justice)."""
        return self.membership.at(past)

    def _served(self, past: Container[bytes]) -> dict[str, dict[bytes, int]]:
        """How many subjects in a cut each identity served in each role
        (facilitator, minute-taker, mediator: rotation, §3)."""
        served: dict[str, dict[bytes, int]] = {role: {} for role in ROLES}
        for sid, s in self.subjects.items():
            if sid in past:
                for role, who in (
                    ("facilitator", s.facilitator),
                    ("minute_taker", s.minute_taker),
                    ("mediator", s.mediator),
                ):
                    served[role][who] = served[role].get(who, 0) + 1
        return served

    def _rules_at(self, cut: Container[bytes]) -> tuple[int, ProcessRules]:
        """The constitution version and rules in force in a cut: the last
        carried amendment (in replay order) whose close is in the cut."""
        version, rules = self.version, self.rules
        for trigger, v, r in reversed(self.rule_changes):
            if trigger in cut:
                version, rules = v, r
                break
        for trigger, constitution in reversed(self.federal_changes):
            if trigger in cut:  # the people's constitution sets the federal values
                return version, constitution.apply_to(rules)
        return version, rules

    def _constitution(self, env: Envelope, identity: bytes) -> None:
        p: ConstitutionAmendment = env.payload  # type: ignore[assignment]
        i = federal_in(p.params)
        if i is not None:
            self._ignore(env, federal_reason(p.params[i][0], self.body_kind))
            return
        version, rules = self._rules_at(self.log.causal_past(env.id))
        if p.version != version + 1:
            self._ignore(env, f"amends version {p.version - 1}, version {version} is in force")
            return
        try:
            self.amend_rules(rules, p.params)
        except ProtocolError as exc:
            self._ignore(env, f"parameters rejected: {exc}")
            return
        self._new_subject(env, SubjectKind.CONSTITUTION, identity, Stage.DISCUSSION)

    def _admit(self, env: Envelope, identity: bytes) -> None:
        p: Admit = env.payload  # type: ignore[assignment]
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
        p: Leave = env.payload  # type: ignore[assignment]
        if p.member == env.author:
            self.membership.add(RosterEvent(env.id, Change.LEAVE, identity, env.author, env.id))
            return
        roster = self.membership.at(self.log.causal_past(env.id))
        if roster.identity_of(p.member) is None:
            self._ignore(env, "removal of a key that is not a member")
            return
        self._new_subject(env, SubjectKind.REMOVAL, identity, Stage.MOTION)

    def _rotate(self, env: Envelope, identity: bytes) -> None:
        p: RotateKey = env.payload  # type: ignore[assignment]
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
        p: Name = env.payload  # type: ignore[assignment]
        if p.member == env.author:
            order = (self.membership.epoch_of(env.author), env.seq)
            self.names.own(identity, order, p.name, env.id)
            return
        assert self.genesis is not None
        if env.author == self._genesis_author and p.member in self.genesis.founders:
            self.names.introduce(p.member, p.name, "founding", env.id)
            return
        self._ignore(env, "a member names only themself (the genesis author introduces founders)")

    def _proposal(self, env: Envelope, identity: bytes) -> None:
        self._new_subject(env, SubjectKind.PROPOSAL, identity, Stage.DISCUSSION)

    def _mandate(self, env: Envelope, identity: bytes) -> None:
        p: Mandate = env.payload  # type: ignore[assignment]
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

    def _staged(
        self, env: Envelope, sid: bytes, kind: SubjectKind | None = None
    ) -> tuple[Subject, Stage] | None:
        """The subject ``env`` names and the stage open in env's causal past."""
        s = self.subjects.get(sid)
        if s is None or not self.log.is_ancestor(sid, env.id):
            self._ignore(env, "no such subject in the message's causal past", sid)
            return None
        if (
            kind is not None
            and s.kind != kind
            and not (kind == SubjectKind.PROPOSAL and s.kind in DELIBERATED)
        ):
            self._ignore(env, f"the subject is a {s.kind.name.lower()}", sid)
            return None
        stage = self.stage_of(sid, env.id)
        if env.kind not in ACCEPTS[stage] and not (env.kind == Kind.VOTE and stage in VOTING):
            self._ignore(
                env,
                f"{Kind(env.kind).name.lower()} is not taken in stage {stage.name.lower()}",
                sid,
            )
            return None
        return s, stage

    def _cast(
        self, env: Envelope, identity: bytes, value: Any, target: bytes | str | None = None
    ) -> Cast:
        epoch = self.membership.epoch_of(env.author)
        return Cast(env.id, identity, env.seq, env.time, value, target, epoch)

    def _record_staged(
        self, s: Subject, stage: Stage, cast: Cast, bucket: dict[Stage, list[Cast]]
    ) -> None:
        """File a stage's message, or mark it late if that stage has closed."""
        if s.stage != stage:
            s.late.append((stage, cast))
        else:
            bucket.setdefault(stage, []).append(cast)

    def _vote(self, env: Envelope, identity: bytes) -> None:
        p: Vote = env.payload  # type: ignore[assignment]
        res = self._staged(env, p.subject)
        if res is None:
            return
        s, stage = res
        if stage not in VOTING:
            self._ignore(env, f"no vote is open in stage {stage.name.lower()}", s.id)
            return
        if identity not in s.electorate:
            self._ignore(env, "voter is not in the subject's electorate", s.id)
            return
        cast = self._cast(env, identity, p.choice)
        self._record_staged(s, stage, cast, s.casts)
        if stage == Stage.PLANNING == s.stage and p.choice != Choice.FOR:
            self._contest(s, env)

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

    def _comment(self, env: Envelope, identity: bytes) -> None:
        p: Comment = env.payload  # type: ignore[assignment]
        res = self._staged(env, p.proposal, SubjectKind.PROPOSAL)
        if res is not None:
            s, stage = res
            s.comments.append((stage, env.id, identity, p.text, int(p.stance)))

    def _recall(self, env: Envelope, identity: bytes) -> None:
        p: RecallVote = env.payload  # type: ignore[assignment]
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

    # --- closing ----------------------------------------------------------

    def _close(self, env: Envelope, identity: bytes) -> None:
        p: Close = env.payload  # type: ignore[assignment]
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
                hands = hand_counts.standing(self, s, stage, cut)
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


_HANDLERS: dict[type, Any] = {
    Admit: Assembly._admit,
    Leave: Assembly._leave,
    RotateKey: Assembly._rotate,
    Proposal: Assembly._proposal,
    Comment: Assembly._comment,
    Vote: Assembly._vote,
    Grievance: Assembly._grievance,
    DelegateElect: Assembly._delegate_elect,
    Plea: Assembly._plea,
    Agreement: Assembly._agreement,
    Amendment: Assembly._amendment,
    AmendmentVote: Assembly._amendment_vote,
    Close: Assembly._close,
    Mandate: Assembly._mandate,
    RecallVote: Assembly._recall,
    ConstitutionAmendment: Assembly._constitution,
    Name: Assembly._name,
    Pertinent: pertinence.record,
    Ratification: federal_fold.ratification,
    ConstitutionAdoption: federal_fold.adoption,
    HandCount: hand_counts.record,
    HandCountContest: hand_counts.contest,
    Dispute: disputes.raise_dispute,
    DisputeResponse: disputes.respond,
    Mediation: disputes.mediate,
    Escalation: disputes.escalate,
}
