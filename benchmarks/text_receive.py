"""The text CRDT on the receiver's path: one message per edit, checked then applied.

``caracol bench text`` batches a burst of typing into one message. Here every
edit of the trace is its own message, made with the two-step API a member's
device uses (``prepare_insert`` / ``local_delete``, then ``apply`` under the
message id), and a second replica receives each message as a node does: the
causal check of spec/text.md (``crdt.text_guard.check_ops``, with the
message's causal past being every earlier message, and the shape check
skipped as for an already decoded payload, or done as for untrusted ops),
then ``apply``. Message ids are per-edit counters packed into 32 bytes: this
measures the CRDT, not signing. ``baseline_ops_per_s`` is a plain Python
list doing the same splices in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.text import DEFAULT_TRACE, baseline, load
from crdt.text import TextDocument
from crdt.text_guard import check_ops

ROOT = bytes(32)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trace", type=Path, default=DEFAULT_TRACE, help=f"trace file (default {DEFAULT_TRACE})"
    )
    parser.add_argument("--limit", type=int, default=0, help="replay only the first N edits")


def author(
    patches: list[tuple[int, int, str]], start: str
) -> tuple[TextDocument, list[tuple[bytes, list[Any]]], float]:
    """Each edit becomes one message: deletes then the insert, in wire shape."""
    t = time.perf_counter()
    doc = TextDocument(ROOT, start)
    messages: list[tuple[bytes, list[Any]]] = []
    for n, (pos, ndel, ins) in enumerate(patches, 1):
        m = n.to_bytes(32, "big")
        ops: list[Any] = doc.local_delete(pos, ndel) if ndel else []
        if ins:
            op = doc.prepare_insert(pos, ins).op
            doc.apply(m, [op])
            ops.append(op)
        messages.append((m, ops))
    return doc, messages, time.perf_counter() - t


def receive(
    messages: list[tuple[bytes, list[Any]]], start: str, *, check: bool, shapes: bool
) -> tuple[TextDocument, float]:
    t = time.perf_counter()
    doc = TextDocument(ROOT, start)
    past: set[bytes] = set()
    for m, ops in messages:
        if check:
            check_ops(doc, m, ops, past, shapes=shapes)
        doc.apply(m, ops)
        past.add(m)
    return doc, time.perf_counter() - t


def measure(args: argparse.Namespace) -> dict[str, Any]:
    if not args.trace.exists():
        print(
            f"caracol bench text_receive: no trace at {args.trace} (pass --trace PATH)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    patches, start, end = load(args.trace, args.limit)
    base_text, base_s = baseline(patches, start)
    expected = end if not args.limit else base_text
    doc, messages, author_s = author(patches, start)
    state = doc.state_bytes()
    n = len(patches)
    result: dict[str, Any] = {
        "ops": n,
        "messages": len(messages),
        "baseline_ops_per_s": round(n / base_s),
        "author_ops_per_s": round(n / author_s),
    }
    ok = doc.text() == expected and base_text == expected
    for name, check, shapes in (
        ("apply", False, False),
        ("checked", True, False),
        ("checked_shapes", True, True),
    ):
        replica, seconds = receive(messages, start, check=check, shapes=shapes)
        result[f"{name}_ops_per_s"] = round(n / seconds)
        ok = ok and replica.text() == expected and replica.state_bytes() == state
    result["final_text_ok"] = ok
    result["state_bytes"] = len(state)
    return result
