"""Disputes between bodies: raised, mediated, escalated, determined.

Seed 004: two bodies at one level first try to "mediate a mutual
agreement"; when they cannot, the next level up determines the dispute
("the Region settles disputes between Municipalities, the Collective what
the Regions cannot"). Every step is a signed message in some body's log and
a decision of that body by its own process (spec/federation.md, "Disputes"):

* **raised** — a DISPUTE (kind 26) in the claimant's log is a subject of the
  claimant's process (discussion, checks, planning, like a proposal);
  *carried*, the dispute is raised and the claimant mandates its mediation
  delegates on it (MANDATE with the dispute as its resolution);
* **answered** — the respondent takes the dispute up with a DISPUTE_RESPONSE
  (kind 29), a subject of its own process; carried, it mandates its
  delegates on the response;
* **mediated** — each party's delegate records MEDIATION (kind 27) in its own
  body's log under its mandate in force: *settled* on terms, or
  *unresolved*. A party's position is its latest record (replay order). The
  dispute is **settled** when both parties' positions are settled on the
  same terms (their text hashes equal), **unresolved** when either's is
  unresolved;
* **escalated, determined** — a member of the parties' common higher body
  moves an ESCALATION (kind 28) naming the dispute and a determination text;
  it is a subject of the higher body's process, and *carried*, its text is
  the **determination**. The higher body's node learns the parties' logs by
  gossip or from a delegate's relay (``POST /v0/disputes``).

Two halves live here. The fold handlers (``raise_dispute``, ``respond``,
``mediate``, ``escalate``) are called by ``protocol.assembly`` with the fold
of one body's log and check what that log alone can tell. ``read`` reads a
dispute across the logs (the claimant's, the respondent's and the higher
body's assemblies, whichever the reader holds) into a ``DisputeState``:
everything that does not fit there — parties at different levels or under
different higher bodies, an escalation in the wrong body, a response to a
dispute not raised — is listed in ``ignored`` with its reason. Nothing here
raises for remote input. Sans-IO: assemblies in, a value out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .envelope import Envelope
from .kinds import (
    BodyKind,
    Dispute,
    DisputeResponse,
    Escalation,
    Mandate,
    Mediation,
    MediationOutcome,
)
from .process_records import Subject, SubjectKind
from .stages import Stage

if TYPE_CHECKING:
    from .assembly import Assembly

TERMS_DOMAIN = b"caracol/0 text\x00"
"""Terms are hashed like a decided text (spec/federation.md): SHA-256 over
the domain and the UTF-8 text."""

LEVEL: dict[BodyKind, int] = {
    BodyKind.WORKPLACE: 1,
    BodyKind.COMMUNITY: 1,
    BodyKind.MUNICIPALITY: 2,
    BodyKind.REGION: 3,
    BodyKind.COLLECTIVE: 4,
}
"""Communities and Workplace Councils are one level: both are the base
constituents of a Municipality (004: a polluting workplace and its
neighbours are parties the Municipality settles)."""

STATUSES = (
    "proposed",
    "not raised",
    "void",
    "raised",
    "in mediation",
    "settled",
    "unresolved",
    "escalated",
    "determined",
)
"""Every status ``read`` gives (spec/federation.md, "Disputes", the state table)."""


def terms_hash(terms: str) -> bytes:
    return hashlib.sha256(TERMS_DOMAIN + terms.encode()).digest()


@dataclass(frozen=True, slots=True)
class MediationRecord:
    """A delegate's MEDIATION, taken by its body's fold."""

    message: bytes
    delegate: bytes
    """The delegate's identity in its body."""
    mandate: bytes
    outcome: MediationOutcome
    terms: str
    terms_hash: bytes
    time: int


# --- the fold handlers (one body's log) --------------------------------------


