"""``caracol import FILE``: add a signed log file's messages to a node.

Every message is verified and inserted through the node's one ingest path
(``Ingest.submit``), in batches, with progress; a rejected message is
reported with its reason and the rest still imported. The body is founded
from the file's genesis if the node does not hold it yet. When a node runs
on the data folder the messages go through its API instead (``node.writer``:
one writer per store), live at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from node.commands.verify import read_log_file
from node.config import load
from node.errors import NodeError
from node.writer import deliver
from protocol.errors import ProtocolError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--config", type=Path, default=Path("caracol.toml"))


def run(args: argparse.Namespace) -> int:
    try:
        bundle, b = read_log_file(args.file.read_bytes())  # what caracol verify reads
        if b is not None:
            heads = ", ".join(h.hex()[:12] for h in b.heads)
            print(f"bundle of {len(b.messages)} messages; its writer's heads: {heads}")
        config = load(args.config)
        done = deliver(
            config,
            bundle.community,
            list(bundle.messages),
            origin=f"import {args.file.name}",
            no_genesis="the file does not start with the body's genesis and the node lacks "
            f"body {bundle.community.hex()[:16]}…",
            say=lambda line: print(line, file=sys.stderr),
        )
        summary = ", ".join(f"{n} {k}" for k, n in sorted(done.counts.items()))
        print(f"imported body {bundle.community.hex()[:16]}…: {summary}")
        for p in done.problems[:20]:
            print(f"  rejected {p}")
        return 0 if not done.problems else 1
    except (NodeError, ProtocolError, OSError) as exc:
        print(f"caracol import: {exc}", file=sys.stderr)
        return 1
