"""Generate spec/vectors/reconcile.json: full reconciliation transcripts.

Two fixed id sets reconcile at two frame sizes; every frame each side sends
is recorded in order, with what each side must conclude. An implementation
replaying the peer's frames against the same id set must send exactly the
same frames. Run: .venv/bin/python spec/vectors/gen_reconcile.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from crdt.reconcile import HaveIds, NeedIds, Session, SortedIds

OUT = Path(__file__).resolve().parent / "reconcile.json"


def _ids(tag: str, n: int) -> list[bytes]:
    return [hashlib.sha256(f"{tag} {i}".encode()).digest() for i in range(n)]


def transcript(a_ids: list[bytes], b_ids: list[bytes], frame: int) -> dict[str, Any]:
    a = Session(SortedIds(a_ids), max_frame=frame)
    b = Session(SortedIds(b_ids), max_frame=frame)
    a.initiate()
    frames: list[dict[str, str]] = []
    events: dict[str, list[Any]] = {"a": [], "b": []}
    for _ in range(64):
        out_a = a.frames_to_send()
        for f in out_a:
            frames.append({"from": "a", "frame": f.hex()})
            b.receive_frame(f, 0.0)
        out_b = b.frames_to_send()
        for f in out_b:
            frames.append({"from": "b", "frame": f.hex()})
            a.receive_frame(f, 0.0)
        if not out_a and not out_b:
            break
    for side, s in (("a", a), ("b", b)):
        for e in s.events():
            if isinstance(e, (HaveIds, NeedIds)):
                events[side].append({type(e).__name__: sorted(i.hex() for i in e.ids)})
    return {
        "a_ids": sorted(i.hex() for i in a_ids),
        "b_ids": sorted(i.hex() for i in b_ids),
        "max_frame": frame,
        "branching": a.branching,
        "idlist_threshold": a.idlist_threshold,
        "frames": frames,
        "events": events,
    }


def build() -> dict[str, Any]:
    common = _ids("common", 300)
    a_ids = common + _ids("only a", 3)
    b_ids = common + _ids("only b", 2)
    return {
        "description": "Caracol v0 reconciliation transcripts (spec/reconcile.md); a initiates.",
        "tests": [
            {
                "tcId": 1,
                "comment": "300 common ids, 3 only on a, 2 only on b, HTTP frames",
                **transcript(a_ids, b_ids, 65536),
            },
            {
                "tcId": 2,
                "comment": "the same sets in LoRa-sized frames",
                **transcript(a_ids, b_ids, 200),
            },
            {"tcId": 3, "comment": "identical sets", **transcript(common, common, 65536)},
            {"tcId": 4, "comment": "one side empty", **transcript([], _ids("x", 5), 200)},
        ],
    }


def render() -> str:
    return json.dumps(build(), indent=1) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == render() else 1)
    OUT.write_text(render())
    print(f"wrote {OUT}")
