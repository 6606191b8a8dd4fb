"""Generate spec/vectors/text.json: text operations and the exact text they
produce in every listed causal delivery order (spec/text.md).
Run: .venv/bin/python spec/vectors/gen_text.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from crdt.text import TextDocument

OUT = Path(__file__).resolve().parent / "text.json"


def mid(tag: str) -> bytes:
    return hashlib.sha256(b"caracol text vectors " + tag.encode()).digest()


def pos_json(p: Any) -> Any:
    return None if p is None else [p[0].hex(), p[1]]


def ops_to_json(ops: list[Any]) -> list[Any]:
    out = []
    for op in ops:
        if op[0] == 0:
            out.append([0, pos_json(op[1]), pos_json(op[2]), op[3]])
        else:
            out.append([1, pos_json(op[1]), op[2]])
    return out


def _pos(p: Any) -> Any:
    return None if p is None else (bytes.fromhex(p[0]), p[1])


def ops_from_json(ops: list[Any]) -> list[Any]:
    return [(0, _pos(o[1]), _pos(o[2]), o[3]) if o[0] == 0 else (1, _pos(o[1]), o[2]) for o in ops]


def concurrent_case(
    tc: int, comment: str, initial: str, edits: list[tuple[str, str, int, str]]
) -> dict[str, Any]:
    """edits: (replica, tag, index, text) made concurrently on fresh copies."""
    root = mid("root")
    messages = []
    for _replica, tag, index, text in edits:
        d = TextDocument(root, initial)
        m = mid(tag)
        op = d.local_insert(index, text, m) if text else None
        ops = [op] if op else d.local_delete(index, 1)
        messages.append({"id": m.hex(), "ops": ops_to_json(ops)})
    orders = [list(range(len(messages))), list(range(len(messages)))[::-1]]
    d = TextDocument(root, initial)
    for msg in messages:
        d.apply(bytes.fromhex(msg["id"]), ops_from_json(msg["ops"]))
    return {
        "tcId": tc,
        "comment": comment,
        "root": root.hex(),
        "initial": initial,
        "messages": messages,
        "orders": orders,
        "text": d.text(),
    }


def build() -> dict[str, Any]:
    return {
        "description": "Caracol v0 text CRDT (spec/text.md); every order listed gives the text.",
        "tests": [
            concurrent_case(
                1,
                "two concurrent inserts at one place",
                "ab",
                [("x", "one", 1, "XX"), ("y", "two", 1, "yy")],
            ),
            concurrent_case(
                2,
                "three concurrent inserts at the start",
                "z",
                [("x", "a", 0, "1"), ("y", "b", 0, "2"), ("w", "c", 0, "3")],
            ),
            concurrent_case(
                3,
                "an insert concurrent with deleting its right neighbour",
                "abc",
                [("x", "ins", 2, "Q"), ("y", "del", 2, "")],
            ),
            concurrent_case(
                4, "inserts at both ends", "mid", [("x", "head", 0, ">>"), ("y", "tail", 3, "<<")]
            ),
        ],
    }


def render() -> str:
    return json.dumps(build(), indent=1) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == render() else 1)
    OUT.write_text(render())
    print(f"wrote {OUT}")
