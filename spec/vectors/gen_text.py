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
    messages: list[dict[str, Any]] = []
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


Step = tuple[
    int, str, Any, Any
]  # (replica, "ins" | "del" | "pull", index | replica, text | length)


def session_case(tc: int, comment: str, initial: str, steps: list[Step]) -> dict[str, Any]:
    """Members edit their own replicas, one message per step, and "pull"
    another replica's messages. Each message lists its causal past (indices
    of the messages its author had applied). Orders: replica by replica,
    the reverse, and round robin; all give the same text and state."""
    root = mid("root")
    n = 1 + max(s[0] for s in steps)
    docs = [TextDocument(root, initial) for _ in range(n)]
    seen: list[list[int]] = [[] for _ in range(n)]
    messages: list[dict[str, Any]] = []
    owner: list[int] = []
    raw: list[tuple[bytes, list[Any]]] = []
    for r, action, x, y in steps:
        if action == "pull":
            for i in seen[x]:
                if i not in seen[r]:
                    docs[r].apply(*raw[i])
                    seen[r].append(i)
            continue
        m = mid(f"{tc}/{len(messages)}")
        ops = [docs[r].local_insert(x, y, m)] if action == "ins" else docs[r].local_delete(x, y)
        messages.append({"id": m.hex(), "past": sorted(seen[r]), "ops": ops_to_json(ops)})
        raw.append((m, ops))
        owner.append(r)
        seen[r].append(len(messages) - 1)
    by_replica = [[i for i in range(len(messages)) if owner[i] == r] for r in range(n)]
    forwards = [i for rep in by_replica for i in rep]
    backwards = [i for rep in by_replica[::-1] for i in rep]
    orders = [_causal(messages, forwards), _causal(messages, backwards)]
    robin = [i for k in range(len(messages)) for rep in by_replica for i in rep[k : k + 1]]
    orders.append(_causal(messages, robin))
    results = set()
    for order in orders:
        d = TextDocument(root, initial)
        for i in order:
            d.apply(bytes.fromhex(messages[i]["id"]), ops_from_json(messages[i]["ops"]))
        results.add((d.text(), d.state_hash()))
    assert len(results) == 1, comment
    text, state = results.pop()
    return {
        "tcId": tc,
        "comment": comment,
        "root": root.hex(),
        "initial": initial,
        "messages": messages,
        "orders": [list(o) for o in dict.fromkeys(tuple(o) for o in orders)],
        "text": text,
        "state_sha256": state.hex(),
    }


def _causal(messages: list[dict[str, Any]], preferred: list[int]) -> list[int]:
    """``preferred``, with each message moved after its causal past."""
    out: list[int] = []
    pending = list(preferred)
    while pending:
        i = next(i for i in pending if set(messages[i]["past"]) <= set(out))
        out.append(i)
        pending.remove(i)
    return out


def typed(replica: int, word: str, at: int, backwards: bool = False) -> list[Step]:
    keys = word[::-1] if backwards else word
    return [(replica, "ins", at if backwards else at + k, ch) for k, ch in enumerate(keys)]


def rejected_case(
    tc: int, comment: str, initial: str, ops: list[Any], error: str, past: bool = True
) -> dict[str, Any]:
    """One message ``ops`` against ``initial`` plus one earlier message that
    inserted "xy" after its first character; ``past`` says whether that
    message is in the rejected one's causal past."""
    root = mid("root")
    d = TextDocument(root, initial)
    before = mid(f"{tc}/before")
    first = [d.local_insert(1, "xy", before)]
    return {
        "tcId": tc,
        "comment": comment,
        "root": root.hex(),
        "initial": initial,
        "applied": [{"id": before.hex(), "past": [], "ops": ops_to_json(first)}],
        "message": {"id": mid(f"{tc}/rejected").hex(), "past": [0] if past else [], "ops": ops},
        "error": error,
    }


def build() -> dict[str, Any]:
    root = mid("root").hex()
    before = [mid(f"{tc}/before").hex() for tc in range(100, 110)]
    return {
        "description": (
            "Caracol v0 text CRDT (spec/text.md). tests: every order listed gives the text"
            " (and, where given, the state hash: sha256 of the canonical state); every"
            " message passes the causal check against its past. rejected: after applying"
            " `applied`, the `message` fails with `error` and changes nothing."
        ),
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
            session_case(
                5,
                "two members type a word each at one place, key by key, forwards: no interleaving",
                "[]",
                typed(0, "abc", 1) + typed(1, "XYZ", 1),
            ),
            session_case(
                6,
                "the same typed backwards (each key before the last): no interleaving",
                "[]",
                typed(0, "abc", 1, backwards=True) + typed(1, "XYZ", 1, backwards=True),
            ),
            session_case(
                7,
                "one forwards, one backwards, a third member concurrently between",
                "<>",
                typed(0, "one", 1) + typed(1, "two", 1, backwards=True) + typed(2, "3", 1),
            ),
            session_case(
                8,
                "a delete spanning the root text and another member's insert (three ops)",
                "0123456789",
                [(0, "ins", 5, "abc"), (1, "pull", 0, None), (1, "del", 3, 6)],
            ),
            session_case(
                9,
                "concurrent overlapping run deletes",
                "abcdefgh",
                [(0, "del", 1, 4), (1, "del", 3, 4)],
            ),
            session_case(
                10,
                "an insert inside a run deleted concurrently survives",
                "abcdef",
                [(0, "ins", 3, "XY"), (1, "del", 1, 4)],
            ),
            session_case(
                11,
                "typing where text was deleted goes after the tombstones, so it has the same"
                " origins as a concurrent insert there: the ids decide",
                "abcdef",
                [
                    (0, "del", 2, 2),
                    (0, "ins", 2, "Z"),
                    (1, "ins", 4, "w"),
                    (1, "pull", 0, None),
                    (1, "ins", 2, "V"),
                ],
            ),
        ],
        "rejected": [
            rejected_case(
                100,
                "origins with a character of the causal past between them",
                "abc",
                [[0, [root, 0], [root, 2], "Q"]],
                "text_origins_not_adjacent",
            ),
            rejected_case(
                101,
                "right origin before the left origin",
                "abc",
                [[0, [root, 2], [root, 1], "Q"]],
                "text_origins_not_adjacent",
            ),
            rejected_case(
                102,
                "an origin whose message is not in the causal past",
                "abc",
                [[0, [before[2], 1], [root, 1], "Q"]],
                "text_origin_outside_past",
                past=False,
            ),
            rejected_case(
                103,
                "a delete running past the end of its message's characters",
                "abc",
                [[1, [before[3], 1], 2]],
                "unknown_origin",
            ),
            rejected_case(
                104,
                "an origin that is not a character of the document",
                "abc",
                [[0, [root, 3], None, "Q"]],
                "unknown_origin",
            ),
            rejected_case(
                105,
                "empty insert text",
                "abc",
                [[0, None, [root, 0], ""]],
                "bad_text_op",
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
