"""Set reconciliation: bytes and round trips against the size of the difference.

Two in-memory sessions (no sockets) reconcile two sets of N message ids that
differ by d ids, split evenly between the sides. ``bytes`` counts every frame
in both directions; ``diff_bytes`` is the size of the differing ids themselves
(d x 32) and ``diff_messages_bytes`` the size of the differing messages at a
typical 213 bytes each. Rows with ``frame`` 200 use LoRa-sized frames.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from crdt.reconcile import HaveIds, Session, SortedIds, reconcile_pair

VOTE_BYTES = 213


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=100_000, help="ids on each side (default 100000)")
    parser.add_argument("--d", default="1,10,100,1000", help="differences (default 1,10,100,1000)")
    parser.add_argument("--frames", default="65536,200", help="frame sizes (default 65536,200)")
    parser.add_argument("--seed", type=int, default=1)


def run_one(common: list[bytes], d: int, frame: int, rng: random.Random) -> dict[str, Any]:
    only_a = [rng.randbytes(32) for _ in range(d // 2)]
    only_b = [rng.randbytes(32) for _ in range(d - d // 2)]
    a = Session(SortedIds(common + only_a), max_frame=frame)
    b = Session(SortedIds(common + only_b), max_frame=frame)
    started = time.perf_counter()
    events_a, events_b = reconcile_pair(a, b)
    seconds = time.perf_counter() - started
    sent_a = {i for e in events_a if isinstance(e, HaveIds) for i in e.ids}
    sent_b = {i for e in events_b if isinstance(e, HaveIds) for i in e.ids}
    return {
        "n": len(common),
        "d": d,
        "frame": frame,
        "bytes": a.bytes_sent + b.bytes_sent,
        "round_trips": max(a.round_trips, b.round_trips),
        "diff_bytes": d * 32,
        "diff_messages_bytes": d * VOTE_BYTES,
        "exact": sent_a == set(only_a) and sent_b == set(only_b),
        "seconds": round(seconds, 3),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    common = [rng.randbytes(32) for _ in range(args.n)]
    rows = []
    for frame in (int(f) for f in args.frames.split(",")):
        for d in (int(x) for x in args.d.split(",")):
            rows.append(run_one(common, d, frame, rng))
    return {"rows": rows}