def raise_dispute(a: Assembly, env: Envelope, identity: bytes) -> None:
    """DISPUTE: a subject of the claimant's own process."""
    p = env.payload_as(Dispute)
    if p.respondent == a.body_id:
        a._ignore(env, "a body cannot raise a dispute with itself")
        return
    why = _no_higher(a)
    if why is not None:
        a._ignore(env, why)
        return
    a._new_subject(env, SubjectKind.DISPUTE, identity, Stage.DISCUSSION)


def respond(a: Assembly, env: Envelope, identity: bytes) -> None:
    """DISPUTE_RESPONSE: the respondent takes a dispute up by its process."""
    p = env.payload_as(DisputeResponse)
    if p.claimant == a.body_id:
        a._ignore(env, "a body does not answer its own dispute")
        return
    why = _no_higher(a)
    if why is not None:
        a._ignore(env, why)
        return
    a._new_subject(env, SubjectKind.RESPONSE, identity, Stage.DISCUSSION)


def escalate(a: Assembly, env: Envelope, identity: bytes) -> None:
    """ESCALATION: a higher body moves a determination of its constituents'
    dispute; whether it is the parties' common higher body is read across
    the logs (``read``)."""
    p = env.payload_as(Escalation)
    if p.claimant == p.respondent:
        a._ignore(env, "a dispute has two different parties")
        return
    if a.body_kind is None or LEVEL[a.body_kind] == 1:
        a._ignore(
            env, "a community or workplace council has no constituents whose disputes it settles"
        )
        return
    if a.body_id in (p.claimant, p.respondent):
        a._ignore(env, "a party does not determine its own dispute")
        return
    a._new_subject(env, SubjectKind.ESCALATION, identity, Stage.DISCUSSION)


def mediate(a: Assembly, env: Envelope, identity: bytes) -> None:
    """MEDIATION: taken when its author is the delegate of a mandate in force
    in the message's causal past, on this very dispute (the carried DISPUTE,
    or the body's carried response to it)."""
    p = env.payload_as(Mediation)
    why, under = _mandate_refusal(a, env, identity, p)
    if why is not None or under is None:
        a._ignore(env, why or "no mandate", p.dispute)
        return
    if p.outcome == MediationOutcome.SETTLED and not p.terms.strip():
        a._ignore(env, "a settlement states its terms", p.dispute)
        return
    under.mediations.append(
        MediationRecord(
            env.id, identity, p.mandate, p.outcome, p.terms, terms_hash(p.terms), env.time
        )
    )


def _no_higher(a: Assembly) -> str | None:
    if a.body_kind == BodyKind.COLLECTIVE:
        return "the Collective has no body above it to settle a dispute"
    if a.parent is None:
        return "this body names no higher body to settle its disputes"
    return None


def _mandate_refusal(
    a: Assembly, env: Envelope, identity: bytes, p: Mediation
) -> tuple[str | None, Subject | None]:
    m = a.subjects.get(p.mandate)
    if m is None or m.kind != SubjectKind.MANDATE or not a.log.is_ancestor(m.id, env.id):
        return "no such mandate in the message's causal past", None
    mp: Mandate = m.payload
    if a.membership.identity_of(mp.delegate) != identity:
        return "only the mandate's delegate records its mediation", None
    if m.stage != Stage.ADOPTED or not a.log.is_ancestor(m.history[-1].closed_by, env.id):
        return "the mandate is not in force in the message's causal past", None
    if m.recalled_by is not None and a.log.is_ancestor(m.recalled_by, env.id):
        return "the mandate was recalled", None
    if env.time >= mp.expires:
        return "the mandate had expired", None
    res = a.subjects[mp.resolution]
    if res.kind == SubjectKind.DISPUTE:
        if res.id != p.dispute:
            return "the mandate is for another dispute", None
    elif res.kind == SubjectKind.RESPONSE:
        if res.payload.dispute != p.dispute:
            return "the mandate is for the response to another dispute", None
    else:
        return "the mandate is not for a dispute or a response to one", None
    return None, res


