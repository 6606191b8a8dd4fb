"""``caracol init``: create a node: its key, its config file, its data folder,
and either a new body (founded with a member's keystore) or the id of an
existing body to join through a peer."""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
import time
from pathlib import Path

from node import keyfile
from node.commands.flags import hex_id, key_texts
from node.commands.key import passphrase
from node.config import Config, Peer, check, is_url, save
from node.errors import ConfigError, NodeError
from node.ingest import Ingest
from node.nodekey import load_or_create_node_seed
from node.store import Store
from protocol import envelope, kinds
from protocol.errors import ProtocolError
from protocol.keys import key_from_text, key_to_text, public_key
from protocol.rules import from_params

from .member_actions import parse_params

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
    found.add_argument("--founder-name", default="", help="the founding member's display name")
    found.add_argument(
        "--founder",
        action="append",
        default=[],
        metavar="NAME=KEY",
        help="another founder by name and key (ck1…); repeatable",
    )
    found.add_argument(
        "--founders",
        default="",
        type=key_texts,
        help="other founders' keys (ck1…), comma separated",
    )
    found.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a constitution parameter (protocol/rules.py PARAMETERS), e.g. deadline=0; "
        "deadline or min_duration alone sets every stage's",
    )
    found.add_argument(
        "--parent", type=hex_id, help="parent body id (hex), e.g. the Municipality of a Community"
    )
    join = parser.add_argument_group("join an existing body")
    join.add_argument(
        "--join", metavar="BODY_ID", type=hex_id, help="hex id of a body to fetch from a peer"
    )
    join.add_argument(
        "--peer", action="append", default=[], metavar="NAME=URL=KEY", help="a peer (repeatable)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol init: {exc}", file=sys.stderr)
        return 1


def _named_founders(args: argparse.Namespace) -> list[tuple[str, bytes]]:
    out = []
    for spec in args.founder:
        display, sep, key = spec.rpartition("=")
        if not sep or not display.strip():
            raise NodeError(f"--founder {spec!r}: expected NAME=KEY (KEY is ck1…)")
        try:
            out.append((display.strip(), key_from_text(key.strip())))
        except ProtocolError as exc:
            raise NodeError(f"--founder {spec!r}: {exc}") from None
    return out


def _is_host(host: str) -> bool:
    """An IP address or a host name (letters, digits, hyphens, dots)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return (
            re.fullmatch(r"(?!-)[A-Za-z0-9-]{1,63}(?:\.(?!-)[A-Za-z0-9-]{1,63})*\.?", host)
            is not None
        )
    return True


def _config(
    args: argparse.Namespace, data_dir: Path, bodies: tuple[str, ...], peers: list[Peer]
) -> Config:
    return Config(
        data_dir=data_dir.resolve(),
        listen_host=args.host,
        listen_port=args.port,
        node_name=args.name,
        bodies=bodies,
        peers=tuple(peers),
    )


def _run(args: argparse.Namespace) -> int:
    if args.config.exists():
        raise NodeError(f"{args.config} exists already; refusing to overwrite it")
    data_dir = args.data_dir or args.config.parent / f"{args.config.stem}-data"
    peers = [_peer(spec) for spec in args.peer]
    _check_listen(args)
    try:
        check(_config(args, data_dir, (), peers))  # nothing is made before it is known good
    except ConfigError as exc:
        raise NodeError(f"the config would not read back: {exc}") from None
    bodies: tuple[str, ...] = ()
    data_dir.mkdir(parents=True, exist_ok=True)
    _seed, node_key = load_or_create_node_seed(data_dir)
    if args.found:
        bodies = (_found(args, data_dir),)
    elif args.join:
        body = bytes.fromhex(args.join)
        if len(body) != 32:
            raise NodeError("--join takes a 64-hex-digit body id")
        if not peers:
            raise NodeError("--join needs at least one --peer to fetch the body from")
        bodies = (args.join.lower(),)
        print(f"will join body {args.join} from {', '.join(p.name for p in peers)}")
    save(args.config, _config(args, data_dir, bodies, peers))
    print(f"wrote {args.config}; node key {key_to_text(node_key)}")
    print(f"data folder {data_dir.resolve()} (back up its node.seed: the node's identity)")
    print(f"start it with: caracol run --config {args.config}")
    return 0


def _peer(spec: str) -> Peer:
    """A ``--peer NAME=URL=KEY``, checked."""
    try:
        name, url, key = spec.split("=", 2)
    except ValueError:
        raise NodeError(f"--peer {spec!r}: expected NAME=URL=KEY") from None
    if not is_url(url):
        raise NodeError(f"--peer {spec!r}: {url!r} is not a node's address (http://HOST:PORT)")
    try:
        key_from_text(key)
    except ProtocolError as exc:
        raise NodeError(f"--peer {spec!r}: {exc}") from None
    return Peer(name, url.rstrip("/"), key)


def _check_listen(args: argparse.Namespace) -> None:
    """``--name``, ``--host`` and ``--port`` make sense."""
    for flag, value in (("--name", args.name), ("--host", args.host)):
        if not value.strip():
            raise NodeError(f"{flag}: give a non-empty value")
    if not _is_host(args.host):
        raise NodeError(
            f"--host: {args.host!r} is not an address; give 0.0.0.0 (every interface, for the "
            "LAN), 127.0.0.1 (this machine only) or one of this machine's addresses"
        )
    if not 0 <= args.port <= 65535:
        raise NodeError(f"--port: {args.port} is not a port number (0..65535)")


def _found(args: argparse.Namespace, data_dir: Path) -> str:
    """Sign the genesis of ``--found`` (and the founders' names) with the
    founder's keystore and store them in the new node; the body id, hex."""
    if not args.founder_keystore:
        raise NodeError("--found needs --founder-keystore (the genesis is signed by a member)")
    seed = keyfile.read(args.founder_keystore, passphrase())
    named = _named_founders(args)
    founders = (
        {public_key(seed)}
        | {k for _, k in named}
        | {key_from_text(k) for k in args.founders.split(",") if k.strip()}
    )
    params = parse_params(args.param, "--param") if args.param else ()
    payload = kinds.Genesis(
        KINDS[args.kind],
        args.found,
        bytes.fromhex(args.parent) if args.parent else None,
        tuple(sorted(founders)),
        params,
        b"",
    )
    from_params(params)
    now = int(time.time())
    genesis = envelope.sign(seed, None, payload, seq=1, time=now)
    names = [(public_key(seed), args.founder_name)] if args.founder_name else []
    names += [(k, n) for n, k in named]
    intro, parent = [], genesis.id
    for seq, (key, display) in enumerate(names, start=2):
        env = envelope.sign(
            seed, genesis.body, kinds.Name(key, display), parents=[parent], seq=seq, time=now
        )
        intro.append(env.raw)
        parent = env.id
    with Store(data_dir / "caracol.sqlite3") as store:
        ingest = Ingest(store)
        ingest.found(genesis.raw, origin="init")
        for o in ingest.submit(genesis.body, intro, origin="init"):
            if o.status.value != "accepted":
                raise NodeError(f"a founder's name was refused: {o.reason}")
    print(f"founded {args.kind} {args.found!r}: body {genesis.body.hex()}")
    return genesis.body.hex()
