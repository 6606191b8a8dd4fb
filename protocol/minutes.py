"""Minutes: the human-readable audit view of a proposal's whole history.

Everything here is derived from the log and its fold, never stored: who said
what, when (claimed time, advisory), in which stage, how every stage closed
and what it counted, every grievance, delegate, plea and amendment, the
votes that came late, messages the process ignored and why, and evidence of
misbehaviour. Two nodes with the same log print the same minutes, so a
printed copy on a notice board can be checked against any node.

The output is Markdown lines; ``names`` maps keys to display names (keys not
in it print as the first 8 hex digits).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .assembly import Assembly, Subject, SubjectKind
from .envelope import Envelope
from .justice import Council
from .kinds import (
    Agreement,
    Amendment,
    AmendmentVote,
    Choice,
    Close,
    Comment,
    DelegateElect,
    Dispute,
    DisputeResponse,
    Escalation,
    Grievance,
    HandCount,
    HandCountContest,
    Kind,
    Mandate,
    Mediation,
    Plea,
    RecallVote,
    Stance,
    Vote,
)
from .process_records import TEXTED, StageRecord
from .stages import Stage


def utc(t: int) -> str:
    """Seconds since 1970 as ``YYYY-MM-DD HH:MM:SSZ`` (no clock is read)."""
    days, rest = divmod(t, 86_400)
    # civil-from-days (H. Hinnant), proleptic Gregorian
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y += m <= 2
    h, rest = divmod(rest, 3600)
    mi, s = divmod(rest, 60)
    return f"{y:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}Z"


def _short(mid: bytes) -> str:
    return mid.hex()[:8]


class _Writer:
    def __init__(self, assembly: Assembly, names: Mapping[bytes, str]) -> None:
        self.a = assembly
        self.names = names

    def who(self, key: bytes) -> str:
        if key in self.names:
            return self.names[key]
        identity = self.a.membership.identity_of(key)
        if identity is not None and identity in self.names:
            return self.names[identity]
        return _short(key)

    def describe(self, env: Envelope) -> str:
        p: Any = env.payload
        if isinstance(p, Comment):
            stance = "" if p.stance == Stance.NEUTRAL else f" ({p.stance.name.lower()})"
            return f"comments{stance}: “{p.text}”"
        if isinstance(p, Vote | AmendmentVote | RecallVote):
            what = {
                Vote: "votes",
                AmendmentVote: "votes on amendment " + _short(getattr(p, "amendment", b"")),
                RecallVote: "votes to recall",
            }
            return f"{what[type(p)]} {Choice(p.choice).name}"
        if isinstance(p, Grievance):
            kind = "deal-breaker" if p.deal_breaker else "not a deal-breaker"
            return f"files a grievance under “{p.category}” ({kind}): “{p.text}”"
        if isinstance(p, DelegateElect):
            return f"elects {self.who(p.candidate)} as delegate of “{p.category}”"
        if isinstance(p, Plea):
            return f"pleads for “{p.category}”: “{p.text}”"
        if isinstance(p, Agreement):
            verb = "agrees" if p.agree else "does not agree"
            return f"{verb} with grievance {_short(p.grievance)}"
        if isinstance(p, Amendment):
            return (
                f"proposes amendment {_short(env.id)} under “{p.category}”: "
                f"“{p.rationale}” ({len(p.ops)} text operation(s))"
            )
        if isinstance(p, Close):
            return f"closes stage {Stage(p.stage).name.lower() if p.stage in Stage._value2member_map_ else p.stage}"  # noqa: E501
        if isinstance(p, HandCount):
            witnesses = ", ".join(self.who(k) for k, _ in p.witnesses)
            again = f" (a recount of {_short(p.replaces)})" if p.replaces else ""
            return (
                f"records a hand count{again}: FOR {p.votes_for}, AGAINST {p.votes_against}, "
                f"ABSTAIN {p.abstentions}, {len(p.present)} present — hand count attested by "
                f"{witnesses}"
            )
        if isinstance(p, HandCountContest):
            return f"contests hand count {_short(p.hand_count)}: “{p.reason}”"
        if isinstance(p, Mandate):
            return (
                f"nominates {self.who(p.delegate)} for a mandate: “{p.scope}”, "
                f"until {utc(p.expires)}"
            )
        return _dispute_step(p) or Kind(env.kind).name.lower()


def _dispute_step(p: Any) -> str | None:
    """The dispute messages (protocol.disputes), one line each."""
    if isinstance(p, Mediation):
        terms = f" on the terms “{p.terms}”" if p.terms else ""
        return (
            f"records the mediation of dispute {_short(p.dispute)} under mandate "
            f"{_short(p.mandate)}: {p.outcome.name.lower()}{terms}"
        )
    if isinstance(p, Dispute):
        return f"moves a dispute with body {_short(p.respondent)}: “{p.matter}”"
    if isinstance(p, DisputeResponse):
        return f"answers dispute {_short(p.dispute)} of body {_short(p.claimant)}: “{p.position}”"
    if isinstance(p, Escalation):
        return (
            f"moves a determination of dispute {_short(p.dispute)} between bodies "
            f"{_short(p.claimant)} and {_short(p.respondent)}: “{p.text}”"
        )
    return None


_STATED = {
    SubjectKind.DISPUTE: ("Dispute with body {respondent}, over:", "matter"),
    SubjectKind.RESPONSE: ("Answer to dispute {dispute} of body {claimant}:", "position"),
    SubjectKind.ESCALATION: (
        "Determination of dispute {dispute} between bodies {claimant} and {respondent}:",
        "text",
    ),
}
"""What a dispute subject states, shown at the head of its minutes."""


def _related(a: Assembly, s: Subject, env: Envelope) -> bool:
    p: Any = env.payload
    sid = s.id
    for name in ("proposal", "subject", "resolution", "mandate"):
        if getattr(p, name, None) == sid:
            return True
    if isinstance(p, Agreement):
        return p.grievance in s.grievances
    if isinstance(p, AmendmentVote):
        return p.amendment in s.amendments
    if isinstance(p, HandCountContest):
        return any(h.id == p.hand_count for h in s.hand_counts)
    if isinstance(p, Mediation):
        return p.dispute == sid or getattr(s.payload, "dispute", None) == p.dispute
    return False


def _witnesses(env: Envelope) -> tuple[tuple[bytes, bytes], ...]:
    p = env.payload
    return p.witnesses if isinstance(p, HandCount) else ()


def _by_delegate(a: Assembly, s: Subject, env: Envelope) -> bool:
    p = env.payload_as(Plea)
    identity = a.membership.identity_of(env.author)
    return any(k[0] == p.category and v == identity for k, v in s.delegates.items())


def minutes(assembly: Assembly, sid: bytes, names: Mapping[bytes, str] | None = None) -> list[str]:
    """The minutes of one subject (proposal, motion or mandate) as Markdown lines."""
    a = assembly
    w = _Writer(a, names or {})
    s = a.subject(sid)
    out = _heading(a, w, s)
    out += ["", "## Record", ""]
    out += _record(a, w, s)
    if s.kind in TEXTED:
        out += _grievances(a, w, s) + _amendments(a, w, s)
    out += _evidence(a, w, s)
    out += ["", f"**Stage now: {s.stage.name.lower()}**"]
    v = a.verdict(sid) if s.kind in TEXTED or s.kind in _STATED else None
    if v is not None:
        c = v.count
        out.append(
            f"**Verdict: {v.outcome.name.lower()}** at stage "
            f"{v.deciding_stage.name.lower()} (FOR {c.votes_for}, AGAINST "
            f"{c.votes_against}, ABSTAIN {c.abstentions}, of {v.electorate}); "
            f"closed by {_short(v.close)}"
        )
    return out


def _heading(a: Assembly, w: _Writer, s: Subject) -> list[str]:
    """The title, who moved the subject and holds its roles, and what it states."""
    origin = a.log.get(s.id)
    title = getattr(s.payload, "title", None) or s.kind.name.lower()
    out = [f"# Minutes: {title} ({s.kind.name.lower()} {_short(s.id)})", ""]
    out.append(
        f"Moved by {w.who(origin.author)} at {utc(origin.time)}; facilitator "
        f"{w.who(s.facilitator)}, minutes {w.who(s.minute_taker)}, mediator "
        f"{w.who(s.mediator)} (rotation); electorate {len(s.electorate)} members."
    )
    if s.kind in TEXTED:
        out += ["", "Text as proposed:", "", f"> {s.payload.text}"]
    if s.kind in _STATED:
        head, field = _STATED[s.kind]
        ids = {k: _short(getattr(s.payload, k)) for k in ("respondent", "dispute", "claimant")
               if isinstance(getattr(s.payload, k, None), bytes)}  # fmt: skip
        out += ["", head.format(**ids), "", f"> {getattr(s.payload, field)}"]
    elif s.kind == SubjectKind.PLAN:
        repairs = ", ".join(w.who(k) for k in s.payload.repairs)
        out += ["", f"A plan for case {_short(s.payload.case)}; reparation for {repairs}."]
    return out


def _record(a: Assembly, w: _Writer, s: Subject) -> list[str]:
    """Every message about the subject in replay order, with what became of
    it, and how each stage closed under the message that closed it."""
    sid = s.id
    counted = {c.message for r in s.history for c in r.counted} | {
        h for r in s.history for h in r.hand
    }
    late = {c.message for _, c in s.late}
    ignored = {i.message: i.reason for i in a.ignored}
    closes = {r.closed_by: r for r in s.history}
    out = []
    for env in a.log.envelopes():
        if env.id == sid or not _related(a, s, env):
            continue
        note = ""
        if env.id in ignored:
            note = f" — *ignored: {ignored[env.id]}*"
        elif env.id in late:
            note = " — *late: not in the causal past of its stage's close*"
        elif env.id in counted:
            note = " — counted"
        elif isinstance(env.payload, Plea) and not _by_delegate(a, s, env):
            note = " — *not the category's elected delegate*"
        stage = a.stage_of(sid, env.id).name.lower()
        out.append(f"- {utc(env.time)} [{stage}] {w.who(env.author)} {w.describe(env)}{note}")
        rec = closes.get(env.id)
        if rec is not None:
            out.append(_closed(a, w, env, rec))
    return out


def _closed(a: Assembly, w: _Writer, env: Envelope, rec: StageRecord) -> str:
    """How the stage ``env`` closed was closed, and what it counted."""
    if rec.cosigners:
        how = f"co-signed by {', '.join(w.who(c) for c in rec.cosigners)}"
    elif env.kind == Kind.VOTE:
        how = "by this vote (support fell below the contention threshold)"
    else:
        how = "by the facilitator"
    line = f"  - **stage {rec.stage.name.lower()} closed** {how}: {rec.event.name.lower()}"
    if rec.count is not None:
        c = rec.count
        line += (
            f" (FOR {c.votes_for}, AGAINST {c.votes_against}, ABSTAIN "
            f"{c.abstentions}, of {c.electorate})"
        )
    if rec.hand:
        line += f"; with {len(rec.hand)} hand count(s) attested by " + ", ".join(
            sorted({w.who(k) for h in rec.hand for k, _ in _witnesses(a.log.get(h))})
        )
    return line


def _grievances(a: Assembly, w: _Writer, s: Subject) -> list[str]:
    grievances = a.grievances(s.id)
    if not grievances:
        return []
    out = ["", "## Grievances", ""]
    for (category, db), items in grievances.items():
        kind = "deal-breaker" if db else "not a deal-breaker"
        delegate = a.delegates(s.id).get((category, db))
        dl = f"; delegate {w.who(delegate)}" if delegate else ""
        out.append(f"- “{category}” ({kind}){dl}")
        for g in items:
            out.append(
                f"  - {w.who(g.identity)}: “{g.text}” — agree {g.agree}, disagree {g.disagree}"
            )
    return out


def _amendments(a: Assembly, w: _Writer, s: Subject) -> list[str]:
    if not s.amendments:
        return []
    out = ["", "## Amendments", ""]
    for am in s.amendments.values():
        ac = am.count
        tally = f" (FOR {ac.votes_for}, AGAINST {ac.votes_against})" if ac else ""
        out.append(
            f"- {_short(am.id)} by {w.who(am.identity)} under “{am.category}”: {am.status}{tally}"
        )
    return [*out, "", "Text as amended:", "", f"> {a.text(s.id)}"]


def _evidence(a: Assembly, w: _Writer, s: Subject) -> list[str]:
    """Evidence of misbehaviour that names a message about the subject."""
    log = a.log
    evidence = [
        e
        for e in a.evidence
        if any(m in log for m in e.messages)
        and any(_related(a, s, log.get(m)) for m in e.messages if m in log)
    ]
    if not evidence:
        return []
    out = ["", "## Evidence of misbehaviour", ""]
    for e in evidence:
        out.append(
            f"- {e.what} by {w.who(e.author)}: {e.note} "
            f"({', '.join(_short(m) for m in e.messages)})"
        )
    return out


def body_minutes(
    assembly: Assembly, names: Mapping[bytes, str] | None = None, now: int | None = None
) -> list[str]:
    """An overview of the whole body: roster, every subject with its stage and
    verdict, mandates (with their status at ``now``, when given), membership
    changes, and all evidence of misbehaviour."""
    a = assembly
    w = _Writer(a, names or {})
    g = a.genesis
    title = g.name if g else "(no genesis yet)"
    kind = g.body_kind.name.lower() if g else "?"
    out = [f"# {title} ({kind} {_short(a.body_id)})", ""]
    roster = a.roster()
    out.append(f"## Members ({len(roster)})")
    out.append("")
    out += [f"- {w.who(identity)}" for identity in roster]
    out += ["", "## Subjects", ""]
    for sid, s in a.subjects.items():
        title_s = getattr(s.payload, "title", None) or s.kind.name.lower()
        v = a.verdict(sid)
        verdict = f", verdict {v.outcome.name.lower()}" if v else ""
        out.append(
            f"- {_short(sid)} {s.kind.name.lower()} “{title_s}” by {w.who(s.author)}: "
            f"{s.stage.name.lower()}{verdict}"
        )
    if now is not None and a.mandates(now):
        out += ["", f"## Mandates at {utc(now)}", ""]
        for m in a.mandates(now):
            out.append(
                f"- {w.who(m.delegate)}: “{m.scope}” until {utc(m.expires)} — {m.status}"
                + (f" (recalled by {_short(m.recalled_by)})" if m.recalled_by else "")
            )
    out += ["", "## Membership changes", ""]
    for ev in a.membership.events:
        out.append(f"- {ev.change.name.lower()} {w.who(ev.identity)} (at {_short(ev.trigger)})")
    if a.evidence:
        out += ["", "## Evidence of misbehaviour", ""]
        for e in a.evidence:
            out.append(
                f"- {e.what} by {w.who(e.author)}: {e.note} "
                f"({', '.join(_short(m) for m in e.messages)})"
            )
    out += ["", f"{len(a.ignored)} message(s) ignored by the process (see each subject)."]
    return out


def council_minutes(
    council: Council, now: int, names: Mapping[bytes, str] | None = None
) -> list[str]:
    """A justice council's record (spec/justice.md): its charter, every seat
    with its status at ``now``, every case (its parties, not its summary:
    the overview is for notice boards) with its plans and their outcomes."""
    c = council
    w = _Writer(c, names or {})
    title = c.genesis.name if c.genesis else "(no genesis yet)"
    out = [f"# {title} (justice council {_short(c.body_id)})", ""]
    if c.problem is not None:
        out += [f"**Not in session: {c.problem}.**", ""]
    else:
        assert c.resolution is not None
        out += [f"Serves under the Community's resolution {_short(c.resolution)}.", ""]
    out += [f"## Seats at {utc(now)}", ""]
    for seat in c.seats:
        out.append(
            f"- {w.who(seat.identity)}: from {utc(seat.since)} until {utc(seat.until)} "
            f"({seat.ended}) — {seat.status(now)} (mandate {_short(seat.mandate)})"
        )
    out += ["", "## Cases", ""]
    for case in c.cases.values():
        harmed = ", ".join(w.who(k) for k in case.harmed)
        responsible = ", ".join(w.who(k) for k in case.responsible)
        out.append(
            f"- case {_short(case.id)} recorded by {w.who(case.filed_by)} at {utc(case.time)}: "
            f"harmed {harmed}; responsible {responsible} — {c.case_status(case.id)}"
        )
        for plan in c.plan_outcomes(case.id):
            v = plan.verdict
            result = plan.stage.name.lower()
            if v is not None:
                n = v.count
                result += (
                    f", verdict {v.outcome.name.lower()} (FOR {n.votes_for}, AGAINST "
                    f"{n.votes_against}, ABSTAIN {n.abstentions}, of {v.electorate})"
                )
            repairs = ", ".join(w.who(k) for k in plan.repairs)
            out.append(
                f"  - plan {_short(plan.plan)} “{plan.title}” (reparation for {repairs}): {result}"
            )
    out += ["", f"{len(c.ignored)} message(s) ignored by the council's process."]
    return out
