"""The records the assembly fold keeps: subjects, stage closes, casts,
grievances, amendments, mandates, verdicts, ignored messages and evidence.

Plain dataclasses (frozen where the fold never changes them) so that the
node's API, the minutes and the verdict proofs can read them without
knowing how the fold works; ``protocol.assembly`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .kinds import Choice, Outcome
from .roster import Roster
from .rules import Count, ProcessRules
from .stages import Event, Stage


class SubjectKind(IntEnum):
    PROPOSAL = 1
    ADMISSION = 2
    REMOVAL = 3
    MANDATE = 4
    CONSTITUTION = 5
    """A CONSTITUTION_AMENDMENT (Collective bodies): the proposal process,
    with no text document; carried, it changes the rules of later subjects."""
    DISPUTE = 6
    """A DISPUTE this body moves to raise with another (protocol.disputes)."""
    RESPONSE = 7
    """A DISPUTE_RESPONSE: this body takes up a dispute raised against it."""
    ESCALATION = 8
    """An ESCALATION: this body determines its constituents' dispute."""
    PLAN = 9
    """A justice council's PLAN for a case (protocol.justice): the proposal
    process, with the plan's text as its document."""


DELIBERATED = frozenset(
    {
        SubjectKind.PROPOSAL,
        SubjectKind.CONSTITUTION,
        SubjectKind.DISPUTE,
        SubjectKind.RESPONSE,
        SubjectKind.ESCALATION,
        SubjectKind.PLAN,
    }
)
"""Subjects that go through the full proposal process (not motions)."""

TEXTED = frozenset({SubjectKind.PROPOSAL, SubjectKind.PLAN})
"""Deliberated subjects with a text document that friendly amendments edit."""

RulesAmender = Callable[[ProcessRules, tuple[tuple[int, int, int], ...]], ProcessRules]
"""Applies a CONSTITUTION_AMENDMENT's parameters to the rules in force
(``protocol.constitution`` provides it); raises ``ProtocolError`` for
parameters it rejects."""


@dataclass(frozen=True, slots=True)
class Ignored:
    """A message the process did not act on, and why (shown in the minutes)."""

    message: bytes
    kind: int
    author: bytes
    reason: str
    subject: bytes | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Proof of misbehaviour, derived from the log."""

    what: str
    author: bytes
    messages: tuple[bytes, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Cast:
    """One vote-like message (VOTE, AMENDMENT_VOTE, RECALL_VOTE, DELEGATE_ELECT,
    AGREEMENT) with the identity it counts for."""

    message: bytes
    identity: bytes
    seq: int
    time: int
    value: Any
    target: bytes | str | None = None
    epoch: int = 0
    """How many key rotations the identity had made when it signed this with
    its key: a rotated-to key speaks only after its rotation, so (epoch, seq)
    orders an honest member's messages as causality does."""


@dataclass(frozen=True, slots=True)
class StageRecord:
    """A closed stage: how it closed and what was counted."""

    stage: Stage
    opened_by: bytes
    closed_by: bytes
    closer: bytes
    cosigners: tuple[bytes, ...]
    event: Event
    count: Count | None
    counted: tuple[Cast, ...]
    hand: tuple[bytes, ...] = ()
    """The hand counts added to ``count`` (protocol.hand_counts)."""


@dataclass(slots=True)
class GrievanceRecord:
    id: bytes
    identity: bytes
    category: str
    deal_breaker: bool
    text: str
    time: int
    counted: bool = False
    agree: int = 0
    disagree: int = 0


@dataclass(slots=True)
class AmendmentRecord:
    id: bytes
    identity: bytes
    stage: Stage
    category: str
    rationale: str
    ops: tuple[tuple[Any, ...], ...]
    votes: list[Cast] = field(default_factory=list)
    status: str = "open"
    """open | adopted | rejected | late"""
    count: Count | None = None


