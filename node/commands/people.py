"""``caracol people``: the body's members with their display names, current
keys and where each name comes from (their own NAME, the founding, an
admission); ``--all`` adds people named but no longer members."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from node.client import NodeClient
from node.errors import NodeError
from protocol.errors import ProtocolError
from protocol.keys import key_to_text

from .member_state import body_id, fold, node_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", help="the node's URL (default $CARACOL_NODE)")
    parser.add_argument("--body", help="body id (default $CARACOL_BODY or the node's only body)")
    parser.add_argument("--all", action="store_true", help="also people who are not members")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    try:
        client = NodeClient(node_url(args.node))
        a = fold(client, body_id(client, args.body))
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol people: {exc}", file=sys.stderr)
        return 1
    roster = a.roster()
    names = a.names.all()
    people: list[dict[str, Any]] = []
    for identity in sorted(set(roster) | (set(names) if args.all else set())):
        rec = names.get(identity)
        key = roster.key_of(identity) if identity in roster else identity
        people.append(
            {
                "identity": identity.hex(),
                "key": key_to_text(key),
                "name": rec.name if rec else None,
                "name_source": rec.source if rec else None,
                "member": identity in roster,
            }
        )
    if args.json:
        print(json.dumps({"people": people}, indent=1))
        return 0
    width = max([len(p["name"] or "") for p in people] + [4])
    for p in people:
        src = f"({p['name_source']})" if p["name_source"] else "(unnamed)"
        left = "" if p["member"] else "  not a member"
        print(f"{(p['name'] or '—').ljust(width)}  {p['key']}  {src}{left}")
    return 0
