"""The JSON documents of the member API's process views.

Pure functions of a body's assembly fold, the member asking (a key, or
none) and the time: the node adds nothing of its own, and the same
documents feed the command line (``caracol proposals``, ``caracol show``)
and the members' page. People appear as ``{identity, key, name}``; each
subject lists the ``actions`` the asking member may take now, so no client
offers what the process would ignore (spec/api.md, "Views").

Called on the store thread, which owns the log and its fold.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from crdt.errors import CrdtError
from crdt.text import TextDocument
from crdt.text_guard import check_ops
from protocol.assembly import DELIBERATED, Assembly, Subject, SubjectKind
from protocol.kinds import Choice, Kind
from protocol.minutes import minutes
from protocol.process_records import TEXTED, count_of, latest_casts, passing_casts
from protocol.rules import Count
from protocol.stages import ACCEPTS, DURATION, FINAL, ROUNDS, VOTING, Stage


def plain(value: Any) -> Any:
    """A JSON-able form of fold results: bytes as hex, enums by name."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Enum):
        return value.name.lower()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    members = getattr(value, "members", None)  # a Roster: identity -> current key
    if members is not None:
        members = members() if callable(members) else members
        return {plain(k): plain(v) for k, v in members.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def count_json(c: Count | None) -> dict[str, int] | None:
    if c is None:
        return None
    return {
        "for": c.votes_for,
        "against": c.votes_against,
        "abstain": c.abstentions,
        "electorate": c.electorate,
    }


_MANDATED = frozenset(
    {SubjectKind.PROPOSAL, SubjectKind.DISPUTE, SubjectKind.RESPONSE, SubjectKind.ESCALATION}
)
"""Carried subjects on which the view offers a mandate nomination: a
resolution's implementation delegates, a dispute's mediation delegates."""


class Viewer:
    """One member's view of one body at one time."""

    def __init__(self, a: Assembly, member: bytes | None, now: int) -> None:
        self.a = a
        self.now = now
        self.roster = a.roster()
        self.identity = None if member is None else self.roster.identity_of(member)

    # --- people -------------------------------------------------------------

    def person(self, who: bytes) -> dict[str, Any]:
        """A key or an identity as {identity, key, name}."""
        identity = self.a.membership.identity_of(who) or who
        key = self.roster.members.get(identity, who)
        rec = self.a.names.of(identity)
        return {
            "identity": identity.hex(),
            "key": key.hex(),
            "name": None if rec is None else rec.name,
        }

    def people(self) -> list[dict[str, Any]]:
        seen = set(self.roster.identities()) | set(self.a.names.all())
        out = []
        for identity in sorted(seen):
            rec = self.a.names.of(identity)
            out.append(
                {
                    **self.person(identity),
                    "name_source": None if rec is None else rec.source,
                    "member": identity in self.roster,
                }
            )
        return out

    # --- timing and tallies ------------------------------------------------

    def timing(self, s: Subject) -> dict[str, Any]:
        if s.stage in FINAL or s.stage not in DURATION:
            return {"opened_time": s.opened_time, "min_close_time": None, "deadline": None}
        d = DURATION[s.stage]
        return {
            "opened_time": s.opened_time,
            "min_close_time": s.opened_time + s.rules.min_duration[d],
            "deadline": s.opened_time + s.rules.deadline[d],
        }

    def tally(self, s: Subject) -> dict[str, int] | None:
        """The open stage's votes so far (each identity's latest)."""
        if s.stage not in VOTING:
            return None
        latest = latest_casts(s.casts.get(s.stage, []))
        if s.stage == Stage.PLANNING:
            base = latest_casts(passing_casts(s))
            base.update(latest)
            latest = base
        return count_json(count_of(latest.values(), len(s.electorate)))

    # --- what the member may do now ---------------------------------------

    def actions(self, s: Subject) -> list[str]:
        me = self.identity
        if me is None:
            return []
        stage = s.stage
        takes = ACCEPTS[stage]
        out: list[str] = []
        if Kind.COMMENT in takes and s.kind in DELIBERATED:
            out.append("comment")
        if stage in VOTING and me in s.electorate:
            out.append("vote")
        if stage == Stage.CONCERNS and me in s.against:
            out.append("grievance")
        if stage in ROUNDS:
            out += self._round_actions(s, ROUNDS[stage])
        if stage == Stage.CARRIED and s.kind in _MANDATED:
            out.append("nominate_mandate")
        if Kind.CLOSE in takes:
            t = self.timing(s)
            if me == s.facilitator:
                if self.now >= t["min_close_time"]:
                    out.append("close")
            elif me in s.electorate and self.now >= t["deadline"]:
                signed = {i for _, i in s.cosigns.get(stage, [])}
                if me not in signed:
                    out.append("cosign_close")
        if (
            s.kind == SubjectKind.MANDATE
            and stage == Stage.ADOPTED
            and s.recalled_by is None
            and me in s.electorate
            and self.now < s.payload.expires
        ):
            out.append("recall")
        return out

    def _round_actions(self, s: Subject, deal_breaker: bool) -> list[str]:
        me = self.identity
        holder = any(
            g.counted and g.deal_breaker == deal_breaker and g.identity == me
            for g in s.grievances.values()
        )
        treated = any(g.counted and g.deal_breaker == deal_breaker for g in s.grievances.values())
        out = []
        if holder:
            out += ["elect_delegate", "plea"]
            if s.kind == SubjectKind.PROPOSAL:
                out.append("amend")
        if treated and me in s.electorate:
            out.append("agree")
        if me in s.electorate and any(
            a.stage == s.stage and a.status == "open" for a in s.amendments.values()
        ):
            out.append("amendment_vote")
        return out

    # --- documents ----------------------------------------------------------

    def subject_summary(self, s: Subject) -> dict[str, Any]:
        v = self.a.verdict(s.id) if s.kind in DELIBERATED else None
        p = s.payload
        return {
            "id": s.id.hex(),
            "kind": s.kind.name.lower(),
            "title": getattr(p, "title", ""),
            "scope": getattr(p, "scope", ""),
            "stage": s.stage.name.lower(),
            "stage_number": int(s.stage),
            "author": self.person(s.author),
            "facilitator": self.person(s.facilitator),
            "minute_taker": self.person(s.minute_taker),
            "mediator": self.person(s.mediator),
            "time": s.time,
            **self.timing(s),
            "tally": self.tally(s),
            "electorate": len(s.electorate),
            "verdict": None if v is None else plain(v),
            "origin": None
            if getattr(p, "origin_body", None) is None
            else {"body": p.origin_body.hex(), "proposal": p.origin_proposal.hex()},
            "actions": self.actions(s),
        }

    def proposals(self) -> list[dict[str, Any]]:
        return [self.subject_summary(self.a.subject(sid)) for sid in self.a.proposals()]

    def proposal(self, sid: bytes) -> dict[str, Any]:
        a = self.a
        s = a.subject(sid)
        text, skipped = a.text_and_skipped(sid) if s.kind in TEXTED else ("", ())
        names = {i: r.name for i, r in a.names.all().items()}
        return {
            **self.subject_summary(s),
            "text": text,
            "document": self.document(s) if s.kind in TEXTED else [],
            "skipped_amendments": plain(skipped),
            "tallies": [
                {"stage": r.stage.name.lower(), "count": count_json(r.count)}
                for r in s.history
                if r.count is not None
            ],
            "comments": [
                {
                    "id": mid.hex(),
                    "stage": stage.name.lower(),
                    "author": self.person(identity),
                    "reply_to": _hex(getattr(a.log.get(mid).payload, "reply_to", None)),
                    "stance": ("neutral", "support", "oppose")[stance],
                    "text": ctext,
                    "time": a.log.get(mid).time,
                }
                for stage, mid, identity, ctext, stance in s.comments
            ],
            "grievances": [
                {
                    "category": cat,
                    "deal_breaker": db,
                    "delegate": None
                    if (d := s.delegates.get((cat, db))) is None
                    else self.person(d),
                    "election": self.election(s, cat, db),
                    "items": [
                        {
                            "id": g.id.hex(),
                            "author": self.person(g.identity),
                            "text": g.text,
                            "agree": g.agree,
                            "disagree": g.disagree,
                        }
                        for g in items
                    ],
                }
                for (cat, db), items in a.grievances(sid).items()
            ],
            "pleas": [
                {
                    "id": mid.hex(),
                    "stage": stage.name.lower(),
                    "author": self.person(identity),
                    "category": cat,
                    "text": ptext,
                }
                for stage, mid, identity, cat, ptext in s.pleas
            ],
            "amendments": self.amendments(s),
            "late_votes": plain(a.late_votes(sid)),
            "history": [
                {
                    "stage": r.stage.name.lower(),
                    "closed_by": r.closed_by.hex(),
                    "closer": self.person(r.closer),
                    "cosigners": [self.person(c) for c in r.cosigners],
                    "event": r.event.name.lower(),
                    "count": count_json(r.count),
                }
                for r in s.history
            ],
            "minutes": minutes(a, sid, names),
        }

    def document(self, s: Subject) -> list[list[Any]]:
        """The text CRDT state as runs [msg, offset, text, deleted], in order."""
        doc = self._doc(s, until=None)
        return [[m.hex(), off, t, deleted] for m, off, t, deleted in doc.spans()]

    def _doc(self, s: Subject, until: bytes | None) -> TextDocument:
        """The document with the adopted amendments applied (those before
        ``until`` in adoption order, when given)."""
        doc = TextDocument(s.id, s.payload.text)
        for rec in self.a.adopted_amendments(s.id):
            if rec.id == until:
                break
            try:
                check_ops(doc, rec.id, rec.ops, self.a.log.causal_past(rec.id))
                doc.apply(rec.id, rec.ops)
            except CrdtError:
                continue
        return doc

    def amendments(self, s: Subject) -> list[dict[str, Any]]:
        out = []
        for rec in self.a.amendments(s.id):
            out.append(
                {
                    "id": rec.id.hex(),
                    "author": self.person(rec.identity),
                    "stage": rec.stage.name.lower(),
                    "category": rec.category,
                    "rationale": rec.rationale,
                    "status": rec.status,
                    "count": count_json(rec.count),
                    "votes": {
                        c.identity.hex(): Choice(c.value).name.lower()
                        for c in latest_casts(rec.votes).values()
                    },
                    "changes": self.changes(s, rec.id, rec.ops),
                }
            )
        return out

    def changes(self, s: Subject, mid: bytes, ops: Any) -> list[list[str]]:
        """The amendment as changes to the text it was made against:
        [["keep" | "insert" | "delete", text], ...]."""
        before = self._doc(s, until=mid)
        old = [
            (m, off + i, ch, deleted)
            for m, off, t, deleted in before.spans()
            for i, ch in enumerate(t)
        ]
        try:
            check_ops(before, mid, ops, self.a.log.causal_past(mid))
            before.apply(mid, ops)
        except CrdtError as exc:
            return [["error", exc.reason]]
        was_visible = {(m, o) for m, o, _, d in old if not d}
        out: list[list[str]] = []
        for m, off, t, deleted in before.spans():
            for i, ch in enumerate(t):
                pos = (m, off + i)
                if m == mid:
                    what = "insert"
                elif pos in was_visible:
                    what = "delete" if deleted else "keep"
                else:
                    continue
                if out and out[-1][0] == what:
                    out[-1][1] += ch
                else:
                    out.append([what, ch])
        return out

    def election(self, s: Subject, category: str, deal_breaker: bool) -> list[dict[str, Any]]:
        """The category delegate's election in its round so far: each
        candidate's votes (each holder's latest choice), most first; the
        round's close decides it (``delegate``)."""
        stage = next((st for st, db in ROUNDS.items() if db == deal_breaker), None)
        casts = [c for c in s.elects.get(stage, []) if c.target == category] if stage else []
        votes: dict[bytes, int] = {}
        for c in latest_casts(casts).values():
            votes[c.value] = votes.get(c.value, 0) + 1
        ranked = sorted(votes, key=lambda k: (-votes[k], k))
        return [{"candidate": self.person(k), "votes": votes[k]} for k in ranked]

    def motions(self) -> list[dict[str, Any]]:
        out = []
        for s in self.a.subjects.values():
            if s.kind not in (SubjectKind.ADMISSION, SubjectKind.REMOVAL):
                continue
            out.append(
                {
                    **self.subject_summary(s),
                    "member": self.person(s.payload.member),
                    "name": getattr(s.payload, "name", ""),
                    "note": getattr(s.payload, "note", getattr(s.payload, "reason", "")),
                    "outcome_note": s.note,
                }
            )
        return out

    def mandates(self) -> list[dict[str, Any]]:
        out = []
        for m in self.a.mandates(self.now):
            s = self.a.subject(m.id)
            out.append(
                {
                    **self.subject_summary(s),
                    "resolution": m.resolution.hex(),
                    "delegate": self.person(m.delegate),
                    "scope": m.scope,
                    "expires": m.expires,
                    "status": m.status,
                    "recalled_by": _hex(m.recalled_by),
                    "recall_tally": count_json(
                        count_of(latest_casts(s.recall).values(), len(s.electorate))
                    ),
                }
            )
        return out


def _hex(b: bytes | None) -> str | None:
    return None if b is None else b.hex()
