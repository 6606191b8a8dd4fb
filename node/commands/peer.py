"""``caracol peer add|list|remove``: the peers in the config file (restart
the node to apply)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from node.config import Peer, is_url, load, save, with_peer, without_peer
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
            if not is_url(args.url):
                raise NodeError(
                    f"URL {args.url!r} is not a node's address; give it as http://HOST:PORT "
                    "(e.g. http://192.0.2.10:8470)"
                )
            try:
                key_from_text(args.node_key)
            except BadKeyText as exc:
                raise NodeError(f"NODE_KEY {args.node_key!r}: {exc}") from None
            config = with_peer(config, Peer(args.name, args.url.rstrip("/"), args.node_key))
        else:
            config = without_peer(config, args.name)
        save(args.config, config)  # only a config that reads back is written
        print(f"{args.peer_command}: {args.name} (restart the node to apply)")
        return 0
    except (NodeError, BadKeyText) as exc:
        print(f"caracol peer: {exc}", file=sys.stderr)
        return 1
