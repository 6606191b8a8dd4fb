"""``caracol proposals``: the body's proposals as a table a member can read:
stage, deadline, tally so far, facilitator by name, and what you may do now.

The state is the body's log folded on this machine (``member_state``), the
same fold the node runs. ``--keystore`` (or ``--member NAME|ck1…``) says
who "you" are; ``--json`` prints the same rows for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from node import keyfile
from node.client import NodeClient
from node.commands.key import passphrase
from node.errors import NodeError
from protocol.assembly import Assembly, Subject, SubjectKind
from protocol.errors import ProtocolError
from protocol.keys import public_key
from protocol.kinds import Kind
from protocol.process_records import count_of, latest_casts
from protocol.stages import ACCEPTS, DURATION, FINAL, ROUNDS, VOTING

from .member_state import body_id, fold, node_url, person, resolve_person, who


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", help="the node's URL (default $CARACOL_NODE)")
    parser.add_argument("--body", help="body id (default $CARACOL_BODY or the node's only body)")
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--keystore", type=Path, help="your keystore: shows what you may do")
    g.add_argument("--member", help="a member's name or ck1 key: shows what they may do")
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)


def load(args: argparse.Namespace) -> tuple[Assembly, bytes | None, int]:
    """The folded body, the identity "you" are (or None) and the time now."""
    client = NodeClient(node_url(args.node))
    a = fold(client, body_id(client, args.body))
    me = None
    if args.keystore is not None:
        key = public_key(keyfile.read(args.keystore, passphrase()))
        me = a.roster().identity_of(key)
    elif args.member:
        me = a.roster().identity_of(resolve_person(a, args.member, "--member"))
    return a, me, int(time.time())


def _holds(s: Subject, me: bytes) -> bool:
    stage = s.stage
    return stage in ROUNDS and any(
        g.counted and g.identity == me and g.deal_breaker == ROUNDS[stage]
        for g in s.grievances.values()
    )


def actions(s: Subject, me: bytes | None, now: int) -> list[str]:
    """What identity ``me`` may do on subject ``s`` now (the fold's rules)."""
    if me is None:
        return []
    stage, out = s.stage, []
    takes = ACCEPTS[stage]
    voter = me in s.electorate
    if Kind.COMMENT in takes:
        out.append("comment")
    if stage in VOTING and voter:
        out.append("vote")
    if Kind.GRIEVANCE in takes and me in s.against:
        out.append("grievance")
    if stage in ROUNDS:
        if _holds(s, me):
            out += ["elect_delegate", "plea"]
        if voter and any(
            g.counted and g.deal_breaker == ROUNDS[stage] for g in s.grievances.values()
        ):
            out.append("agree")
        if _holds(s, me):
            out.append("amend")
        if voter and any(a.stage == stage and a.status == "open" for a in s.amendments.values()):
            out.append("amendment_vote")
    if stage not in FINAL:
        d = DURATION[stage]
        if me == s.facilitator and now >= s.opened_time + s.rules.min_duration[d]:
            out.append("close")
        elif me != s.facilitator and voter and now >= s.opened_time + s.rules.deadline[d]:
            out.append("cosign_close")
    if Kind.MANDATE in takes:
        out.append("nominate_mandate")
    adopted = s.kind == SubjectKind.MANDATE and s.stage.name == "ADOPTED"
    if adopted and voter and s.recalled_by is None:
        out.append("recall")
    return out


def tally(s: Subject) -> dict[str, int] | None:
    """The open stage's votes so far (each voter's latest)."""
    if s.stage not in VOTING:
        return None
    c = count_of(latest_casts(s.casts.get(s.stage, [])).values(), len(s.electorate))
    return {
        "for": c.votes_for,
        "against": c.votes_against,
        "abstain": c.abstentions,
        "electorate": c.electorate,
    }


def row(a: Assembly, s: Subject, me: bytes | None, now: int) -> dict[str, Any]:
    stage = s.stage
    deadline = None if stage in FINAL else s.opened_time + s.rules.deadline[DURATION[stage]]
    verdict = a.verdict(s.id) if s.kind == SubjectKind.PROPOSAL else None
    return {
        "id": s.id.hex(),
        "kind": s.kind.name.lower(),
        "title": getattr(s.payload, "title", "") or _motion_title(a, s),
        "stage": stage.name.lower(),
        "stage_number": int(stage),
        "opened_time": s.opened_time,
        "deadline": deadline,
        "tally": tally(s),
        "author": person(a, s.author),
        "facilitator": person(a, s.facilitator),
        "verdict": None if verdict is None else verdict.outcome.name.lower(),
        "actions": actions(s, me, now),
    }


def _motion_title(a: Assembly, s: Subject) -> str:
    p = s.payload
    if s.kind == SubjectKind.ADMISSION:
        return f"admit {p.name or p.member.hex()[:8]}"
    if s.kind == SubjectKind.REMOVAL:
        ident = a.membership.identity_of(p.member)
        return f"remove {who(a, ident or p.member)}"
    if s.kind == SubjectKind.MANDATE:
        ident = a.membership.identity_of(p.delegate) or p.delegate
        return f"mandate {who(a, ident)}: {p.scope}"
    return s.kind.name.lower()


def _tally_text(t: dict[str, int] | None) -> str:
    if t is None:
        return "—"
    return f"{t['for']} for, {t['against']} against, {t['abstain']} abst. of {t['electorate']}"


def _when(t: int | None, now: int) -> str:
    if t is None:
        return "—"
    if t <= now:
        return "passed"
    left = t - now
    return f"in {left // 86400}d {left % 86400 // 3600}h" if left >= 3600 else f"in {left // 60}m"


def run(args: argparse.Namespace) -> int:
    try:
        a, me, now = load(args)
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol proposals: {exc}", file=sys.stderr)
        return 1
    rows = [row(a, s, me, now) for s in a.subjects.values()]
    if args.json:
        print(json.dumps({"subjects": rows}, indent=1))
        return 0
    if not rows:
        print("no proposals or motions yet")
        return 0
    head = ("id", "what", "stage", "deadline", "tally so far", "facilitator", "you may")
    table = [
        (
            r["id"][:8],
            r["title"][:32],
            r["stage"] + (f" ({r['verdict']})" if r["verdict"] else ""),
            _when(r["deadline"], now),
            _tally_text(r["tally"]),
            r["facilitator"]["name"] or r["facilitator"]["key"][:14],
            ", ".join(r["actions"]) or "—",
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in (head, *table)) for i in range(len(head))]
    for line in (head, *table):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return 0
