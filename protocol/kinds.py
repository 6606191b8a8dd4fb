"""Every message kind of protocol version 0 and its payload schema.

A kind is a small integer on the wire (the envelope's first field) and a
frozen dataclass here. The payload is an array of the dataclass's fields in
declaration order, each checked against the type in the kind's ``SCHEMA``.
Nothing the receiver can derive is sent: a vote names its subject and its
choice, not its stage (the stage follows from its causal past, see
spec/process.md).

Versioning (spec/kinds.md): a kind's payload never changes shape; a new
shape is a new kind number. A known kind with extra or missing fields is
rejected. An unknown kind whose envelope and payload are otherwise valid
canonical msgpack decodes to ``Unknown`` and is stored and relayed but not
folded, so older nodes carry newer messages.

The process rules (who may send what, when) live in the assembly process
fold (a justice council's in ``protocol.justice``), not here; this module
only says what a well-formed message is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any, ClassVar

from .canonical import Value
from .errors import WrongLength, WrongType
from .schema import (
    Bin as _Bin,
)
from .schema import (
    BinMax,
    Bool,
    Enum,
    FieldType,
    List,
    Opt,
    Tagged,
    Text,
    Tuple,
    UInt,
)

ID = _Bin(32)
KEY = _Bin(32)
SIG = _Bin(64)

MAX_FOUNDERS = 150
MAX_PARAMS = 64
MAX_TEXT_OPS = 64
MAX_RUN_BYTES = 4096


class Kind(IntEnum):
    GENESIS = 1
    ADMIT = 2
    LEAVE = 3
    ROTATE_KEY = 4
    PROPOSAL = 5
    COMMENT = 6
    VOTE = 7
    GRIEVANCE = 8
    DELEGATE_ELECT = 9
    PLEA = 10
    AGREEMENT = 11
    AMENDMENT = 12
    AMENDMENT_VOTE = 13
    CLOSE = 14
    VERDICT = 15
    MANDATE = 16
    RECALL_VOTE = 17
    CONSTITUTION_AMENDMENT = 18
    TEXT_EDIT = 19
    NAME = 20
    FOUNDING = 21
    CONSTITUENT_ADMIT = 22
    CONSTITUTION_INITIATIVE = 23
    RATIFICATION = 24
    CONSTITUTION_ADOPTION = 25
    DISPUTE = 26
    MEDIATION = 27
    ESCALATION = 28
    DISPUTE_RESPONSE = 29
    CASE = 30
    PLAN = 31
    COUNCIL_CHARTER = 32
    PERTINENT = 33
    HAND_COUNT = 40
    HAND_COUNT_CONTEST = 41


class BodyKind(IntEnum):
    WORKPLACE = 1
    COMMUNITY = 2
    MUNICIPALITY = 3
    REGION = 4
    COLLECTIVE = 5
    JUSTICE_COUNCIL = 6
    """A Community Justice Council (seed 004): a body under a Community whose
    members the Community elects by mandate (spec/justice.md)."""


class Choice(IntEnum):
    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


class Stance(IntEnum):
    NEUTRAL = 0
    SUPPORT = 1
    OPPOSE = 2


class Outcome(IntEnum):
    PASSED = 1
    FAILED = 2
    TABLED = 3


class MediationOutcome(IntEnum):
    SETTLED = 1
    UNRESOLVED = 2


# A constitution parameter: (parameter number, numerator, denominator).
# Integers are n/1; fractions stay exact so "2/3" means exactly two thirds.
PARAM = Tuple(("param", UInt(0xFFFF)), ("num", UInt(2**32 - 1)), ("den", UInt(2**32 - 1, 1)))
PARAMS = List(PARAM, maximum=MAX_PARAMS, ascending=True, sort_key=lambda p: p[0])

# A character position in a text document: (id of the message that inserted
# it, offset of the character within that message's inserted text).
POSITION = Tuple(("msg", ID), ("offset", UInt(2**20)))
TEXT_OP = Tagged(
    {
        0: (
            "insert",
            Tuple(
                ("left", Opt(POSITION)),
                ("right", Opt(POSITION)),
                ("text", Text(MAX_RUN_BYTES, min_bytes=1)),
            ),
        ),
        1: (
            "delete",
            Tuple(("start", POSITION), ("length", UInt(2**20, 1))),
        ),
    }
)
TEXT_OPS = List(TEXT_OP, maximum=MAX_TEXT_OPS, minimum=1)


class Payload:
    """Base of every payload dataclass."""

    KIND: ClassVar[int]
    SCHEMA: ClassVar[tuple[tuple[str, FieldType], ...]]

    def to_wire(self) -> Value:
        return tuple(t.to_wire(getattr(self, n)) for n, t in self.SCHEMA)


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


MAX_CONSTITUENTS = 1000


@dataclass(frozen=True, slots=True)
class Founding(Payload):
    """Names a higher body's founding constituents (spec/federation.md,
    "Constituents"): signed by the genesis author with the genesis as its
    only parent; the first in replay order counts."""

    KIND = Kind.FOUNDING
    constituents: tuple[bytes, ...]
    SCHEMA = (("constituents", List(ID, minimum=1, maximum=MAX_CONSTITUENTS, ascending=True)),)


@dataclass(frozen=True, slots=True)
class ConstituentAdmit(Payload):
    """A higher body's resolution to admit a body as its constituent,
    presented to its constituents and combined from their verdicts."""

    KIND = Kind.CONSTITUENT_ADMIT
    constituent: bytes
    note: str
    SCHEMA = (("constituent", ID), ("note", Text(280)))


MAX_MATTER = 2000


@dataclass(frozen=True, slots=True)
class Dispute(Payload):
    """Moves that this body raise a dispute with ``respondent``, another body
    at its level under the same higher body, over ``matter`` (and, when
    given, the respondent's ``resolution`` it contests). A subject of the
    raising body's own process: carried, the dispute is raised and its
    mediation delegates are mandated on it (spec/federation.md, "Disputes")."""

    KIND = Kind.DISPUTE
    respondent: bytes
    matter: str
    resolution: bytes | None
    SCHEMA = (
        ("respondent", ID),
        ("matter", Text(MAX_MATTER, min_bytes=1)),
        ("resolution", Opt(ID)),
    )


@dataclass(frozen=True, slots=True)
class Mediation(Payload):
    """A party's record of the mediation, in its own log, signed by the
    delegate its ``mandate`` (in force, on the carried dispute or on the
    body's carried response to it) names: ``settled`` on ``terms``, or
    ``unresolved``. Settled when both parties' latest records are settled
    on the same terms; unresolved when either's is unresolved."""

    KIND = Kind.MEDIATION
    dispute: bytes
    mandate: bytes
    outcome: MediationOutcome
    terms: str
    SCHEMA = (
        ("dispute", ID),
        ("mandate", ID),
        ("outcome", Enum(MediationOutcome)),
        ("terms", Text(MAX_MATTER)),
    )


@dataclass(frozen=True, slots=True)
class Escalation(Payload):
    """The parties' common higher body takes up an unresolved dispute and
    moves a determination: a subject of its own process whose carried
    ``text`` is the dispute's determination."""

    KIND = Kind.ESCALATION
    claimant: bytes
    dispute: bytes
    respondent: bytes
    text: str
    SCHEMA = (
        ("claimant", ID),
        ("dispute", ID),
        ("respondent", ID),
        ("text", Text(10000, min_bytes=1)),
    )


@dataclass(frozen=True, slots=True)
class DisputeResponse(Payload):
    """The respondent body takes up a dispute raised against it, stating its
    ``position``: a subject of its own process; carried, it mandates its
    mediation delegates on it."""

    KIND = Kind.DISPUTE_RESPONSE
    claimant: bytes
    dispute: bytes
    position: str
    SCHEMA = (
        ("claimant", ID),
        ("dispute", ID),
        ("position", Text(MAX_MATTER)),
    )


MAX_ARTICLE_CHANGES = 4
ARTICLE = Tuple(("number", UInt(999, 1)), ("title", Text(120)), ("text", Text(2000)))


@dataclass(frozen=True, slots=True)
class ConstitutionInitiative(Payload):
    """Anyone's proposed amendment of the people's constitution, made in the
    Collective's log and presented to every Community (spec/constitution.md,
    "The people's constitution"): article changes (an empty title and text
    repeal the article) and federation-level parameters."""

    KIND = Kind.CONSTITUTION_INITIATIVE
    version: int
    params: tuple[tuple[int, int, int], ...]
    articles: tuple[tuple[int, str, str], ...]
    rationale: str
    SCHEMA = (
        ("version", UInt(2**32 - 1, 2)),
        ("params", List(PARAM, maximum=8, ascending=True, sort_key=lambda p: p[0])),
        (
            "articles",
            List(ARTICLE, maximum=MAX_ARTICLE_CHANGES, ascending=True, sort_key=lambda a: a[0]),
        ),
        ("rationale", Text(2000)),
    )


@dataclass(frozen=True, slots=True)
class Ratification(Payload):
    """A Collective member's signed record that an initiative was ratified
    by the combined verdicts; it holds only when a reader re-derives that
    combination from the constituents' logs (its ratification record)."""

    KIND = Kind.RATIFICATION
    initiative: bytes
    version: int
    constitution: bytes
    SCHEMA = (("initiative", ID), ("version", UInt(2**32 - 1, 2)), ("constitution", _Bin(32)))


@dataclass(frozen=True, slots=True)
class ConstitutionAdoption(Payload):
    """The point in a body's log from which a ratified version of the
    people's constitution applies there."""

    KIND = Kind.CONSTITUTION_ADOPTION
    collective: bytes
    ratification: bytes
    version: int
    constitution: bytes
    SCHEMA = (
        ("collective", ID),
        ("ratification", ID),
        ("version", UInt(2**32 - 1, 2)),
        ("constitution", _Bin(32)),
    )


MAX_PARTIES = 16


@dataclass(frozen=True, slots=True)
class Case(Payload):
    """A case recorded in a justice council's log by a council member: who
    was harmed, who did harm, a short summary, and the Community whose
    council hears it (spec/justice.md). The log is as public as any body's:
    the summary says no more than the parties agreed to put on record."""

    KIND = Kind.CASE
    harmed: tuple[bytes, ...]
    responsible: tuple[bytes, ...]
    summary: str
    community: bytes
    SCHEMA = (
        ("harmed", List(KEY, minimum=1, maximum=MAX_PARTIES, ascending=True)),
        ("responsible", List(KEY, minimum=1, maximum=MAX_PARTIES, ascending=True)),
        ("summary", Text(2000, min_bytes=1)),
        ("community", ID),
    )


@dataclass(frozen=True, slots=True)
class Plan(Payload):
    """A reparation and rehabilitation plan for a case, decided by the
    council's own process (the proposal process, spec/justice.md); ``text``
    is its amendable document, ``repairs`` the harmed parties whose
    reparation it names (at least one: reparation is a primary concern)."""

    KIND = Kind.PLAN
    case: bytes
    title: str
    text: str
    repairs: tuple[bytes, ...]
    SCHEMA = (
        ("case", ID),
        ("title", Text(120, min_bytes=1)),
        ("text", Text(10000, min_bytes=1)),
        ("repairs", List(KEY, minimum=1, maximum=MAX_PARTIES, ascending=True)),
    )


@dataclass(frozen=True, slots=True)
class CouncilCharter(Payload):
    """Names the Community resolution a justice council serves under: the
    Community's mandates on it are the council's seats. Signed by the
    genesis author (an elected member) with the genesis as its only
    parent; the first in replay order counts (spec/justice.md)."""

    KIND = Kind.COUNCIL_CHARTER
    resolution: bytes
    SCHEMA = (("resolution", ID),)


@dataclass(frozen=True, slots=True)
class Pertinent(Payload):
    """Names the constituents that decide a higher body's resolution (all,
    without one): signed by the resolution's author before any of its stages
    closes (spec/federation.md, "Pertinent constituents")."""

    KIND = Kind.PERTINENT
    resolution: bytes
    constituents: tuple[bytes, ...]
    SCHEMA = (
        ("resolution", ID),
        ("constituents", List(ID, minimum=1, maximum=MAX_CONSTITUENTS, ascending=True)),
    )


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


@dataclass(frozen=True, slots=True)
class Unknown(Payload):
    """A kind this version does not know: kept and relayed, never folded."""

    kind: int
    value: tuple[Any, ...]
    SCHEMA = ()

    def to_wire(self) -> Value:
        return self.value


PAYLOADS: dict[int, type[Payload]] = {
    cls.KIND: cls
    for cls in (
        Genesis,
        Admit,
        Leave,
        RotateKey,
        Proposal,
        Comment,
        Vote,
        Grievance,
        DelegateElect,
        Plea,
        Agreement,
        Amendment,
        AmendmentVote,
        Close,
        Verdict,
        Mandate,
        RecallVote,
        ConstitutionAmendment,
        TextEdit,
        Name,
        Founding,
        ConstituentAdmit,
        ConstitutionInitiative,
        Ratification,
        ConstitutionAdoption,
        Dispute,
        Mediation,
        Escalation,
        DisputeResponse,
        Case,
        Plan,
        CouncilCharter,
        Pertinent,
        HandCount,
        HandCountContest,
    )
}

for _cls in PAYLOADS.values():
    assert tuple(f.name for f in fields(_cls)) == tuple(n for n, _ in _cls.SCHEMA), _cls  # type: ignore[arg-type]


def payload_from_wire(kind: int, value: Value) -> Payload:
    """Check a decoded payload array against its kind's schema (untrusted)."""
    cls = PAYLOADS.get(kind)
    if type(value) is not tuple:
        raise WrongType("payload must be an array", field="payload")
    if cls is None:
        return Unknown(kind, value)
    schema = cls.SCHEMA
    if len(value) != len(schema):
        raise WrongLength(
            f"{Kind(kind).name.lower()} payload has {len(value)} fields, expected {len(schema)}",
            field="payload",
        )
    args = [t.check(v, f"payload.{n}") for (n, t), v in zip(schema, value, strict=True)]
    return cls(*args)
