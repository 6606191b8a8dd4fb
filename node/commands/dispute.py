"""``caracol dispute``: disputes between bodies (spec/federation.md, "Disputes").

``raise``, ``respond``, ``mediate`` and ``escalate`` sign one message with the
member's keystore, like ``caracol member`` (the log is folded first and
what the process would ignore is refused in one line naming the flag);
the body's own process then decides the dispute, the response and the
determination (``caracol member vote/close``), and mandates the mediation
delegates (``caracol member mandate --resolution DISPUTE``). ``show`` and
``list`` read the node's view of a dispute; ``relay`` carries the parties'
logs to the higher body's node, which determines what they cannot settle.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from crdt.errors import CrdtError
from node import client as calls
from node.client import ClientError, NodeClient
from node.commands import member
from node.commands import member_actions as act
from node.commands.member_state import Refusal, body_id, node_url, resolve_id
from node.errors import NodeError
from protocol import kinds
from protocol.assembly import SubjectKind
from protocol.errors import ProtocolError


def _hex32(text: str, flag: str) -> bytes:
    try:
        b = bytes.fromhex(text)
    except ValueError:
        b = b""
    if len(b) != 32:
        raise Refusal(f"{flag}: a body or message id is 64 hex digits, not {text!r}")
    return b


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="dispute_command", required=True, metavar="ACTION")
    r = sub.add_parser("raise", help="move that this body raise a dispute with another body")
    member._common(r)
    r.add_argument("--respondent", required=True, help="the other body's id (hex)")
    r.add_argument("--matter", required=True, help="what the dispute is about")
    r.add_argument("--resolution", help="the respondent's resolution it contests (id, hex)")
    a = sub.add_parser("respond", help="move that this body take up a dispute raised against it")
    member._common(a)
    a.add_argument("--dispute", required=True, help="the dispute's id (hex)")
    a.add_argument("--claimant", required=True, help="the body that raised it (hex)")
    a.add_argument("--position", default="", help="this body's position")
    m = sub.add_parser("mediate", help="a delegate records the mediation: settled or unresolved")
    member._common(m)
    m.add_argument("--dispute", required=True, help="the dispute's id (hex or prefix)")
    m.add_argument("--mandate", help="your mandate for it (default: your mandate in force)")
    g = m.add_mutually_exclusive_group(required=True)
    g.add_argument("--settled", metavar="TERMS", help="settled on these terms")
    g.add_argument("--unresolved", action="store_true", help="the parties could not agree")
    e = sub.add_parser("escalate", help="move the higher body's determination of a dispute")
    member._common(e)
    e.add_argument("--dispute", required=True, help="the dispute's id (hex)")
    e.add_argument("--text", required=True, help="the determination moved")
    s = sub.add_parser("show", help="a dispute's state and minutes")
    s.add_argument("dispute", help="the dispute's id (hex)")
    s.add_argument("--node")
    s.add_argument("--body", help="the body whose view (default $CARACOL_BODY)")
    s.add_argument("--json", action="store_true")
    li = sub.add_parser("list", help="the disputes a body takes part in or determines")
    li.add_argument("--node")
    li.add_argument("--body")
    y = sub.add_parser("relay", help="carry the parties' logs to the higher body's node")
    y.add_argument("--from", dest="source", required=True, help="a party's node URL")
    y.add_argument("--dispute", required=True, help="the dispute's id (hex)")
    y.add_argument("--to", required=True, help="the higher body's node URL")


# --- builders (checked against the folded log, like caracol member) ----------


def raise_dispute(ctx: act.Ctx) -> kinds.Payload:
    a, args = ctx.a, ctx.args
    respondent = _hex32(args.respondent, "--respondent")
    if respondent == a.body_id:
        raise Refusal("--respondent: a body cannot raise a dispute with itself")
    if a.body_kind == kinds.BodyKind.COLLECTIVE:
        raise Refusal("the Collective has no body above it to settle a dispute")
    if a.parent is None:
        raise Refusal("this body names no higher body (its genesis has no parent) to settle it")
    resolution = _hex32(args.resolution, "--resolution") if args.resolution else None
    return kinds.Dispute(respondent, args.matter, resolution)


def respond(ctx: act.Ctx) -> kinds.Payload:
    claimant = _hex32(ctx.args.claimant, "--claimant")
    if claimant == ctx.a.body_id:
        raise Refusal("--claimant: a body does not answer its own dispute")
    if ctx.a.parent is None:
        raise Refusal("this body names no higher body (its genesis has no parent) to settle it")
    return kinds.DisputeResponse(claimant, _hex32(ctx.args.dispute, "--dispute"), ctx.args.position)


def mediate(ctx: act.Ctx) -> kinds.Payload:
    a, args = ctx.a, ctx.args
    named = {
        s.id: s.id if s.kind == SubjectKind.DISPUTE else s.payload.dispute
        for s in a.subjects.values()
        if s.kind in (SubjectKind.DISPUTE, SubjectKind.RESPONSE)
    }
    dispute = resolve_id(args.dispute, set(named.values()), "--dispute", "dispute")
    under = {sid for sid, d in named.items() if d == dispute}
    if not under:
        raise Refusal("--dispute: this body neither raised nor answered that dispute")
    mine = [
        m
        for m in a.mandates(ctx.now)
        if m.resolution in under
        and m.status == "active"
        and a.membership.identity_of(m.delegate) == ctx.identity
    ]
    if args.mandate:
        mid = resolve_id(args.mandate, [m.id for m in a.mandates(ctx.now)], "--mandate", "mandate")
        chosen = next((m for m in mine if m.id == mid), None)
        if chosen is None:
            raise Refusal("--mandate: that is not a mandate in force naming you for this dispute")
    elif not mine:
        raise Refusal(
            "you hold no mandate in force for this dispute (the body elects its delegates "
            "with caracol member mandate --resolution on the carried dispute or response)"
        )
    else:
        chosen = mine[0]
    if args.settled is not None:
        if not args.settled.strip():
            raise Refusal("--settled: state the terms settled on")
        return kinds.Mediation(dispute, chosen.id, kinds.MediationOutcome.SETTLED, args.settled)
    return kinds.Mediation(dispute, chosen.id, kinds.MediationOutcome.UNRESOLVED, "")


def escalate(ctx: act.Ctx) -> kinds.Payload:
    state: dict[str, Any] = ctx.args.state
    if state["status"] not in ("unresolved", "escalated"):
        raise Refusal(
            f"--dispute: the dispute is {state['status']}, not unresolved: the parties mediate "
            "first, and the higher body determines what they cannot settle"
        )
    higher = state.get("higher") or {}
    if higher.get("body") != ctx.a.body_id.hex():
        raise Refusal("--body: this body is not the parties' higher body")
    return kinds.Escalation(
        bytes.fromhex(state["claimant"]["body"]),
        bytes.fromhex(state["dispute"]),
        bytes.fromhex(state["respondent"]["body"]),
        ctx.args.text,
    )


BUILDERS = {"raise": raise_dispute, "respond": respond, "mediate": mediate, "escalate": escalate}


# --- running ------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    try:
        if args.dispute_command in BUILDERS:
            if args.dispute_command == "escalate":
                args.state = _state(args.node, args.body, args.dispute)
            return member._act(args, BUILDERS[args.dispute_command])
        if args.dispute_command == "show":
            return _show(args)
        if args.dispute_command == "list":
            return _list(args)
        return _relay(args)
    except (NodeError, ProtocolError, CrdtError, ValueError) as exc:
        print(f"caracol dispute {args.dispute_command}: {exc}", file=sys.stderr)
        return 1


def _state(node: str | None, body: str | None, dispute: str) -> dict[str, Any]:
    client = NodeClient(node_url(node))
    b = body_id(client, body)
    d = _hex32(dispute, "--dispute")
    try:
        return dict(client.get(f"/v0/bodies/{b.hex()}/disputes/{d.hex()}"))
    except ClientError as exc:
        raise Refusal(f"--dispute: {exc}") from None


def _show(args: argparse.Namespace) -> int:
    doc = _state(args.node, args.body, args.dispute)
    if args.json:
        print(json.dumps(doc))
    else:
        print("\n".join(doc["minutes"]))
    return 0


def _list(args: argparse.Namespace) -> int:
    client = NodeClient(node_url(args.node))
    b = body_id(client, args.body)
    for d in client.get(f"/v0/bodies/{b.hex()}/disputes")["disputes"]:
        names = (d.get("claimant") or {}).get("name"), (d.get("respondent") or {}).get("name")
        print(f"{d['dispute']}  {d['status']:<13} {names[0]} with {names[1]}")
    return 0


def _relay(args: argparse.Namespace) -> int:
    d = _hex32(args.dispute, "--dispute")
    path = f"/v0/disputes/{d.hex()}/bundle"
    data = NodeClient(args.source, timeout=60).do(calls.get(path, binary=True))
    doc = NodeClient(args.to, timeout=60).do(calls.post_bytes("/v0/disputes", data))
    mine = next((x for x in doc["disputes"] if x["dispute"] == d.hex()), None)
    status = mine["status"] if mine else "not known there yet (relay the claimant's log)"
    print(f"relayed {len(doc['bodies'])} log(s) to {args.to}: the dispute is {status}")
    return 0
