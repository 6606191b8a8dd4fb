"""Hand counts: a show of hands at a physical assembly, counted like votes.

Seed 002 asks that every digital function have a physical counterpart, and
004 builds on face-to-face assemblies. The facilitator of a voting stage
records a HAND_COUNT — for, against, abstaining and the members present —
co-signed inline by witnesses (``hand_count_witnesses`` of the electorate,
not the facilitator); at the stage's effective close every hand count in
its causal past that stands is added to the tally. Members present are
counted by hand only: their digital votes of that stage are left out
(superseded), and two standing counts may not list the same member (the
later one in replay order is left out as double counting). Any member may
contest a count while its stage is open (HAND_COUNT_CONTEST); a contested
count is left out, and the facilitator may record a recount naming it in
``replaces``, which as many contests as it needed witnesses leave out in
turn, so one member can ask for a recount but cannot block a room's
decision forever. spec/process.md, "Hand counts".

Functions here are called by the assembly fold with the fold itself; they
touch only the subject they are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import canonical
from .envelope import Envelope
from .keys import sign_raw, verify_raw
from .kinds import HandCount, HandCountContest
from .process_records import Cast, Evidence, Subject
from .rules import Count
from .stages import Stage

if TYPE_CHECKING:
    from .assembly import Assembly

HAND_DOMAIN = b"caracol/0 hand count\x00"

HAND_STAGES = frozenset({Stage.TEMPERATURE, Stage.MINOR_CHECK, Stage.FINAL_VOTE, Stage.MOTION})
"""Stages a hand count can decide (planning's contention is a running count
of digital votes, so it takes none)."""


@dataclass(frozen=True, slots=True)
class HandRecord:
    id: bytes
    stage: Stage
    count: Count
    present: frozenset[bytes]
    """Identities present (counted by hand)."""
    facilitator: bytes
    witnesses: tuple[bytes, ...]
    """Identities of the witnesses."""
    replaces: bytes | None


def witnessed_bytes(body: bytes, p: HandCount) -> bytes:
    """What each witness signs: the domain, the body and the record without
    its witness list."""
    record = (
        p.subject,
        p.stage,
        p.votes_for,
        p.votes_against,
        p.abstentions,
        p.present,
        p.replaces,
    )
    return HAND_DOMAIN + body + canonical.encode(record)


def witness(seed: bytes, body: bytes, p: HandCount) -> bytes:
    """A witness's signature over a hand count (``p.witnesses`` is ignored)."""
    return sign_raw(seed, witnessed_bytes(body, p))


def record(a: Assembly, env: Envelope, identity: bytes) -> None:
    """The HAND_COUNT handler of the fold."""
    p = env.payload_as(HandCount)
    res = a._staged(env, p.subject)
    if res is None:
        return
    s, stage = res
    reason = _check(a, env, s, stage, identity, p)
    if reason is not None:
        a._ignore(env, reason, s.id)
        return
    present = frozenset(s.electorate.identity_of(k) for k in p.present)
    witnesses = tuple(s.electorate.identity_of(k) for k, _ in p.witnesses)
    rec = HandRecord(
        env.id,
        stage,
        Count(p.votes_for, p.votes_against, p.abstentions, len(s.electorate)),
        frozenset(i for i in present if i is not None),
        identity,
        tuple(i for i in witnesses if i is not None),
        p.replaces,
    )
    a._hand_owner[env.id] = s.id
    if s.stage != stage:
        s.late.append((stage, Cast(env.id, identity, env.seq, env.time, None)))
        return
    s.hand_counts.append(rec)


def _check(
    a: Assembly, env: Envelope, s: Subject, stage: Stage, identity: bytes, p: HandCount
) -> str | None:
    if stage not in HAND_STAGES:
        return f"no hand count is taken in stage {stage.name.lower()}"
    if p.stage != stage:
        return f"hand count names stage {p.stage}, the open stage is {stage.name.lower()}"
    if identity != s.facilitator:
        return "only the stage's facilitator records a hand count"
    hands = p.votes_for + p.votes_against + p.abstentions
    if hands > len(p.present):
        return f"{hands} hands counted but {len(p.present)} members present"
    for key in p.present:
        if s.electorate.identity_of(key) is None:
            return f"a member present ({key.hex()[:8]}) is not in the electorate"
    if p.replaces is not None and a._hand_owner.get(p.replaces) != s.id:
        return "a recount replaces a hand count of the same subject"
    signed = witnessed_bytes(a.body_id, p)
    valid = set()
    for key, sig in p.witnesses:
        who = s.electorate.identity_of(key)
        if who is None or who == s.facilitator:
            return "a witness is the facilitator or not in the electorate"
        if not verify_raw(key, signed, sig):
            a.evidence.append(
                Evidence(
                    "bad witness signature",
                    env.author,
                    (env.id,),
                    f"witness {key.hex()[:8]} did not sign this hand count",
                )
            )
            return "a witness signature does not verify"
        valid.add(who)
    need = s.rules.hand_count_witnesses
    if len(valid) < need:
        return f"a hand count needs {need} witnesses, it has {len(valid)}"
    return None


def contest(a: Assembly, env: Envelope, identity: bytes) -> None:
    """The HAND_COUNT_CONTEST handler of the fold."""
    p = env.payload_as(HandCountContest)
    sid = a._hand_owner.get(p.hand_count)
    if sid is None or not a.log.is_ancestor(p.hand_count, env.id):
        a._ignore(env, "no such hand count in the message's causal past", sid)
        return
    res = a._staged(env, sid)
    if res is None:
        return
    s, stage = res
    if identity not in s.electorate:
        a._ignore(env, "not in the subject's electorate", s.id)
        return
    if s.stage != stage:
        s.late.append((stage, Cast(env.id, identity, env.seq, env.time, None)))
        return
    s.hand_contests.append((p.hand_count, env.id, identity))


def standing(a: Assembly, s: Subject, stage: Stage, cut: Any) -> tuple[HandRecord, ...]:
    """The hand counts of ``stage`` that the close with causal past ``cut``
    counts, in replay order (see the module docstring)."""
    need = s.rules.hand_count_witnesses
    contested: dict[bytes, set[bytes]] = {}
    for hid, mid, who in s.hand_contests:
        if mid in cut:
            contested.setdefault(hid, set()).add(who)
    out: list[HandRecord] = []
    counted: set[bytes] = set()
    for h in s.hand_counts:
        if h.stage != stage or h.id not in cut:
            continue
        against = contested.get(h.id, set())
        if (h.replaces is None and against) or (h.replaces is not None and len(against) >= need):
            continue
        if h.replaces is not None and not contested.get(h.replaces):
            continue  # a recount of a count nobody contested (in this cut)
        if counted & h.present:
            a.evidence.append(
                Evidence(
                    "double counting",
                    a.log.get(h.id).author,
                    (h.id,),
                    "a member present is already counted by another hand count",
                )
            )
            continue
        counted |= h.present
        out.append(h)
    return tuple(out)


def combined(digital: Count, hands: tuple[HandRecord, ...]) -> Count:
    return Count(
        digital.votes_for + sum(h.count.votes_for for h in hands),
        digital.votes_against + sum(h.count.votes_against for h in hands),
        digital.abstentions + sum(h.count.abstentions for h in hands),
        digital.electorate,
    )
