"""``caracol show PROPOSAL``: one proposal for a member to read in a terminal:
its current text, each friendly amendment as the changes it makes, the
discussion as threads (replies indented), grievances by category with their
delegates and pleas, the tallies of every stage, and the minutes.
``--json`` prints the same as one object."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from crdt.errors import CrdtError
from crdt.text import TextDocument
from crdt.text_guard import check_ops
from node.errors import NodeError
from protocol.assembly import Assembly, Subject, SubjectKind
from protocol.errors import ProtocolError
from protocol.kinds import Stance
from protocol.minutes import minutes

from .member_state import person, resolve_id, who
from .member_text import changes, document
from .proposals import add_common, load, row


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("proposal", help="proposal id (hex, or an 8+ digit prefix)")
    add_common(parser)
    parser.add_argument(
        "--text-only", action="store_true", help="print only the current text (to edit it)"
    )


def _amendment_changes(a: Assembly, s: Subject, aid: bytes) -> list[list[str]]:
    """The amendment's changes against the text its author saw."""
    am = s.amendments[aid]
    past = a.log.causal_past(aid)
    doc = TextDocument(s.id, s.payload.text)
    for prior in a.adopted_amendments(s.id):
        if prior.id in past:
            try:
                check_ops(doc, prior.id, prior.ops, a.log.causal_past(prior.id))
                doc.apply(prior.id, prior.ops)
            except CrdtError:
                continue
    before = doc.text()
    try:
        doc.apply(aid, am.ops)
    except CrdtError:
        return [["keep", before]]
    return changes(before, doc.text())


def detail(a: Assembly, sid: bytes, me: bytes | None, now: int) -> dict[str, Any]:
    s = a.subject(sid)
    out = row(a, s, me, now)
    out["scope"] = getattr(s.payload, "scope", "")
    out["text"] = document(a, sid).text() if s.kind == SubjectKind.PROPOSAL else ""
    out["document"] = (
        [[m.hex(), off, text, deleted] for m, off, text, deleted in document(a, sid).spans()]
        if s.kind == SubjectKind.PROPOSAL
        else []
    )
    out["comments"] = [
        {
            "id": cid.hex(),
            "reply_to": _hex(getattr(a.log.get(cid).payload, "reply_to", None)),
            "stage": stage.name.lower(),
            "stance": Stance(stance).name.lower(),
            "author": person(a, ident),
            "text": text,
        }
        for stage, cid, ident, text, stance in s.comments
    ]
    out["grievances"] = [
        {
            "id": g.id.hex(),
            "category": g.category,
            "deal_breaker": g.deal_breaker,
            "author": person(a, g.identity),
            "text": g.text,
            "counted": g.counted,
            "agree": g.agree,
            "disagree": g.disagree,
            "delegate": (
                person(a, s.delegates[(g.category, g.deal_breaker)])
                if (g.category, g.deal_breaker) in s.delegates
                else None
            ),
        }
        for g in s.grievances.values()
    ]
    out["pleas"] = [
        {"id": pid.hex(), "category": cat, "author": person(a, ident), "text": text}
        for _, pid, ident, cat, text in s.pleas
    ]
    out["amendments"] = [
        {
            "id": am.id.hex(),
            "category": am.category,
            "author": person(a, am.identity),
            "rationale": am.rationale,
            "status": am.status,
            "votes": _count(am.count),
            "changes": _amendment_changes(a, s, am.id) if s.kind == SubjectKind.PROPOSAL else [],
        }
        for am in s.amendments.values()
    ]
    out["tallies"] = {st.name.lower(): _count(c) for st, c in a.tallies(sid).items()}
    names = {i: r.name for i, r in a.names.all().items()}
    out["minutes"] = minutes(a, sid, names)
    return out


def _hex(b: bytes | None) -> str | None:
    return None if b is None else b.hex()


def _count(c: Any) -> dict[str, int] | None:
    if c is None:
        return None
    return {
        "for": c.votes_for,
        "against": c.votes_against,
        "abstain": c.abstentions,
        "electorate": c.electorate,
    }


def _name(p: dict[str, Any]) -> str:
    return str(p["name"] or p["key"][:14] + "…")


def render(d: dict[str, Any]) -> list[str]:
    out = [f"{d['title']}  [{d['kind']} {d['id'][:8]}]"]
    out.append(
        f"stage: {d['stage']}"
        + (f" — verdict: {d['verdict']}" if d["verdict"] else "")
        + f"; moved by {_name(d['author'])}; facilitator {_name(d['facilitator'])}"
    )
    if d["actions"]:
        out.append(f"you may: {', '.join(d['actions'])}")
    if d["text"]:
        out += ["", "Text:", *("  " + line for line in d["text"].splitlines())]
    if d["amendments"]:
        out += ["", "Friendly amendments:"]
        for am in d["amendments"]:
            v = am["votes"]
            votes = f" ({v['for']} for, {v['against']} against)" if v else ""
            out.append(
                f"  {am['id'][:8]} by {_name(am['author'])} for “{am['category']}”: "
                f"{am['status']}{votes}" + (f" — {am['rationale']}" if am["rationale"] else "")
            )
            for op, text in am["changes"]:
                if op != "keep":
                    mark = "+" if op == "insert" else "-"
                    out.append(f"    {mark} {text!r}")
    if d["comments"]:
        out += ["", "Discussion:"]
        out += _threads(d["comments"])
    if d["grievances"]:
        out += ["", "Grievances:"]
        cats: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        for g in d["grievances"]:
            cats.setdefault((g["category"], g["deal_breaker"]), []).append(g)
        for (cat, db), items in cats.items():
            dele = items[0]["delegate"]
            out.append(
                f"  {cat}"
                + (" (deal-breaker)" if db else "")
                + (f" — delegate {_name(dele)}" if dele else "")
            )
            for g in items:
                out.append(
                    f"    {g['id'][:8]} {_name(g['author'])}: {g['text'] or '(no text)'}"
                    f"  [agree {g['agree']}, disagree {g['disagree']}]"
                )
            for p in d["pleas"]:
                if p["category"] == cat:
                    out.append(f"    plea by {_name(p['author'])}: {p['text']}")
    if d["tallies"]:
        out += ["", "Tallies:"]
        for st, c in d["tallies"].items():
            if c:
                out.append(
                    f"  {st}: {c['for']} for, {c['against']} against, "
                    f"{c['abstain']} abstain, of {c['electorate']}"
                )
    out += ["", *d["minutes"]]
    return out


def _threads(comments: list[dict[str, Any]]) -> list[str]:
    children: dict[str | None, list[dict[str, Any]]] = {}
    ids = {c["id"] for c in comments}
    for c in comments:
        parent = c["reply_to"] if c["reply_to"] in ids else None
        children.setdefault(parent, []).append(c)
    out: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for c in children.get(parent, []):
            stance = "" if c["stance"] == "neutral" else f" ({c['stance']})"
            out.append(
                f"{'  ' * (depth + 1)}{c['id'][:8]} {_name(c['author'])}{stance}: {c['text']}"
            )
            walk(c["id"], depth + 1)

    walk(None, 0)
    return out


def run(args: argparse.Namespace) -> int:
    try:
        a, me, now = load(args)
        sid = resolve_id(args.proposal, list(a.subjects), "PROPOSAL", "proposal")
        d = detail(a, sid, me, now)
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol show: {exc}", file=sys.stderr)
        return 1
    if args.text_only:
        sys.stdout.write(d["text"])
    elif args.json:
        print(json.dumps(d, indent=1))
    else:
        print("\n".join(render(d)))
    return 0


__all__ = ["detail", "render", "run", "who"]
