"""``caracol init``: create a node: its key, its config file, its data folder,
and either a new body (founded with a member's keystore) or the id of an
existing body to join through a peer."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from node import keyfile
from node.commands.key import passphrase
from node.config import Config, Peer, render
from node.errors import NodeError
from node.ingest import Ingest
from node.nodekey import load_or_create_node_seed
from node.store import Store
from protocol import envelope, kinds
from protocol.errors import ProtocolError
from protocol.keys import key_from_text, key_to_text, public_key

KINDS = {k.name.lower(): k for k in kinds.BodyKind}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=Path("caracol.toml"), help="config file to write"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="data folder (default: beside the config)"
    )
    parser.add_argument("--name", default="caracol", help="this node's name")
    parser.add_argument("--port", type=int, default=8470)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for the LAN)"
    )
    found = parser.add_argument_group("found a new body")
    found.add_argument("--found", metavar="NAME", help="found a new body with this name")
    found.add_argument("--kind", choices=sorted(KINDS), default="community")
    found.add_argument(
        "--founder-keystore", type=Path, help="keystore of the founding member (signs the genesis)"
    )
    found.add_argument(
        "--founders", default="", help="other founders' keys (ck1…), comma separated"
    )
    found.add_argument(
        "--parent", help="parent body id (hex), e.g. the Municipality of a Community"
    )
    join = parser.add_argument_group("join an existing body")
    join.add_argument("--join", metavar="BODY_ID", help="hex id of a body to fetch from a peer")
    join.add_argument(
        "--peer", action="append", default=[], metavar="NAME=URL=KEY", help="a peer (repeatable)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol init: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.config.exists():
        raise NodeError(f"{args.config} exists already; refusing to overwrite it")
    data_dir = args.data_dir or args.config.parent / f"{args.config.stem}-data"
    peers = []
    for spec in args.peer:
        try:
            name, url, key = spec.split("=", 2)
        except ValueError:
            raise NodeError(f"--peer {spec!r}: expected NAME=URL=KEY") from None
        key_from_text(key)
        peers.append(Peer(name, url.rstrip("/"), key))
    bodies: tuple[str, ...] = ()
    data_dir.mkdir(parents=True, exist_ok=True)
    _seed, node_key = load_or_create_node_seed(data_dir)
    if args.found:
        if not args.founder_keystore:
            raise NodeError("--found needs --founder-keystore (the genesis is signed by a member)")
        seed = keyfile.read(args.founder_keystore, passphrase())
        founders = {public_key(seed)} | {
            key_from_text(k) for k in args.founders.split(",") if k.strip()
        }
        payload = kinds.Genesis(
            KINDS[args.kind],
            args.found,
            bytes.fromhex(args.parent) if args.parent else None,
            tuple(sorted(founders)),
            (),
            b"",
        )
        genesis = envelope.sign(seed, None, payload, seq=1, time=int(time.time()))
        with Store(data_dir / "caracol.sqlite3") as store:
            Ingest(store).found(genesis.raw, origin="init")
        bodies = (genesis.body.hex(),)
        print(f"founded {args.kind} {args.found!r}: body {genesis.body.hex()}")
    elif args.join:
        body = bytes.fromhex(args.join)
        if len(body) != 32:
            raise NodeError("--join takes a 64-hex-digit body id")
        if not peers:
            raise NodeError("--join needs at least one --peer to fetch the body from")
        bodies = (args.join.lower(),)
        print(f"will join body {args.join} from {', '.join(p.name for p in peers)}")
    config = Config(
        data_dir=data_dir.resolve(),
        listen_host=args.host,
        listen_port=args.port,
        node_name=args.name,
        bodies=bodies,
        peers=tuple(peers),
    )
    args.config.write_text(render(config))
    print(f"wrote {args.config}; node key {key_to_text(node_key)}")
    print(f"start it with: caracol run --config {args.config}")
    return 0
