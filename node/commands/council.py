"""``caracol council``: a Community Justice Council (spec/justice.md).

* ``found``: an elected council member founds the council body under the
  Community: its GENESIS (kind justice_council, parent the Community) and
  its COUNCIL_CHARTER naming the Community resolution its seats are
  mandates on. The Community elects members first, with ``caracol member
  mandate --resolution R`` and a vote.
* ``case``: a council member records a case (those harmed, those
  responsible, a short summary: it is public to whoever holds the log).
* ``plan``: a council member who is not a party moves a reparation and
  rehabilitation plan; the council decides it with ``caracol member vote /
  close / grievance / amend --body COUNCIL`` like any proposal.
* ``members``, ``cases``, ``minutes``: read the council (case summaries
  only with ``cases --details``).

Each signing action folds the council against its Community here and
refuses, in one line naming what is wrong, what the council's process
would ignore; then it reports what the node and the process did.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from crdt.errors import CrdtError
from node import keyfile
from node.client import NodeClient
from node.commands import member
from node.commands import member_actions as act
from node.commands.key import passphrase
from node.commands.member_state import (
    Refusal,
    body_id,
    fold,
    node_url,
    resolve_id,
    resolve_person,
    who,
)
from node.errors import NodeError
from protocol import envelope, kinds
from protocol.errors import ProtocolError
from protocol.justice import Council, seats
from protocol.keys import key_to_text, public_key
from protocol.minutes import council_minutes
from protocol.process_records import SubjectKind
from protocol.rules import ProcessRules, amend, to_params
from protocol.stages import Stage


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="council_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser, keystore: bool = True) -> None:
        if keystore:
            p.add_argument("--keystore", type=Path, required=True, help="your member keystore")
        p.add_argument("--node", help="the node's URL (default $CARACOL_NODE)")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        if keystore:
            p.add_argument("-q", "--quiet", action="store_true", help="print only the id")

    f = sub.add_parser("found", help="found the council body (you hold a council mandate)")
    common(f)
    f.add_argument("--community", help="the Community's id (default $CARACOL_BODY)")
    f.add_argument("--resolution", required=True, help="the carried resolution the seats are on")
    f.add_argument("--name", required=True, help="the council's name")
    f.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="the council's own rules, as for caracol init (repeatable)")  # fmt: skip

    c = sub.add_parser("case", help="record a case (you are a council member)")
    common(c)
    c.add_argument("--body", help="the council's id (default $CARACOL_BODY)")
    c.add_argument("--harmed", action="append", required=True, help="name or ck1 key; repeat")
    c.add_argument("--responsible", action="append", required=True, help="name or ck1; repeat")
    c.add_argument("--summary", required=True, help="what the parties agree to put on record")

    p = sub.add_parser("plan", help="move a reparation and rehabilitation plan for a case")
    common(p)
    p.add_argument("--body", help="the council's id (default $CARACOL_BODY)")
    p.add_argument("--case", required=True, help="the case's id (or an 8+ digit prefix)")
    p.add_argument("--title", required=True)
    p.add_argument("--reparation", required=True, help="how the wrong is repaired")
    p.add_argument("--rehabilitation", default="", help="how a further wrong is prevented")
    p.add_argument("--repairs", action="append", default=[],
                   help="a harmed party it repairs (default: all harmed); repeat")  # fmt: skip

    m = sub.add_parser("members", help="the council's seats and who is in force now")
    common(m, keystore=False)
    m.add_argument("--body", help="the council's id (default $CARACOL_BODY)")

    mi = sub.add_parser("minutes", help="the council's minutes (no case summaries)")
    common(mi, keystore=False)
    mi.add_argument("--body", help="the council's id (default $CARACOL_BODY)")

    k = sub.add_parser("cases", help="the council's cases and their plans")
    common(k, keystore=False)
    k.add_argument("--body", help="the council's id (default $CARACOL_BODY)")
    k.add_argument("--details", action="store_true", help="print each case's summary too")


def run(args: argparse.Namespace) -> int:
    try:
        if args.council_command in ("members", "cases", "minutes"):
            return _read(args)
        return _sign(args)
    except (NodeError, ProtocolError, CrdtError, ValueError) as exc:
        print(f"caracol council {args.council_command}: {exc}", file=sys.stderr)
        return 1


def _council(client: NodeClient, given: str | None) -> Council:
    body = body_id(client, given)
    a = fold(client, body)
    if not isinstance(a, Council):
        kind = a.body_kind.name.lower() if a.body_kind is not None else "unknown"
        raise Refusal(f"--body: body {body.hex()[:16]}… is a {kind}, not a justice council")
    return a


def _sign(args: argparse.Namespace) -> int:
    client = NodeClient(node_url(args.node))
    seed = keyfile.read(args.keystore, passphrase())
    key = public_key(seed)
    now = int(time.time())
    if args.council_command == "found":
        return _found(args, client, seed, now)
    c = _council(client, args.body)
    why = c.why_not_member(key, now)
    if why is not None:
        raise Refusal(f"you ({key_to_text(key)[:14]}…) are not a council member now: {why}")
    payload = _case(args, c) if args.council_command == "case" else _plan(args, c, key)
    env, result = client.sign_and_submit(seed, c.body_id, payload, time=now)
    process = result.get("process")
    if process is None and result["status"] in ("accepted", "duplicate"):
        process = member._process_of(fold(client, c.body_id), env)
    return member._report(args, env, result, process)


def _people(c: Council, texts: list[str], flag: str) -> tuple[bytes, ...]:
    return tuple(sorted({resolve_person(c, t, flag) for t in texts}))


def _case(args: argparse.Namespace, c: Council) -> kinds.Payload:
    harmed = _people(c, args.harmed, "--harmed")
    responsible = _people(c, args.responsible, "--responsible")
    if len(harmed) > kinds.MAX_PARTIES or len(responsible) > kinds.MAX_PARTIES:
        raise Refusal(f"--harmed/--responsible: at most {kinds.MAX_PARTIES} each")
    assert c.parent is not None
    return kinds.Case(harmed, responsible, args.summary, c.parent)


def _plan(args: argparse.Namespace, c: Council, key: bytes) -> kinds.Payload:
    cid = resolve_id(args.case, list(c.cases), "--case", "case")
    case = c.cases[cid]
    assert c.community is not None
    if (c.community.membership.identity_of(key) or key) in case.parties:
        raise Refusal("you are a party to this case: a party does not move or decide its plans")
    repairs = _people(c, args.repairs, "--repairs") if args.repairs else case.harmed
    stray = [k for k in repairs if k not in case.harmed]
    if stray:
        raise Refusal(
            f"--repairs: {key_to_text(stray[0])[:14]}… is not among those the case names as harmed"
        )
    text = f"Reparation: {args.reparation}"
    if args.rehabilitation:
        text += f"\n\nRehabilitation: {args.rehabilitation}"
    return kinds.Plan(cid, args.title, text, tuple(repairs))


def _found(args: argparse.Namespace, client: NodeClient, seed: bytes, now: int) -> int:
    key = public_key(seed)
    community_id = body_id(client, args.community, "--community")
    com = fold(client, community_id)
    if com.body_kind != kinds.BodyKind.COMMUNITY:
        raise Refusal(f"--community: that body is a {com.body_kind}, not a community")
    pool = [s.id for s in com.subjects.values() if s.kind == SubjectKind.PROPOSAL]
    rid = resolve_id(args.resolution, pool, "--resolution", "proposal")
    if com.stage(rid) != Stage.CARRIED:
        raise Refusal(
            f"--resolution: the Community elects a council on a carried resolution; "
            f"it is {com.stage(rid).name.lower()}"
        )
    identity = com.roster().identity_of(key)
    mine = [s for s in seats(com, rid) if s.identity == identity and s.in_force(now)]
    if identity is None or not mine:
        raise Refusal(
            "you hold no Community mandate on that resolution in force now: the Community "
            "elects council members first (caracol member mandate --resolution …, then a vote)"
        )
    rules = ProcessRules()
    if args.param:
        try:
            rules = amend(rules, act.parse_params(args.param, "--param"))
        except ProtocolError as exc:
            raise Refusal(f"--param: {exc}") from None
    genesis = envelope.sign(
        seed,
        None,
        kinds.Genesis(
            kinds.BodyKind.JUSTICE_COUNCIL,
            args.name,
            community_id,
            (key,),
            to_params(rules),
            os.urandom(8),
        ),
        seq=1,
        time=now,
    )
    client.found(genesis)
    env, result = client.sign_and_submit(seed, genesis.id, kinds.CouncilCharter(rid), time=now)
    process = result.get("process")
    if process is None and result["status"] in ("accepted", "duplicate"):
        process = member._process_of(fold(client, genesis.id), env)
    ok = result["status"] in ("accepted", "duplicate") and bool(process and process["taken"])
    if args.json:
        print(json.dumps({"council": genesis.id.hex(), "charter": env.id.hex(), **result}))
    elif args.quiet and ok:
        print(genesis.id.hex())
    else:
        line = f"justice council {genesis.id.hex()} founded under {community_id.hex()[:16]}…"
        line += ", charter taken" if ok else f", charter NOT taken: {process or result}"
        print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def _read(args: argparse.Namespace) -> int:
    client = NodeClient(node_url(args.node))
    c = _council(client, args.body)
    now = int(time.time())
    if args.council_command == "minutes":
        lines = council_minutes(c, now, {i: r.name for i, r in c.names.all().items()})
        print(json.dumps({"minutes": lines}) if args.json else "\n".join(lines))
        return 0
    if args.council_command == "members":
        doc: Any = {
            "in_session": c.problem is None,
            "problem": c.problem,
            "seats": [
                {
                    "identity": s.identity.hex(),
                    "name": _name(c, s.identity),
                    "mandate": s.mandate.hex(),
                    "since": s.since,
                    "until": s.until,
                    "status": s.status(now),
                }
                for s in c.seats
            ],
        }
        if args.json:
            print(json.dumps(doc))
            return 0
        if c.problem is not None:
            print(f"not in session: {c.problem}")
        for s in c.seats:
            print(f"{who(c, s.identity)}: {s.status(now)} (until {act._utc(s.until)})")
        return 0
    cases = []
    for cid, case in c.cases.items():
        entry: dict[str, Any] = {
            "id": cid.hex(),
            "harmed": [who(c, k) for k in case.harmed],
            "responsible": [who(c, k) for k in case.responsible],
            "status": c.case_status(cid),
            "plans": [
                {
                    "id": p.plan.hex(),
                    "title": p.title,
                    "stage": p.stage.name.lower(),
                    "outcome": None if p.verdict is None else p.verdict.outcome.name.lower(),
                }
                for p in c.plan_outcomes(cid)
            ],
        }
        if args.details:
            entry["summary"] = case.summary
        cases.append(entry)
    if args.json:
        print(json.dumps({"cases": cases}))
        return 0
    for e in cases:
        print(
            f"case {e['id'][:8]}: harmed {', '.join(e['harmed'])}; responsible "
            f"{', '.join(e['responsible'])} — {e['status']}"
        )
        if "summary" in e:
            print(f"  summary: {e['summary']}")
        for p in e["plans"]:
            print(f"  plan {p['id'][:8]} “{p['title']}”: {p['stage']} {p['outcome'] or ''}")
    return 0


def _name(c: Council, identity: bytes) -> str | None:
    rec = c.names.of(identity)
    return rec.name if rec is not None else None
