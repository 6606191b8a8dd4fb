"""The payload kinds between bodies and of justice councils: founding
constituents and admitting them, disputes and their mediation and escalation,
the people's constitution (initiatives, ratifications, adoptions), pertinent
constituents, and a justice council's cases, plans and charter (kinds 21-33;
spec/kinds.md). Gathered, with the other kinds, in ``protocol.kinds``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .payload import ID, KEY, PARAM, Kind, MediationOutcome, Payload
from .schema import Bin as _Bin
from .schema import Enum, List, Opt, Text, Tuple, UInt

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