# --- reading a dispute across the logs -----------------------------------------


@dataclass(frozen=True, slots=True)
class Position:
    """A party's mediation: its latest record, and every record it took."""

    party: bytes
    subject: bytes
    """The DISPUTE (claimant) or DISPUTE_RESPONSE (respondent) it mediates under."""
    latest: MediationRecord | None
    records: tuple[MediationRecord, ...]


@dataclass(frozen=True, slots=True)
class Determination:
    escalation: bytes
    close: bytes
    text: str
    text_hash: bytes


@dataclass(frozen=True, slots=True)
class DisputeState:
    """A dispute as the logs a reader holds tell it (``read``)."""

    dispute: bytes
    claimant: bytes
    respondent: bytes
    matter: str
    resolution: bytes | None
    higher: bytes | None
    """The claimant's higher body: the one that determines it."""
    status: str
    """proposed | not raised | void | raised | in mediation | settled |
    unresolved | escalated | determined"""
    stage: Stage
    """The DISPUTE's stage in the claimant's process."""
    response: bytes | None
    """The respondent's carried DISPUTE_RESPONSE, when held and carried."""
    positions: tuple[Position, ...]
    settlement: bytes | None
    """The terms hash both parties settled on."""
    escalations: tuple[tuple[bytes, Stage], ...]
    """Valid ESCALATIONs in the higher body and their stages, replay order."""
    determination: Determination | None
    ignored: tuple[tuple[bytes, str], ...]
    """(message, reason) for every message of the dispute that does not fit."""
    notes: tuple[str, ...]
    """What the reader could not check (a log it does not hold)."""


def read(
    dispute: bytes,
    claimant: Assembly,
    respondent: Assembly | None = None,
    higher: Assembly | None = None,
    *,
    constituents: Container[bytes] | None = None,
) -> DisputeState | None:
    """The state of ``dispute`` (a DISPUTE id in ``claimant``'s log) from the
    folds the reader holds; None when the claimant's fold has no such
    dispute subject. ``constituents``: the higher body's constituency, when
    the reader knows it (both parties must be in it)."""
    s = claimant.subjects.get(dispute)
    if s is None or s.kind != SubjectKind.DISPUTE:
        return None
    p: Dispute = s.payload
    ignored: list[tuple[bytes, str]] = []
    notes: list[str] = []
    higher_id = claimant.parent
    if respondent is not None and respondent.body_id != p.respondent:
        respondent = None
    if higher is not None and higher.body_id != higher_id:
        higher = None
    void = _parties_refusal(claimant, respondent, higher, p, constituents, notes)
    if void is not None:
        ignored.append((dispute, void))
    positions: list[Position] = []
    claim = _position(claimant.body_id, s.id, s.mediations)
    positions.append(claim)
    response: bytes | None = None
    if respondent is None:
        notes.append(
            "the respondent's log is not held here: its response and mediation are unknown"
        )
    else:
        response, pos = _respondent(respondent, claimant.body_id, dispute, s.stage, ignored)
        if pos is not None:
            positions.append(pos)
    unresolved_ever = any(
        r.outcome == MediationOutcome.UNRESOLVED for q in positions for r in q.records
    )
    escalations: list[tuple[bytes, Stage]] = []
    determination: Determination | None = None
    if higher is None:
        notes.append("the higher body's log is not held here: its escalation is unknown")
    else:
        parties = (claimant.body_id, p.respondent)
        refusal = _escalation_refusal(void, unresolved_ever)
        determination = _escalations(higher, dispute, parties, refusal, escalations, ignored)
    settlement = _settlement(positions)
    status = _status(s.stage, void, positions, settlement, escalations, determination)
    return DisputeState(
        dispute,
        claimant.body_id,
        p.respondent,
        p.matter,
        p.resolution,
        higher_id,
        status,
        s.stage,
        response,
        tuple(positions),
        settlement,
        tuple(escalations),
        determination,
        tuple(ignored),
        tuple(notes),
    )


