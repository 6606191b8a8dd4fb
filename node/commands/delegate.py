"""``caracol delegate``: a delegate's mandates, and relaying verdicts upward.

When a Community's node and the higher body's node are peered and the
higher node holds the Community's body, gossip replicates the Community's
log and the higher node derives the verdict itself: nothing to relay. When
they are not peered, a delegate relays the verdict's full proof by hand:
over HTTP (``relay --to URL``) or as a file on a USB stick
(``relay --out FILE``, then ``deliver FILE --to URL`` on the other side).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from node import client as calls
from node.client import ClientError, NodeClient
from node.commands.flags import hex_id, key_text
from protocol.keys import key_from_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="delegate_command", required=True, metavar="ACTION")
    m = sub.add_parser("mandates", help="mandates of a body (or one delegate) with their status")
    m.add_argument("--node", required=True)
    m.add_argument("--body", required=True, type=hex_id)
    m.add_argument("--delegate", type=key_text, help="only this delegate's key (ck1…)")
    r = sub.add_parser("relay", help="fetch a Community Verdict's full proof and relay it")
    r.add_argument("--from", dest="source", required=True, help="the Community's node URL")
    r.add_argument("--body", required=True, type=hex_id, help="the Community's body id")
    r.add_argument("--higher", required=True, type=hex_id, help="the higher body's id")
    r.add_argument(
        "--resolution", required=True, type=hex_id, help="the resolution's id in the higher body"
    )
    dest = r.add_mutually_exclusive_group(required=True)
    dest.add_argument("--to", help="the higher body's node URL")
    dest.add_argument("--out", type=Path, help="write the proof to this file instead")
    d = sub.add_parser("deliver", help="deliver a proof file to the higher body's node")
    d.add_argument("file", type=Path)
    d.add_argument("--to", required=True)
    d.add_argument("--higher", required=True, type=hex_id)
    d.add_argument("--resolution", required=True, type=hex_id)


def _post_proof(url: str, higher: str, resolution: str, data: bytes) -> dict[str, str]:
    path = f"/v0/proofs?higher={higher}&resolution={resolution}"
    try:
        return dict(NodeClient(url, timeout=60).do(calls.post_bytes(path, data)))
    except ClientError as exc:
        if not exc.status:
            raise
        raise ClientError(f"refused: {exc}", status=exc.status) from None


def run(args: argparse.Namespace) -> int:
    try:
        if args.delegate_command == "mandates":
            doc = NodeClient(args.node).get(
                f"/v0/bodies/{args.body}/mandates?now={int(time.time())}"
            )
            wanted = key_from_text(args.delegate).hex() if args.delegate else None
            for m in doc["mandates"]:
                if wanted and wanted not in json.dumps(m):
                    continue
                print(json.dumps(m))
            return 0
        if args.delegate_command == "relay":
            path = f"/v0/bodies/{args.body}/proof?higher={args.higher}&resolution={args.resolution}"
            data = NodeClient(args.source, timeout=60).do(calls.get(path, binary=True))
            if args.out:
                args.out.write_bytes(data)
                print(f"wrote {len(data)} bytes to {args.out}")
                return 0
            result = _post_proof(args.to, args.higher, args.resolution, data)
        else:
            result = _post_proof(args.to, args.higher, args.resolution, args.file.read_bytes())
        print(f"delivered: community {result['community'][:16]}… {result['outcome']}")
        return 0
    except (ClientError, OSError, ValueError) as exc:
        print(f"caracol delegate: {exc}", file=sys.stderr)
        return 1
