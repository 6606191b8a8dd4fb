"""``caracol peer add|list|remove``: the peers in the config file (restart
the node to apply)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from node.config import Peer, load, render, with_peer, without_peer
from node.errors import NodeError
from protocol.errors import BadKeyText
from protocol.keys import key_from_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="peer_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="pin a peer by its node key")
    add.add_argument("name")
    add.add_argument("url")
    add.add_argument("node_key", help="the peer's node key (ck1…), as `caracol status` shows it")
    listing = sub.add_parser("list", help="list peers")
    rm = sub.add_parser("remove", help="remove a peer")
    rm.add_argument("name")
    for p in (add, listing, rm):
        p.add_argument("--config", type=Path, default=Path("caracol.toml"))


def run(args: argparse.Namespace) -> int:
    try:
        config = load(args.config)
        if args.peer_command == "list":
            for p in config.peers:
                print(f"{p.name}\t{p.url}\t{p.node_key}")
            return 0
        if args.peer_command == "add":
            key_from_text(args.node_key)
            config = with_peer(config, Peer(args.name, args.url.rstrip("/"), args.node_key))
        else:
            config = without_peer(config, args.name)
        args.config.write_text(render(config))
        print(f"{args.peer_command}: {args.name} (restart the node to apply)")
        return 0
    except (NodeError, BadKeyText) as exc:
        print(f"caracol peer: {exc}", file=sys.stderr)
        return 1
