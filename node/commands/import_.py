"""``caracol import FILE``: add a signed log file's messages to a node.

Every message is verified and inserted through the node's one ingest path
(``Ingest.submit``), in batches, with progress; a rejected message is
reported with its reason and the rest still imported. The body is founded
from the file's genesis if the node does not hold it yet.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from mesh.errors import MeshError
from node.commands.verify import read_log_file
from node.config import load
from node.errors import NodeError
from node.ingest import Ingest, Status
from node.store import Store
from protocol.errors import ProtocolError

BATCH = 500


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
        config.data_dir.mkdir(parents=True, exist_ok=True)
        counts: Counter[str] = Counter()
        problems: list[str] = []
        with Store(config.database) as store:
            ingest = Ingest(store)
            ingest.load()
            messages = list(bundle.messages)
            if bundle.community not in ingest.bodies:
                if not messages:
                    raise NodeError("the file holds no messages and the node lacks the body")
                ingest.found(messages[0], origin=f"import {args.file.name}")
                messages = messages[1:]
                counts["accepted"] += 1
            for i in range(0, len(messages), BATCH):
                for o in ingest.submit(
                    bundle.community, messages[i : i + BATCH], origin=f"import {args.file.name}"
                ):
                    counts[o.status.value] += 1
                    if o.status is Status.REJECTED:
                        problems.append(f"{o.code}: {o.reason}")
                print(
                    f"  {min(i + BATCH, len(messages))} of {len(messages)} messages",
                    file=sys.stderr,
                )
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        print(f"imported body {bundle.community.hex()[:16]}…: {summary}")
        for p in problems[:20]:
            print(f"  rejected {p}")
        return 0 if not problems else 1
    except (NodeError, ProtocolError, MeshError, OSError) as exc:
        print(f"caracol import: {exc}", file=sys.stderr)
        return 1
