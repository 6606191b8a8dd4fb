"""Community Justice Councils: a body under a Community whose members the
Community elects by mandate, recording cases and deciding reparation and
rehabilitation plans by its own process (seed 004; spec/justice.md).

Theory of operation. Justice means "repairing the wrongs that have been
done and preventing further ones" (seed 004): a council decides what
repair and rehabilitation look like, case by case, with reparation for
those harmed a primary concern. Its membership is never self-declared:

* **Charter.** The council is a body of kind ``justice_council`` whose
  GENESIS names its Community as ``parent``. Its COUNCIL_CHARTER (kind 32)
  names the Community resolution it serves under: the first in replay
  order signed by the genesis author with the genesis as its only parent,
  naming a PROPOSAL of the Community, whose author holds a seat on it at
  the genesis's time (only an elected member founds the council body).
* **Seats.** A seat is an adopted MANDATE of the Community on that
  resolution. It is in force from the claimed time of its election's
  effective close until the earliest of its ``expires``, the claimed time
  of the RECALL_VOTE that revoked it, and the delegate leaving the
  Community. Term limits and cooling-off are the Community's
  (``protocol.terms``): the council only reads them.
* **Members at a time.** A message of the council counts only if its
  author's key speaks for a seat holder in force at the message's claimed
  time; anything else is ignored with a reason.
* **Cases and plans.** A CASE (kind 30) names those harmed and those
  responsible; a PLAN (kind 31) for a case goes through the proposal
  process (``protocol.assembly``): discussion, temperature check,
  grievance rounds, friendly amendments of its text, final vote,
  planning. The parties to a case do not move or decide its plans.
* **In force at the close.** A plan's stage counts only the votes of
  members in force both when the stage opened and at its close's claimed
  time: a member recalled (or whose term ran out) mid-stage is dropped
  from the stage's electorate and their votes are ignored with a reason.

The council's log alone cannot know the Community's mandates, so the
Community's folded ``Assembly`` comes in as an argument, the sans-IO way
(``protocol.constituents`` takes verdicts likewise). Times are the claimed
times of signed messages; no clock is read. ``Council`` is the assembly
fold with these rules; its state is a pure function of the two logs.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from crdt.log import AddResult, Log

from . import hand_counts
from .assembly import Assembly
from .envelope import Envelope
from .kinds import (
    Admit,
    Agreement,
    Amendment,
    AmendmentVote,
    BodyKind,
    Case,
    Close,
    Comment,
    ConstitutionAmendment,
    CouncilCharter,
    DelegateElect,
    Grievance,
    HandCount,
    HandCountContest,
    Kind,
    Leave,
    Mandate,
    Name,
    Plan,
    Plea,
    Proposal,
    RecallVote,
    RotateKey,
    Vote,
)
from .process_records import RulesAmender, Subject, SubjectKind, VerdictRecord
from .roster import Change, MembershipHistory, Roster
from .rules import ProcessRules
from .stages import FINAL, Event, Stage


@dataclass(frozen=True, slots=True)
class Seat:
    """One adopted Community mandate on the council's resolution."""

    mandate: bytes
    identity: bytes
    """The member's identity in the Community (the key it joined with)."""
    key: bytes
    """The delegate key the mandate named."""
    since: int
    """Claimed time of the election's effective close."""
    until: int
    ended: str
    """What ends it at ``until``: expiry | recall | left the Community."""

    def in_force(self, t: int) -> bool:
        return self.since <= t < self.until

    def status(self, now: int) -> str:
        if now < self.since:
            return "elected"
        if now < self.until:
            return "in force"
        return {"expiry": "expired", "recall": "recalled"}.get(self.ended, "left")


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case as the council recorded it."""

    id: bytes
    filed_by: bytes
    time: int
    harmed: tuple[bytes, ...]
    responsible: tuple[bytes, ...]
    summary: str
    parties: frozenset[bytes]
    """Identities (or bare keys, for non-members) of everyone named."""


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """A plan of a case: its stage and, once decided, its verdict."""

    plan: bytes
    title: str
    repairs: tuple[bytes, ...]
    stage: Stage
    verdict: VerdictRecord | None


def seats(community: Assembly, resolution: bytes) -> tuple[Seat, ...]:
    """The council's seats: the Community's adopted mandates on
    ``resolution``, each with the time window it is in force (by the claimed
    times of the election close, the recall vote and any leaving)."""
    log = community.log
    out = []
    for s in community.subjects.values():
        if s.kind != SubjectKind.MANDATE or s.stage != Stage.ADOPTED or not s.history:
            continue
        m: Mandate = s.payload
        if m.resolution != resolution:
            continue
        identity = community.membership.identity_of(m.delegate)
        if identity is None:
            continue
        since = log.get(s.history[-1].closed_by).time
        until, ended = m.expires, "expiry"
        if s.recalled_by is not None and log.get(s.recalled_by).time < until:
            until, ended = log.get(s.recalled_by).time, "recall"
        left = _left_at(community, identity, since)
        if left is not None and left < until:
            until, ended = left, "left the Community"
        out.append(Seat(s.id, identity, m.delegate, since, max(since, until), ended))
    return tuple(sorted(out, key=lambda x: (x.since, x.mandate)))


def _left_at(community: Assembly, identity: bytes, since: int) -> int | None:
    times = [
        community.log.get(ev.trigger).time
        for ev in community.membership.events_of(identity)
        if ev.change == Change.LEAVE and ev.trigger in community.log
    ]
    later = [t for t in times if t >= since]
    return min(later) if later else None


def speaks_at(community: Assembly, key: bytes, t: int) -> bytes | None:
    """The Community identity ``key`` speaks for at claimed time ``t``: a
    key retired by a rotation stops at the rotation's time, a rotated-to key
    starts there."""
    membership = community.membership
    identity = membership.identity_of(key)
    if identity is None:
        return None
    retired = membership.retired_by.get(key)
    if retired is not None and retired in community.log and community.log.get(retired).time <= t:
        return None
    rotated_in = membership.rotated_in_by.get(key)
    if (
        rotated_in is not None
        and rotated_in in community.log
        and community.log.get(rotated_in).time > t
    ):
        return None
    return identity


_NOT_TAKEN: dict[type, str] = {
    Admit: "a council's members are elected by its Community's mandates, not admitted",
    Leave: "a council member's seat ends by expiry or the Community's recall, not by LEAVE",
    RotateKey: "keys rotate in the Community; the council follows the Community's roster",
    Proposal: "a justice council decides plans for its cases (kind 31), not proposals",
    Mandate: "mandates are the Community's to give",
    RecallVote: "recall votes are cast in the Community",
    ConstitutionAmendment: "a council runs under the rules its genesis set",
    Name: "names are kept in the Community",
}
"""Kinds the assembly folds that a justice council does not take, and why."""


class Council(Assembly):
    """The fold of a justice council's log, given its Community's fold (see
    the module docstring). Every query of ``Assembly`` works on it; a plan
    is a subject of kind ``plan``."""

    def __init__(
        self,
        body_id: bytes,
        community: Assembly | None,
        rules: ProcessRules | None = None,
        *,
        amend_rules: RulesAmender | None = None,
        version: int = 1,
    ) -> None:
        self.community = community
        super().__init__(body_id, rules, amend_rules=amend_rules, version=version)

    def _reset(self) -> None:
        super()._reset()
        self._keys: dict[bytes, bytes] = {}
        if self.community is not None:
            self.membership = self.community.membership
            self.names = self.community.names
            self._keys = dict(self.community.roster().members)
        self.charter: bytes | None = None
        self.resolution: bytes | None = None
        self.problem: str | None = "no charter: the council names no Community resolution yet"
        self.seats: tuple[Seat, ...] = ()
        self.cases: dict[bytes, CaseRecord] = {}
        self._mark = self._community_mark()

    def _community_mark(self) -> tuple[int, int] | None:
        c = self.community
        return None if c is None else (id(c), len(c.log))

    def stale(self) -> bool:
        """The Community's log has grown since this fold."""
        return self._mark != self._community_mark()

    def update(self, log: Log, result: AddResult) -> Assembly:
        """As ``Assembly.update``; folds again when the Community's log has
        grown (a mandate, a recall) or a charter arrived."""
        if self.stale() or any(e.kind == Kind.COUNCIL_CHARTER for e in result.accepted):
            return self.fold(log)
        return super().update(log, result)

    # --- queries ------------------------------------------------------------

    def members_at(self, t: int) -> Roster:
        """The council at claimed time ``t``: identity -> the key it uses now."""
        return Roster(
            {s.identity: self._keys.get(s.identity, s.key) for s in self.seats if s.in_force(t)}
        )

    def members(self, now: int) -> tuple[Seat, ...]:
        """The seats in force at ``now``."""
        return tuple(s for s in self.seats if s.in_force(now))

    def latest_time(self) -> int:
        """The latest claimed time in the council's and the Community's logs."""
        times = [e.time for e in self.log.envelopes()]
        if self.community is not None:
            times += [e.time for e in self.community.log.envelopes()]
        return max(times, default=0)

    def roster(self) -> Roster:
        """The members in force at the latest claimed time either log holds
        (a reader that knows the time asks ``members_at``)."""
        return self.members_at(self.latest_time())

    def roster_at(self, cut: Iterable[bytes]) -> Roster:
        """The members in force at the latest claimed time in the cut."""
        times = [self.log.get(m).time for m in self.log.causal_past_of_set(cut)]
        return self.members_at(max(times, default=0))

    def why_not_member(self, key: bytes, t: int) -> str | None:
        """Why ``key`` does not speak for the council at ``t``, or None."""
        if self.problem is not None:
            return self.problem
        assert self.community is not None
        identity = speaks_at(self.community, key, t)
        if identity is None:
            return "not a member of the council's Community (or a key rotated away)"
        mine = [s for s in self.seats if s.identity == identity]
        if any(s.in_force(t) for s in mine):
            return None
        if not mine:
            return "holds no mandate from the Community for this council"
        last = max(mine, key=lambda s: s.until)
        if t < last.since:
            return "elected, but the seat is not in force yet"
        return f"the council mandate ended ({last.ended})"

    def plans(self, case: bytes | None = None) -> tuple[bytes, ...]:
        return tuple(
            s.id
            for s in self.subjects.values()
            if s.kind == SubjectKind.PLAN and (case is None or s.payload.case == case)
        )

    def plan_outcomes(self, case: bytes) -> tuple[PlanOutcome, ...]:
        out = []
        for pid in self.plans(case):
            s = self.subjects[pid]
            p: Plan = s.payload
            out.append(PlanOutcome(pid, p.title, p.repairs, s.stage, self.verdict(pid)))
        return tuple(out)

    def case_status(self, case: bytes) -> str:
        """open (no plan under way) | deciding | decided (a plan carried)."""
        stages = [self.subjects[p].stage for p in self.plans(case)]
        if Stage.CARRIED in stages:
            return "decided"
        if any(st not in FINAL for st in stages):
            return "deciding"
        return "open"

    def summary(self) -> Any:
        seats_ = tuple((s.mandate, s.identity, s.since, s.until, s.ended) for s in self.seats)
        cases = tuple(
            (c.id, c.filed_by, c.harmed, c.responsible, self.case_status(c.id))
            for c in sorted(self.cases.values(), key=lambda c: c.id)
        )
        return (super().summary(), self.charter or b"", seats_, cases, self.problem or "")

    # --- the fold -------------------------------------------------------------

    def _genesis(self, env: Envelope) -> None:
        kept = self.membership
        self.membership = MembershipHistory()  # a council's founders hold no seat
        super()._genesis(env)
        self.membership = kept
        self._read_charter()

    def _read_charter(self) -> None:
        for env in self.log.envelopes():
            if env.kind != Kind.COUNCIL_CHARTER:
                continue
            why = self._charter_refusal(env)
            if why is None:
                p = env.payload_as(CouncilCharter)
                self.charter, self.resolution, self.problem = env.id, p.resolution, None
                return
            if self.problem is not None and self.problem.startswith("no charter"):
                self.problem = f"no valid charter: {why}"

    def _charter_refusal(self, env: Envelope) -> str | None:
        g = self.genesis
        if g is None or g.body_kind != BodyKind.JUSTICE_COUNCIL:
            return "only a justice council (body kind 6) has a charter"
        if env.author != self._genesis_author or env.parents != (self.body_id,):
            return "a charter is signed by the genesis author with the genesis as its only parent"
        c = self.community
        if c is None or g.parent != c.body_id:
            return "this node does not hold the council's Community"
        p = env.payload_as(CouncilCharter)
        s = c.subjects.get(p.resolution)
        if s is None or s.kind != SubjectKind.PROPOSAL:
            return "the charter names no proposal of the Community"
        genesis_time = self.log.get(self.body_id).time
        founder = speaks_at(c, env.author, genesis_time)
        self.seats = seats(c, p.resolution)
        if founder is None or not any(
            x.identity == founder and x.in_force(genesis_time) for x in self.seats
        ):
            self.seats = ()
            return (
                "a council is founded by one of its elected members: the genesis author "
                "holds no Community mandate on the resolution at the genesis's time"
            )
        return None

    def _apply(self, env: Envelope) -> None:
        if env.kind == Kind.GENESIS:
            self._genesis(env)
            return
        if (env.author, env.seq) in self._equivocating:
            self._ignore(env, f"equivocation: author signed two messages with seq {env.seq}")
            return
        p = env.payload
        if isinstance(p, CouncilCharter):
            if env.id != self.charter:
                why = self._charter_refusal(env) if self.charter is None else None
                self._ignore(env, why or "a second charter: the first in replay order counts")
            return
        reason = _NOT_TAKEN.get(type(p))
        if reason is not None:
            self._ignore(env, reason)
            return
        handler = _HANDLERS.get(type(p))
        if handler is None:
            return  # verdicts, text edits, unknown kinds: kept, not folded
        identity = self._member_identity(env)
        if identity is None:
            self._ignore(env, self._outsider(env))
            return
        handler(self, env, identity)

    def _outsider(self, env: Envelope) -> str:
        why = self.why_not_member(env.author, env.time)
        return f"author is not a council member at the message's claimed time: {why}"

    def _member_identity(self, env: Envelope) -> bytes | None:
        if self.community is None or self.problem is not None:
            return None
        identity = speaks_at(self.community, env.author, env.time)
        if identity is None or identity not in self.members_at(env.time):
            return None
        return identity

    def _electorate_of(self, env: Envelope, past: Container[bytes]) -> Roster:
        members = self.members_at(env.time)
        p = env.payload
        if isinstance(p, Plan) and p.case in self.cases:
            return _without(members, self.cases[p.case].parties)
        return members

    def _in_force(self, s: Subject, t: int) -> Roster:
        """Who decides plan ``s`` at claimed time ``t``: members in force
        then, less the case's parties."""
        members = self.members_at(t)
        return _without(members, self.cases[s.payload.case].parties)

    def _case(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Case)
        if p.community != self.parent:
            self._ignore(
                env,
                f"the case names Community {p.community.hex()[:16]}…; this council serves "
                f"{(self.parent or b'').hex()[:16]}…",
            )
            return
        assert self.community is not None
        parties = frozenset(
            self.community.membership.identity_of(k) or k for k in p.harmed + p.responsible
        )
        self.cases[env.id] = CaseRecord(
            env.id, identity, env.time, p.harmed, p.responsible, p.summary, parties
        )

    def _plan(self, env: Envelope, identity: bytes) -> None:
        p = env.payload_as(Plan)
        case = self.cases.get(p.case)
        if case is None or not self.log.is_ancestor(p.case, env.id):
            self._ignore(env, "no such case in the plan's causal past", p.case)
            return
        stray = [k for k in p.repairs if k not in case.harmed]
        if stray:
            self._ignore(
                env,
                f"a plan repairs those the case names as harmed; {stray[0].hex()[:16]}… is not one",
                p.case,
            )
            return
        if identity in case.parties:
            self._ignore(env, "a party to the case does not move or decide its plans", p.case)
            return
        self._new_subject(env, SubjectKind.PLAN, identity, Stage.DISCUSSION)

    def _vote(self, env: Envelope, identity: bytes) -> None:
        s = self.subjects.get(getattr(env.payload, "subject", b""))
        if s is not None and s.kind == SubjectKind.PLAN:
            case = self.cases[s.payload.case]
            if identity in case.parties:
                self._ignore(env, "a party to the case does not move or decide its plans", s.id)
                return
        super()._vote(env, identity)

    # --- members in force at each close -----------------------------------------

    def _decide(self, s: Subject, close: Envelope, cosigners: tuple[bytes, ...]) -> None:
        if s.kind != SubjectKind.PLAN:
            super()._decide(s, close, cosigners)
            return
        keep = self._in_force(s, close.time)
        self._narrow(s, keep)
        with self._base_in_force(s, keep):
            super()._decide(s, close, cosigners)
        if s.stage not in FINAL:  # the next stage opens with the members in force now
            s.electorate = keep

    def _narrow(self, s: Subject, keep: Roster) -> None:
        """Drop from the open stage's electorate (and its votes) the members
        no longer in force."""
        gone = s.electorate.identities() - keep.identities()
        if not gone:
            return
        s.electorate = Roster({i: k for i, k in s.electorate.members.items() if i not in gone})
        casts = s.casts.get(s.stage, [])
        for c in casts:
            if c.identity in gone:
                self._ignore(
                    self.log.get(c.message),
                    "the voter's council mandate ended (recalled or expired) before "
                    "the stage's close",
                    s.id,
                )
        s.casts[s.stage] = [c for c in casts if c.identity not in gone]

    def _contest(self, s: Subject, vote: Envelope) -> None:
        if s.kind != SubjectKind.PLAN:
            super()._contest(s, vote)
            return
        with self._base_in_force(s, self._in_force(s, vote.time)):
            super()._contest(s, vote)

    @contextmanager
    def _base_in_force(self, s: Subject, keep: Roster) -> Iterator[None]:
        """During planning, the support carried over from the vote that
        passed counts only members still in force (seen by the assembly
        fold through the passing stage's record, restored afterwards)."""
        i = next(
            (j for j in range(len(s.history) - 1, -1, -1) if s.history[j].event == Event.PASSED),
            None,
        )
        if s.stage != Stage.PLANNING or i is None:
            yield
            return
        original = s.history[i]
        s.history[i] = replace(
            original, counted=tuple(c for c in original.counted if c.identity in keep)
        )
        try:
            yield
        finally:
            s.history[i] = original


def _without(members: Roster, parties: frozenset[bytes]) -> Roster:
    return Roster({i: k for i, k in members.members.items() if i not in parties})


_HANDLERS: dict[type, Any] = {
    Comment: Assembly._comment,
    Vote: Council._vote,
    Grievance: Assembly._grievance,
    DelegateElect: Assembly._delegate_elect,
    Plea: Assembly._plea,
    Agreement: Assembly._agreement,
    Amendment: Assembly._amendment,
    AmendmentVote: Assembly._amendment_vote,
    Close: Assembly._close,
    HandCount: hand_counts.record,
    HandCountContest: hand_counts.contest,
    Case: Council._case,
    Plan: Council._plan,
}


def council_of(
    council_log: Log, community: Assembly | None, rules: ProcessRules | None = None
) -> Council:
    """Fold a justice council's log against its Community's fold."""
    council = Council(council_log.body, community, rules)
    council.fold(council_log)
    return council


def is_council(genesis: Envelope) -> bool:
    g = genesis.payload
    return getattr(g, "body_kind", None) == BodyKind.JUSTICE_COUNCIL
