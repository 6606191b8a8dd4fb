"""The text CRDT replaying a real editing trace, beside a plain Python list.

The trace (automerge-paper: 259,778 single-character edits) is replayed as
local edits through ``crdt.text.TextDocument``; consecutive typing forms one
message (a member's device batches keystrokes into one TEXT_EDIT), each
delete its own. The final text must equal the trace's. The operations are
then applied to a second replica as remote messages (``remote_ops_per_s``)
and must give the same text and state. ``baseline_ops_per_s`` is a plain
Python list doing the same splices, in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from crdt.text import TextDocument

DEFAULT_TRACE = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "data"
    / "editing-traces"
    / "automerge-paper.json.gz"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trace", type=Path, default=DEFAULT_TRACE, help=f"trace file (default {DEFAULT_TRACE})"
    )
    parser.add_argument("--limit", type=int, default=0, help="replay only the first N edits")


def load(path: Path, limit: int = 0) -> tuple[list[tuple[int, int, str]], str, str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    patches = [(p[0], p[1], p[2]) for t in doc["txns"] for p in t["patches"]]
    if limit:
        patches = patches[:limit]
    return patches, doc.get("startContent", ""), doc["endContent"]


def baseline(patches: list[tuple[int, int, str]], start: str) -> tuple[str, float]:
    t = time.perf_counter()
    doc = list(start)
    for pos, ndel, ins in patches:
        if ndel:
            del doc[pos : pos + ndel]
        if ins:
            doc[pos:pos] = ins
    return "".join(doc), time.perf_counter() - t


def _mid(n: int) -> bytes:
    return hashlib.sha256(n.to_bytes(8, "little")).digest()


def crdt_local(
    patches: list[tuple[int, int, str]], start: str
) -> tuple[TextDocument, list[tuple[bytes, list[Any]]], float]:
    """Replay as local edits; returns the document and the messages made.

    A burst of typing becomes ONE insert operation carrying the whole run
    (a signed message cannot name its own id, so it cannot chain per-key
    operations on itself); each delete is its own message."""
    t = time.perf_counter()
    root = _mid(0)
    doc = TextDocument(root, start)
    messages: list[tuple[bytes, list[Any]]] = []
    counter = 0
    burst_end = -1  # visible index right after the current burst
    msg = root
    offset = 0
    burst: list[Any] | None = None  # [left, right, text] of the open burst
    for pos, ndel, ins in patches:
        if ndel:
            dels = doc.local_delete(pos, ndel)
            counter += 1
            messages.append((_mid(counter), dels))
            burst_end = -1
        if ins:
            if burst is None or pos != burst_end or offset + len(ins) > 4096:
                counter += 1
                msg, offset = _mid(counter), 0
                op = doc.local_insert(pos, ins, msg, offset)
                burst = [op[1], op[2], ins]
                messages.append((msg, [burst]))
            else:
                doc.local_insert(pos, ins, msg, offset)
                burst[2] += ins
            offset += len(ins)
            burst_end = pos + len(ins)
    messages = [
        (m, [(0, b[0], b[1], b[2]) if isinstance(b, list) else b for b in ops])
        for m, ops in messages
    ]
    return doc, messages, time.perf_counter() - t


def crdt_remote(messages: list[tuple[bytes, list[Any]]], start: str) -> tuple[TextDocument, float]:
    t = time.perf_counter()
    doc = TextDocument(_mid(0), start)
    for mid, ops in messages:
        doc.apply(mid, ops)
    return doc, time.perf_counter() - t


def measure(args: argparse.Namespace) -> dict[str, Any]:
    if not args.trace.exists():
        print(f"caracol bench text: no trace at {args.trace} (pass --trace PATH)", file=sys.stderr)
        raise SystemExit(2)
    patches, start, end = load(args.trace, args.limit)
    base_text, base_s = baseline(patches, start)
    doc, messages, local_s = crdt_local(patches, start)
    remote, remote_s = crdt_remote(messages, start)
    n = len(patches)
    expected = end if not args.limit else base_text
    state = doc.state_bytes()
    return {
        "ops": n,
        "ops_per_s": round(n / local_s),
        "baseline_ops_per_s": round(n / base_s),
        "ratio": round((n / base_s) / (n / local_s), 2),
        "remote_ops_per_s": round(n / remote_s),
        "final_text_ok": doc.text() == expected and base_text == expected,
        "remote_text_ok": remote.text() == expected and remote.state_bytes() == state,
        "messages": len(messages),
        "runs": sum(1 for _ in doc.runs()),
        "state_bytes": len(state),
        "text_bytes": len(expected.encode()),
    }