def _escalation_refusal(void: str | None, unresolved_ever: bool) -> str | None:
    """Why no ESCALATION of the dispute holds, whatever it names, or None."""
    if void is not None:
        return f"the dispute is void: {void}"
    if not unresolved_ever:
        return "neither party's delegate recorded the dispute unresolved (logs held here)"
    return None


def _escalations(
    higher: Assembly,
    dispute: bytes,
    parties: tuple[bytes, bytes],
    refusal: str | None,
    escalations: list[tuple[bytes, Stage]],
    ignored: list[tuple[bytes, str]],
) -> Determination | None:
    """File the higher body's ESCALATIONs of ``dispute`` in ``escalations``
    (or ``ignored``, with the reason) and return the first carried one's
    determination."""
    determination: Determination | None = None
    for e in higher.subjects.values():
        if e.kind != SubjectKind.ESCALATION or e.payload.dispute != dispute:
            continue
        ep: Escalation = e.payload
        why = refusal
        if (ep.claimant, ep.respondent) != parties:
            why = "the escalation names other parties than the dispute's"
        if why is not None:
            ignored.append((e.id, why))
            continue
        escalations.append((e.id, e.stage))
        if determination is None and e.stage == Stage.CARRIED:
            determination = Determination(
                e.id, e.history[-1].closed_by, ep.text, terms_hash(ep.text)
            )
    return determination


def _parties_refusal(
    claimant: Assembly,
    respondent: Assembly | None,
    higher: Assembly | None,
    p: Dispute,
    constituents: Container[bytes] | None,
    notes: list[str],
) -> str | None:
    """Why the two bodies cannot be parties to one dispute, or None."""
    ck = claimant.body_kind
    if respondent is not None and respondent.genesis is not None and ck is not None:
        rk = respondent.body_kind
        assert rk is not None
        if LEVEL[rk] != LEVEL[ck]:
            return (
                f"a {ck.name.lower()} and a {rk.name.lower()} are not at the same level: "
                "a dispute is between bodies at one level"
            )
        if respondent.parent != claimant.parent:
            return "the parties are not under the same higher body"
    hk = higher.body_kind if higher is not None else None
    if hk is not None and ck is not None and LEVEL[hk] != LEVEL[ck] + 1:
        return (
            f"the claimant's higher body is a {hk.name.lower()}, "
            f"not the level above a {ck.name.lower()}"
        )
    if constituents is not None:
        for who, body in (("claimant", claimant.body_id), ("respondent", p.respondent)):
            if body not in constituents:
                return f"the {who} is not a constituent of the higher body"
    elif higher is not None:
        notes.append("the higher body's constituency was not given: not checked")
    return None


def _respondent(
    r: Assembly,
    claimant: bytes,
    dispute: bytes,
    dispute_stage: Stage,
    ignored: list[tuple[bytes, str]],
) -> tuple[bytes | None, Position | None]:
    """The respondent's first carried response and its position."""
    chosen = None
    for sub in r.subjects.values():
        if sub.kind != SubjectKind.RESPONSE or sub.payload.dispute != dispute:
            continue
        if sub.payload.claimant != claimant:
            ignored.append((sub.id, "the response names another claimant than the dispute's"))
        elif dispute_stage != Stage.CARRIED:
            ignored.append(
                (sub.id, f"the dispute is not raised (stage {dispute_stage.name.lower()})")
            )
        elif chosen is None and sub.stage == Stage.CARRIED:
            chosen = sub
        elif sub.mediations:
            ignored.extend(
                (
                    m.message,
                    "mediated under a response that is not the respondent's first carried one",
                )
                for m in sub.mediations
            )
    if chosen is None:
        return None, None
    return chosen.id, _position(r.body_id, chosen.id, chosen.mediations)


