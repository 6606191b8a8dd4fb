"""The payload kinds of a body's own process: founding a body, membership,
proposals and their grievance rounds, closes and verdicts, mandates,
constitution amendments, text edits, names and hand counts (kinds 1-20, 40
and 41; spec/kinds.md). Gathered, with the other kinds, in ``protocol.kinds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .payload import (
    ID,
    KEY,
    MAX_FOUNDERS,
    MAX_PARAMS,
    PARAM,
    PARAMS,
    SIG,
    TEXT_OPS,
    BodyKind,
    Choice,
    Kind,
    Outcome,
    Payload,
    Stance,
)
from .schema import BinMax, Bool, Enum, List, Opt, Text, Tuple, UInt


@dataclass(frozen=True, slots=True)
class Genesis(Payload):
    """Founds a body. Its id becomes the body id."""

    KIND = Kind.GENESIS
    body_kind: BodyKind
    name: str
    parent: bytes | None
    founders: tuple[bytes, ...]
    params: tuple[tuple[int, int, int], ...]
    salt: bytes
    SCHEMA = (
        ("body_kind", Enum(BodyKind)),
        ("name", Text(80, min_bytes=1)),
        ("parent", Opt(ID)),
        ("founders", List(KEY, minimum=1, maximum=MAX_FOUNDERS, ascending=True)),
        ("params", PARAMS),
        ("salt", BinMax(16)),
    )


@dataclass(frozen=True, slots=True)
class Admit(Payload):
    """Moves that the body admit a new member key (decided by vote)."""

    KIND = Kind.ADMIT
    member: bytes
    name: str
    note: str
    SCHEMA = (("member", KEY), ("name", Text(64)), ("note", Text(280)))


@dataclass(frozen=True, slots=True)
class Leave(Payload):
    """A member leaving (member == author), or a motion to remove one."""

    KIND = Kind.LEAVE
    member: bytes
    reason: str
    SCHEMA = (("member", KEY), ("reason", Text(280)))


@dataclass(frozen=True, slots=True)
class RotateKey(Payload):
    """Moves the author's membership to a new key. ``proof`` is the new key's
    signature over the rotation (spec/kinds.md), so nobody rotates to a key
    they do not hold."""

    KIND = Kind.ROTATE_KEY
    new_key: bytes
    proof: bytes
    SCHEMA = (("new_key", KEY), ("proof", SIG))


@dataclass(frozen=True, slots=True)
class Proposal(Payload):
    """A proposal; ``text`` is the initial content of its text document.
    ``origin_body``/``origin_proposal`` name a higher body's resolution that
    this proposal presents to the Community (both nil for a local one)."""

    KIND = Kind.PROPOSAL
    title: str
    text: str
    scope: str
    origin_body: bytes | None
    origin_proposal: bytes | None
    SCHEMA = (
        ("title", Text(120, min_bytes=1)),
        ("text", Text(10000)),
        ("scope", Text(280)),
        ("origin_body", Opt(ID)),
        ("origin_proposal", Opt(ID)),
    )


@dataclass(frozen=True, slots=True)
class Comment(Payload):
    KIND = Kind.COMMENT
    proposal: bytes
    reply_to: bytes | None
    stance: Stance
    text: str
    SCHEMA = (
        ("proposal", ID),
        ("reply_to", Opt(ID)),
        ("stance", Enum(Stance)),
        ("text", Text(2000, min_bytes=1)),
    )


@dataclass(frozen=True, slots=True)
class Vote(Payload):
    """A vote on a subject (a proposal's current stage, an admission, a
    removal, a mandate election). The stage is derived, never sent."""

    KIND = Kind.VOTE
    subject: bytes
    choice: Choice
    SCHEMA = (("subject", ID), ("choice", Enum(Choice)))


@dataclass(frozen=True, slots=True)
class Grievance(Payload):
    KIND = Kind.GRIEVANCE
    proposal: bytes
    category: str
    deal_breaker: bool
    text: str
    SCHEMA = (
        ("proposal", ID),
        ("category", Text(64, min_bytes=1)),
        ("deal_breaker", Bool()),
        ("text", Text(2000)),
    )


@dataclass(frozen=True, slots=True)
class DelegateElect(Payload):
    """A category holder's vote for the category's delegate."""

    KIND = Kind.DELEGATE_ELECT
    proposal: bytes
    category: str
    candidate: bytes
    SCHEMA = (("proposal", ID), ("category", Text(64, min_bytes=1)), ("candidate", KEY))


@dataclass(frozen=True, slots=True)
class Plea(Payload):
    KIND = Kind.PLEA
    proposal: bytes
    category: str
    text: str
    SCHEMA = (("proposal", ID), ("category", Text(64, min_bytes=1)), ("text", Text(4000)))


@dataclass(frozen=True, slots=True)
class Agreement(Payload):
    """A member records agreement (or not) with a grievance."""

    KIND = Kind.AGREEMENT
    grievance: bytes
    agree: bool
    SCHEMA = (("grievance", ID), ("agree", Bool()))


@dataclass(frozen=True, slots=True)
class Amendment(Payload):
    """A friendly amendment: text operations on the proposal's document,
    applied only if the amendment is adopted."""

    KIND = Kind.AMENDMENT
    proposal: bytes
    category: str
    rationale: str
    ops: tuple[tuple[Any, ...], ...]
    SCHEMA = (
        ("proposal", ID),
        ("category", Text(64, min_bytes=1)),
        ("rationale", Text(2000)),
        ("ops", TEXT_OPS),
    )


@dataclass(frozen=True, slots=True)
class AmendmentVote(Payload):
    KIND = Kind.AMENDMENT_VOTE
    amendment: bytes
    choice: Choice
    SCHEMA = (("amendment", ID), ("choice", Enum(Choice)))


@dataclass(frozen=True, slots=True)
class Close(Payload):
    """Closes stage ``stage`` of a subject. From the facilitator it closes at
    once; from other members it is a co-signature that closes the stage once
    the deadline has passed and a quorum of them exist (spec/process.md)."""

    KIND = Kind.CLOSE
    subject: bytes
    stage: int
    SCHEMA = (("subject", ID), ("stage", UInt(255)))


@dataclass(frozen=True, slots=True)
class Verdict(Payload):
    """A body's statement of its verdict on a proposal, with the tally it
    claims; checkable against the log (or a full proof)."""

    KIND = Kind.VERDICT
    proposal: bytes
    close: bytes
    outcome: Outcome
    votes_for: int
    votes_against: int
    abstentions: int
    members: int
    SCHEMA = (
        ("proposal", ID),
        ("close", ID),
        ("outcome", Enum(Outcome)),
        ("votes_for", UInt(2**32 - 1)),
        ("votes_against", UInt(2**32 - 1)),
        ("abstentions", UInt(2**32 - 1)),
        ("members", UInt(2**32 - 1)),
    )


@dataclass(frozen=True, slots=True)
class Mandate(Payload):
    """Nominates an implementation delegate for a carried resolution; the
    mandate is in force once elected (by votes on this message)."""

    KIND = Kind.MANDATE
    resolution: bytes
    delegate: bytes
    scope: str
    expires: int
    SCHEMA = (
        ("resolution", ID),
        ("delegate", KEY),
        ("scope", Text(280, min_bytes=1)),
        ("expires", UInt(2**40)),
    )


@dataclass(frozen=True, slots=True)
class RecallVote(Payload):
    KIND = Kind.RECALL_VOTE
    mandate: bytes
    choice: Choice
    SCHEMA = (("mandate", ID), ("choice", Enum(Choice)))


@dataclass(frozen=True, slots=True)
class ConstitutionAmendment(Payload):
    """Proposes new constitution parameters for the body's own procedures
    (the federation-level ones at the Collective only)."""

    KIND = Kind.CONSTITUTION_AMENDMENT
    version: int
    params: tuple[tuple[int, int, int], ...]
    rationale: str
    SCHEMA = (
        ("version", UInt(2**32 - 1, 1)),
        (
            "params",
            List(PARAM, minimum=1, maximum=MAX_PARAMS, ascending=True, sort_key=lambda p: p[0]),
        ),
        ("rationale", Text(2000)),
    )


@dataclass(frozen=True, slots=True)
class TextEdit(Payload):
    """Edits a text document (a proposal's text, minutes) outside amendments."""

    KIND = Kind.TEXT_EDIT
    document: bytes
    ops: tuple[tuple[Any, ...], ...]
    SCHEMA = (("document", ID), ("ops", TEXT_OPS))


@dataclass(frozen=True, slots=True)
class Name(Payload):
    """A display name, so people read names rather than keys. A member names
    themself (``member`` is the author's key; their latest NAME counts); the
    genesis author may introduce a founder by name, as an ADMIT introduces
    the member it admits. A member's own name wins over an introduction
    (spec/process.md, "Names")."""

    KIND = Kind.NAME
    member: bytes
    name: str
    SCHEMA = (("member", KEY), ("name", Text(64, min_bytes=1)))


MAX_PRESENT = 400
MAX_WITNESSES = 16
MAX_HANDS = 100_000

WITNESS = Tuple(("key", KEY), ("signature", SIG))


@dataclass(frozen=True, slots=True)
class HandCount(Payload):
    """A show of hands at a physical assembly for one voting stage, signed by
    the subject's facilitator and co-signed inline by witnesses: the counts,
    the members present (they are counted by hand, not digitally) and, for a
    recount, the contested count it replaces (spec/process.md, "Hand
    counts"). Each witness signs the record without the witness list."""

    KIND = Kind.HAND_COUNT
    subject: bytes
    stage: int
    votes_for: int
    votes_against: int
    abstentions: int
    present: tuple[bytes, ...]
    replaces: bytes | None
    witnesses: tuple[tuple[bytes, bytes], ...]
    SCHEMA = (
        ("subject", ID),
        ("stage", UInt(255)),
        ("votes_for", UInt(MAX_HANDS)),
        ("votes_against", UInt(MAX_HANDS)),
        ("abstentions", UInt(MAX_HANDS)),
        ("present", List(KEY, minimum=1, maximum=MAX_PRESENT, ascending=True)),
        ("replaces", Opt(ID)),
        (
            "witnesses",
            List(
                WITNESS, minimum=1, maximum=MAX_WITNESSES, ascending=True, sort_key=lambda w: w[0]
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class HandCountContest(Payload):
    """A member disputes a hand count before its stage closes; a contested
    count goes to a recount or is left out (spec/process.md)."""

    KIND = Kind.HAND_COUNT_CONTEST
    hand_count: bytes
    reason: str
    SCHEMA = (("hand_count", ID), ("reason", Text(280)))
