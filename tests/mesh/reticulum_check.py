"""The transport conformance suite over a real Reticulum link (a process).

    python tests/mesh/reticulum_check.py --dir D --connect PORT --peer HASH

Connects to an echo peer (``python -m mesh.reticulum_node --echo``), runs
``check_transport(t, t)`` under trio (what it sends comes back over the
same link), and prints ``conformance ok`` and the link statistics; a
failure prints its traceback and exits 1.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository

from mesh.reticulum import ReticulumTransport, start, write_config
from mesh.testing import check_transport


async def main(args: argparse.Namespace) -> int:
    write_config(Path(args.dir), connect_port=args.connect)
    start(Path(args.dir))
    transport = await ReticulumTransport.connect(bytes.fromhex(args.peer), timeout=30)
    try:
        await check_transport(transport, transport)
    except BaseException:
        traceback.print_exc()
        return 1
    s = transport.statistics()
    print(
        f"conformance ok frames_sent {s.frames_sent} frames_received {s.frames_received} "
        f"bytes_sent {s.bytes_sent} dropped {s.dropped} rssi {s.rssi_dbm} snr {s.snr_db}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--connect", type=int, required=True)
    p.add_argument("--peer", required=True)
    sys.exit(trio.run(main, p.parse_args()))
