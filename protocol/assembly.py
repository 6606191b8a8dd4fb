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

Layout: this module holds the state, the queries, the dispatch and the
helpers every handler shares, and the proposal, vote and comment handlers.
Its mixins: ``protocol.motions`` (admission, removal, mandates, key
rotation, names), ``protocol.closing`` (CLOSE, the decision at an effective
close, contention, verdicts) and ``protocol.rounds`` (the grievance rounds).
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
from .closing import StageClosing
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
    Pertinent,
    Plea,
    Proposal,
    Ratification,
    RecallVote,
    RotateKey,
    Vote,
)
from .motions import Motions
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
    count_tuple,
)
from .roster import Change, MembershipHistory, Roster, RosterEvent
from .rotation import ROLES, roles
from .rounds import GrievanceRounds
from .rules import Count, ProcessRules, amend, federal_in, from_params
from .stages import ACCEPTS, VOTING, Stage, next_stage

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


class Assembly(StageClosing, Motions, GrievanceRounds):
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
        p = env.payload_as(ConstitutionAmendment)
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

    def _proposal(self, env: Envelope, identity: bytes) -> None:
        self._new_subject(env, SubjectKind.PROPOSAL, identity, Stage.DISCUSSION)

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
        p = env.payload_as(Vote)
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

    def _comment(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Comment)
        res = self._staged(env, p.proposal, SubjectKind.PROPOSAL)
        if res is not None:
            s, stage = res
            s.comments.append((stage, env.id, identity, p.text, int(p.stance)))


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
