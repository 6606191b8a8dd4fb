"""``caracol export``: write a body's signed log to a file.

The file is the canonical array ``[0, body id, [message, ...]]`` in replay
order (the form ``caracol verify`` and ``caracol import`` read;
spec/federation.md); with ``--bundle`` a sneakernet bundle (spec/sneakernet.md)
that also records this node's heads and an integrity digest. With ``--since
HEADS`` only what a receiver with those heads lacks is written (everything not
in their causal past), for an incremental copy on a USB stick;
``--since-bundle FILE`` takes those heads from the last bundle the receiver
wrote (the courier brings it back). Every message stays individually signed,
so nothing in the file needs to be trusted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from node.commands.flags import hex_id, hex_ids
from node.config import load
from node.errors import NodeError
from node.ingest import Ingest
from node.store import Store
from protocol.errors import ProtocolError
from protocol.sneakernet import Bundle
from protocol.verdict import FullProof


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("caracol.toml"))
    parser.add_argument("--body", required=True, type=hex_id, help="body id (hex)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--since", default="", type=hex_ids, help="the receiver's heads (hex ids, comma separated)"
    )
    parser.add_argument(
        "--since-bundle",
        type=Path,
        help="take the receiver's heads from a bundle the receiver wrote",
    )
    parser.add_argument(
        "--bundle", action="store_true", help="a sneakernet bundle (heads and an integrity digest)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        config = load(args.config)
        body_id = bytes.fromhex(args.body)
        with Store(config.database, writer=False) as store:
            ingest = Ingest(store)
            ingest.load()
            log = ingest.body(body_id).log
            known: frozenset[bytes] = frozenset()
            heads = [bytes.fromhex(h) for h in args.since.split(",") if h.strip()]
            if args.since_bundle is not None:
                theirs = Bundle.decode_untrusted(args.since_bundle.read_bytes())
                if theirs.body != body_id:
                    raise NodeError(
                        f"{args.since_bundle} is a bundle of body {theirs.body.hex()[:16]}…, "
                        f"not {body_id.hex()[:16]}…"
                    )
                heads += theirs.heads
            if heads:
                held = [h for h in heads if h in log]
                known = log.causal_past_of_set(held)
            order = [m for m in log.order() if m not in known]
            raws = []
            for i, mid in enumerate(order, 1):
                raws.append(log.get(mid).raw)
                if i % 10_000 == 0:
                    print(f"  {i} of {len(order)} messages", file=sys.stderr)
        if args.bundle:
            data = Bundle(body_id, log.heads(), tuple(raws)).encode()
        else:
            data = FullProof(body_id, tuple(raws)).encode()
        args.out.write_bytes(data)
        what = f"{len(raws)} messages ({len(data)} bytes) of body {body_id.hex()[:16]}…"
        print(f"wrote {what} to {args.out}")
        return 0
    except (NodeError, ProtocolError, ValueError, OSError) as exc:
        print(f"caracol export: {exc}", file=sys.stderr)
        return 1
