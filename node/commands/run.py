"""``caracol run``: serve the node until Ctrl-C (or SIGTERM from systemd)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from node.config import load
from node.errors import NodeError
from node.logs import setup_logging
from node.runtime import NodeRuntime
from protocol.keys import key_to_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("caracol.toml"))


async def serve(config_path: Path) -> None:
    config = load(config_path)
    setup_logging(config.log_level, config.log_format)
    node = NodeRuntime(config)
    await node.start()
    assert node.ingest is not None
    print(
        f"caracol node {config.node_name!r} serving {node.url} "
        f"(node key {key_to_text(node.node_key)}, {len(node.ingest.bodies)} bodies, "
        f"started in {node.startup_seconds:.2f} s)",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        print("stopping…", flush=True)
        await node.stop()


def run(args: argparse.Namespace) -> int:
    try:
        asyncio.run(serve(args.config))
    except NodeError as exc:
        print(f"caracol run: {exc}", file=sys.stderr)
        return 1
    return 0
