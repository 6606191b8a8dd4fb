"""``caracol member``: a member's own key, and signing messages with it.

The member's secret stays in their keystore on this machine; the node only
receives the finished, signed envelope and cannot forge anything.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from node import keyfile
from node.client import NodeClient
from node.commands.key import passphrase
from node.errors import NodeError
from protocol import kinds
from protocol.errors import ProtocolError
from protocol.keys import key_to_text, public_key

CHOICES = {
    "for": kinds.Choice.FOR,
    "against": kinds.Choice.AGAINST,
    "abstain": kinds.Choice.ABSTAIN,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="member_command", required=True, metavar="ACTION")
    new = sub.add_parser("new", help="create a member key in an encrypted keystore")
    new.add_argument("--keystore", type=Path, required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--keystore", type=Path, required=True)
        p.add_argument("--node", required=True, help="the node's URL")
        p.add_argument("--body", required=True, help="body id (hex)")

    p = sub.add_parser("propose", help="post a proposal")
    common(p)
    p.add_argument("--title", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--scope", default="")
    p = sub.add_parser("comment", help="comment on a proposal")
    common(p)
    p.add_argument("--proposal", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--stance", choices=["neutral", "support", "oppose"], default="neutral")
    p = sub.add_parser(
        "vote", help="vote on a proposal's current stage (or an admission, a mandate)"
    )
    common(p)
    p.add_argument("--subject", required=True)
    p.add_argument("--choice", choices=sorted(CHOICES), required=True)
    p = sub.add_parser("grievance", help="file a concern under a category")
    common(p)
    p.add_argument("--proposal", required=True)
    p.add_argument("--category", required=True)
    p.add_argument("--deal-breaker", action="store_true")
    p.add_argument("--text", default="")
    p = sub.add_parser("amend", help="propose a friendly amendment: insert text at a position")
    common(p)
    p.add_argument("--proposal", required=True)
    p.add_argument("--category", required=True)
    p.add_argument("--rationale", default="")
    p.add_argument("--ops", required=True, help="the text operations as JSON (see spec/kinds.md)")
    p = sub.add_parser("recall", help="vote to recall a delegate's mandate")
    common(p)
    p.add_argument("--mandate", required=True)
    p.add_argument("--choice", choices=sorted(CHOICES), default="for")
    p = sub.add_parser(
        "close", help="close the current stage (facilitator, or co-sign after the deadline)"
    )
    common(p)
    p.add_argument("--subject", required=True)
    p.add_argument("--stage", type=int, required=True)


def _pos(p: list[object] | None) -> tuple[bytes, int] | None:
    return None if p is None else (bytes.fromhex(str(p[0])), int(str(p[1])))


def _ops(text: str) -> tuple[tuple[object, ...], ...]:
    out: list[tuple[object, ...]] = []
    for op in json.loads(text):
        if op[0] == 0:
            out.append((0, _pos(op[1]), _pos(op[2]), op[3]))
        else:
            out.append((1, _pos(op[1]), op[2]))
    return tuple(out)


def payload_of(args: argparse.Namespace) -> kinds.Payload:
    h = bytes.fromhex
    c = args.member_command
    if c == "propose":
        return kinds.Proposal(args.title, args.text, args.scope, None, None)
    if c == "comment":
        return kinds.Comment(h(args.proposal), None, kinds.Stance[args.stance.upper()], args.text)
    if c == "vote":
        return kinds.Vote(h(args.subject), CHOICES[args.choice])
    if c == "grievance":
        return kinds.Grievance(h(args.proposal), args.category, args.deal_breaker, args.text)
    if c == "amend":
        return kinds.Amendment(h(args.proposal), args.category, args.rationale, _ops(args.ops))
    if c == "recall":
        return kinds.RecallVote(h(args.mandate), CHOICES[args.choice])
    if c == "close":
        return kinds.Close(h(args.subject), args.stage)
    raise NodeError(f"unknown action {c}")


def run(args: argparse.Namespace) -> int:
    try:
        if args.member_command == "new":
            seed = os.urandom(32)
            keyfile.write(args.keystore, seed, passphrase(confirm=True))
            print(key_to_text(public_key(seed)))
            return 0
        payload = payload_of(args)
        seed = keyfile.read(args.keystore, passphrase())
        env, result = NodeClient(args.node).sign_and_submit(
            seed, bytes.fromhex(args.body), payload, time=int(time.time())
        )
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol member: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"id": env.id.hex(), **result}))
    return 0 if result["status"] in ("accepted", "pending", "duplicate") else 1