@dataclass(slots=True)
class Subject:
    """A proposal, a membership motion or a mandate, as the fold sees it."""

    id: bytes
    kind: SubjectKind
    author: bytes
    time: int
    electorate: Roster
    facilitator: bytes
    stage: Stage
    payload: Any
    opened_by: bytes
    opened_time: int
    rules: ProcessRules
    version: int
    federal: int = 1
    """The version of the people's constitution in force in its cut."""
    minute_taker: bytes = b""
    """Who takes the minutes at a face-to-face assembly (rotation, §3)."""
    mediator: bytes = b""
    """Who mediates the subject's disagreements (rotation, §3)."""
    history: list[StageRecord] = field(default_factory=list)
    casts: dict[Stage, list[Cast]] = field(default_factory=dict)
    late: list[tuple[Stage, Cast]] = field(default_factory=list)
    cosigns: dict[Stage, list[tuple[bytes, bytes]]] = field(default_factory=dict)
    comments: list[tuple[Stage, bytes, bytes, str, int]] = field(default_factory=list)
    grievances: dict[bytes, GrievanceRecord] = field(default_factory=dict)
    elects: dict[Stage, list[Cast]] = field(default_factory=dict)
    pleas: list[tuple[Stage, bytes, bytes, str, str]] = field(default_factory=list)
    agreements: list[Cast] = field(default_factory=list)
    amendments: dict[bytes, AmendmentRecord] = field(default_factory=dict)
    delegates: dict[tuple[str, bool], bytes] = field(default_factory=dict)
    against: frozenset[bytes] = frozenset()
    note: str = ""
    hand_counts: list[Any] = field(default_factory=list)
    """HandRecords (protocol.hand_counts), replay order."""
    hand_contests: list[tuple[bytes, bytes, bytes]] = field(default_factory=list)
    """(hand count, contest message, contesting identity)."""
    superseded: list[Cast] = field(default_factory=list)
    """Digital votes left out because their member was counted by hand."""
    mediations: list[Any] = field(default_factory=list)
    """MediationRecords (protocol.disputes) under a dispute or a response."""
    # mandates only
    recall: list[Cast] = field(default_factory=list)
    recalled_by: bytes | None = None

    @property
    def closes(self) -> list[tuple[Stage, bytes]]:
        return [(r.stage, r.closed_by) for r in self.history]


@dataclass(frozen=True, slots=True)
class MandateView:
    id: bytes
    resolution: bytes
    delegate: bytes
    scope: str
    expires: int
    status: str
    """nominated | rejected | active | expired | recalled"""
    recalled_by: bytes | None


@dataclass(frozen=True, slots=True)
class VerdictRecord:
    """The Community verdict on a proposal, once its process has ended."""

    proposal: bytes
    outcome: Outcome
    close: bytes
    deciding_stage: Stage
    count: Count
    electorate: int


def latest_casts(casts: Iterable[Cast]) -> dict[bytes, Cast]:
    """Each identity's latest cast: highest (epoch, seq), then id."""
    out: dict[bytes, Cast] = {}
    for c in casts:
        cur = out.get(c.identity)
        if cur is None or (c.epoch, c.seq, c.message) > (cur.epoch, cur.seq, cur.message):
            out[c.identity] = c
    return out


def count_of(casts: Iterable[Cast], electorate: int) -> Count:
    f = a = x = 0
    for c in casts:
        if c.value == Choice.FOR:
            f += 1
        elif c.value == Choice.AGAINST:
            a += 1
        else:
            x += 1
    return Count(f, a, x, electorate)


def count_tuple(c: Count | None) -> tuple[int, ...]:
    if c is None:
        return ()
    return (c.votes_for, c.votes_against, c.abstentions, c.electorate)


def passing_casts(s: Subject) -> tuple[Cast, ...]:
    for rec in reversed(s.history):
        if rec.event == Event.PASSED:
            return rec.counted
    return ()
