"""``caracol show PROPOSAL``: one proposal for a member to read in a terminal:
its current text, each friendly amendment as the changes it makes, the
discussion as threads (replies indented), grievances by category with their
delegates and pleas, the tallies of every stage, and the minutes.

It reads ``GET /v0/bodies/{body}/proposals/{id}?member=&now=`` (spec/api.md);
``--json`` prints that document, ``--text-only`` just the current text (to
edit it for ``caracol member amend --text-file``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from node.errors import NodeError
from protocol.errors import ProtocolError

from .member_state import resolve_id
from .proposals import Source, add_common, load, name, views


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("proposal", help="proposal id (hex, or an 8+ digit prefix)")
    add_common(parser)
    parser.add_argument(
        "--text-only", action="store_true", help="print only the current text (to edit it)"
    )


def fetch(src: Source, text: str) -> dict[str, Any]:
    listed = views(src)
    ids = [bytes.fromhex(r["id"]) for rows in listed.values() for r in rows]
    sid = resolve_id(text, ids, "PROPOSAL", "proposal")
    return dict(src.get(f"proposals/{sid.hex()}"))


def _count(c: dict[str, int] | None) -> str:
    if not c:
        return ""
    return f"{c['for']} for, {c['against']} against, {c['abstain']} abstain, of {c['electorate']}"


def render(d: dict[str, Any]) -> list[str]:
    v = d.get("verdict")
    out = [f"{d['title'] or d['kind']}  [{d['kind']} {d['id'][:8]}]"]
    out.append(
        f"stage: {d['stage']}"
        + (f" — verdict: {v['outcome']}" if v else "")
        + f"; moved by {name(d['author'])}; facilitator {name(d['facilitator'])}"
    )
    if d.get("origin"):
        o = d["origin"]
        out.append(f"presented from body {o['body'][:8]}, resolution {o['proposal'][:8]}")
    if d["tally"]:
        out.append(f"votes so far: {_count(d['tally'])}")
    if d["actions"]:
        out.append(f"you may: {', '.join(d['actions'])}")
    if d.get("text"):
        out += ["", "Text:", *("  " + line for line in d["text"].splitlines())]
    if d.get("amendments"):
        out += ["", "Friendly amendments:"]
        for am in d["amendments"]:
            votes = f" ({_count(am['count'])})" if am["count"] else ""
            why = f" — {am['rationale']}" if am["rationale"] else ""
            out.append(
                f"  {am['id'][:8]} by {name(am['author'])} for “{am['category']}”: "
                f"{am['status']}{votes}{why}"
            )
            for op, text in am["changes"]:
                if op != "keep":
                    mark = {"insert": "+", "delete": "-"}.get(op, "!")
                    out.append(f"    {mark} {text!r}")
    if d.get("comments"):
        out += ["", "Discussion:", *_threads(d["comments"])]
    if d.get("grievances"):
        out += ["", "Grievances:"]
        for cat in d["grievances"]:
            dele = f" — delegate {name(cat['delegate'])}" if cat["delegate"] else ""
            kind = " (deal-breaker)" if cat["deal_breaker"] else ""
            out.append(f"  {cat['category']}{kind}{dele}")
            for g in cat["items"]:
                out.append(
                    f"    {g['id'][:8]} {name(g['author'])}: {g['text'] or '(no text)'}"
                    f"  [agree {g['agree']}, disagree {g['disagree']}]"
                )
            for p in d.get("pleas", []):
                if p["category"] == cat["category"]:
                    out.append(f"    plea by {name(p['author'])}: {p['text']}")
    if d.get("tallies"):
        out += ["", "Tallies:"]
        out += [f"  {t['stage']}: {_count(t['count'])}" for t in d["tallies"]]
    if d.get("minutes"):
        out += ["", *d["minutes"]]
    return out


def _threads(comments: list[dict[str, Any]]) -> list[str]:
    ids = {c["id"] for c in comments}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for c in comments:
        children.setdefault(c["reply_to"] if c["reply_to"] in ids else None, []).append(c)
    out: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for c in children.get(parent, []):
            stance = "" if c["stance"] == "neutral" else f" ({c['stance']})"
            lead = "  " * (depth + 1)
            out.append(f"{lead}{c['id'][:8]} {name(c['author'])}{stance}: {c['text']}")
            walk(c["id"], depth + 1)

    walk(None, 0)
    return out


def run(args: argparse.Namespace) -> int:
    try:
        d = fetch(load(args), args.proposal)
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol show: {exc}", file=sys.stderr)
        return 1
    if args.text_only:
        sys.stdout.write(d.get("text", ""))
    elif args.json:
        print(json.dumps(d, indent=1))
    else:
        print("\n".join(render(d)))
    return 0
