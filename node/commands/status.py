"""``caracol status``: what a node holds, from its database (offline) or
from a running node (``--node URL``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from node.client import NodeClient
from node.config import load
from node.errors import NodeError
from node.ingest import Ingest
from node.nodekey import load_or_create_node_seed
from node.store import Store
from protocol.keys import key_to_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("caracol.toml"))
    parser.add_argument("--node", help="ask a running node at this URL instead")
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    try:
        doc = _online(args.node) if args.node else _offline(args.config)
    except NodeError as exc:
        print(f"caracol status: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    print(f"node {doc['name']}  key {doc['node_key']}")
    for b in doc["bodies"]:
        heads = len(b["heads"])
        print(f"  body {b['id'][:16]}… {b['name']!r}: {b['messages']} messages, {heads} heads")
    for p in doc.get("peers", []):
        print(f"  peer {p['name']} {p['url']}")
    return 0


def _online(url: str) -> dict[str, Any]:
    client = NodeClient(url)
    info = client.node()
    return {"name": info["name"], "node_key": info["node_key"], "bodies": client.bodies()}


def _offline(config_path: Path) -> dict[str, Any]:
    config = load(config_path)
    _seed, key = load_or_create_node_seed(config.data_dir)
    with Store(config.database, writer=False) as store:
        ingest = Ingest(store)
        ingest.load()
        bodies = [
            {
                "id": b.id.hex(),
                "name": getattr(b.log.get(b.id).payload, "name", ""),
                "messages": len(b.log),
                "heads": [h.hex() for h in b.log.heads()],
                "pending": len(b.log.pending_ids()),
            }
            for b in ingest.bodies.values()
        ]
        rejected = len(store.rejections(limit=10_000))
    return {
        "name": config.node_name,
        "node_key": key_to_text(key),
        "bodies": bodies,
        "rejections": rejected,
        "peers": [{"name": p.name, "url": p.url, "node_key": p.node_key} for p in config.peers],
    }
