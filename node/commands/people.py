"""``caracol people``: the body's members with their display names, current
keys and where each name comes from (their own NAME, the founding, an
admission); ``--all`` adds people named but no longer members. Reads
``GET /v0/bodies/{body}/people``."""

from __future__ import annotations

import argparse
import json
import sys

from node.client import NodeClient
from node.errors import NodeError
from protocol.errors import ProtocolError
from protocol.keys import key_to_text

from .member_state import body_id, node_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", help="the node's URL (default $CARACOL_NODE)")
    parser.add_argument("--body", help="body id (default $CARACOL_BODY or the node's only body)")
    parser.add_argument("--all", action="store_true", help="also people who are not members")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    try:
        client = NodeClient(node_url(args.node))
        body = body_id(client, args.body).hex()
        people = client.get(f"/v0/bodies/{body}/people")["people"]
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol people: {exc}", file=sys.stderr)
        return 1
    people = [p for p in people if args.all or p["member"]]
    if args.json:
        print(json.dumps({"people": people}, indent=1))
        return 0
    width = max([len(p["name"] or "") for p in people] + [4])
    for p in people:
        src = f"({p['name_source']})" if p["name_source"] else "(unnamed)"
        left = "" if p["member"] else "  not a member"
        key = key_to_text(bytes.fromhex(p["key"]))
        print(f"{(p['name'] or '—').ljust(width)}  {key}  {src}{left}")
    return 0