def _position(party: bytes, subject: bytes, records: list[MediationRecord]) -> Position:
    rs = tuple(records)
    return Position(party, subject, rs[-1] if rs else None, rs)


def _settlement(positions: list[Position]) -> bytes | None:
    if len(positions) != 2:
        return None
    a, b = (q.latest for q in positions)
    if (
        a is not None
        and b is not None
        and a.outcome == b.outcome == MediationOutcome.SETTLED
        and a.terms_hash == b.terms_hash
    ):
        return a.terms_hash
    return None


def _status(
    stage: Stage,
    void: str | None,
    positions: list[Position],
    settlement: bytes | None,
    escalations: list[tuple[bytes, Stage]],
    determination: Determination | None,
) -> str:
    if stage in (Stage.FAILED, Stage.TABLED):
        return "not raised"
    if stage != Stage.CARRIED:
        return "proposed"
    if void is not None:
        return "void"
    if determination is not None:
        return "determined"
    if settlement is not None:
        return "settled"
    if escalations:
        return "escalated"
    if any(
        q.latest is not None and q.latest.outcome == MediationOutcome.UNRESOLVED for q in positions
    ):
        return "unresolved"
    if any(q.records for q in positions) or len(positions) == 2:
        return "in mediation"
    return "raised"


def disputes_of(a: Assembly) -> tuple[tuple[bytes, bytes], ...]:
    """(claimant, dispute) of every dispute ``a``'s log takes part in: its
    own DISPUTEs, those its responses answer, those its escalations name."""
    out: dict[bytes, bytes] = {}
    for s in a.subjects.values():
        if s.kind == SubjectKind.DISPUTE:
            out.setdefault(s.id, a.body_id)
        elif s.kind in (SubjectKind.RESPONSE, SubjectKind.ESCALATION):
            out.setdefault(s.payload.dispute, s.payload.claimant)
    return tuple((c, d) for d, c in out.items())


def lines(state: DisputeState, name: dict[bytes, str] | None = None) -> list[str]:
    """The dispute's minutes: every step and its outcome, as Markdown lines."""
    names = name or {}

    def who(body: bytes | None) -> str:
        if body is None:
            return "(none)"
        return names.get(body) or body.hex()[:12]

    out = [
        f"# Dispute {state.dispute.hex()[:12]}: {who(state.claimant)} with {who(state.respondent)}",
        "",
        f"> {state.matter}",
        "",
        f"- status: **{state.status}**",
        f"- raised by {who(state.claimant)}'s process: stage {state.stage.name.lower()}",
        f"- determined, if unresolved, by {who(state.higher)}",
    ]
    if state.resolution is not None:
        out.append(f"- contests the respondent's resolution {state.resolution.hex()[:12]}")
    out.append(
        f"- response of {who(state.respondent)}: "
        + (state.response.hex()[:12] + " (carried)" if state.response else "none carried")
    )
    for q in state.positions:
        for r in q.records:
            terms = f" on “{r.terms}”" if r.terms else ""
            out.append(
                f"- mediation by {who(q.party)}'s delegate ({r.mandate.hex()[:12]}): "
                f"{r.outcome.name.lower()}{terms} [{r.message.hex()[:12]}]"
            )
    if state.settlement is not None:
        out.append(f"- settled on the same terms by both parties ({state.settlement.hex()[:12]})")
    for eid, st in state.escalations:
        out.append(f"- escalation {eid.hex()[:12]} in {who(state.higher)}: {st.name.lower()}")
    if state.determination is not None:
        d = state.determination
        out += [
            f"- determined by {who(state.higher)} (close {d.close.hex()[:12]}):",
            "",
            f"> {d.text}",
        ]
    for mid, why in state.ignored:
        out.append(f"- ignored {mid.hex()[:12]}: {why}")
    for n in state.notes:
        out.append(f"- note: {n}")
    return out
