"""Generate spec/vectors/dag.json: small logs and exactly what they produce.

Each case lists messages (hex) in a delivery order; the expected replay
order, heads, missing parents and equivocation evidence follow from the set
alone, whatever the delivery order. A case with ``error`` holds a delivery
in which a message is rejected: the code, field and offset of the first
rejection and its index among the genesis and the delivered messages. Run: .venv/bin/python spec/vectors/gen_dag.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from crdt.errors import CrdtError
from crdt.log import Log
from crdt.sim import make_genesis, seed_for
from interop.dag_json import log_json
from protocol import envelope, kinds
from protocol.envelope import Envelope
from protocol.errors import ProtocolError

OUT = Path(__file__).resolve().parent / "dag.json"
SEEDS = [seed_for(f"dag{i}") for i in range(3)]
GENESIS = make_genesis(SEEDS)
OTHER = make_genesis([seed_for("elsewhere")])
"""Another body's genesis."""
ELSEWHERE = envelope.sign(
    SEEDS[0],
    OTHER.body,
    kinds.Comment(OTHER.body, None, kinds.Stance.NEUTRAL, "elsewhere"),
    parents=[OTHER.id],
    seq=1,
    time=1_790_000_001,
)
"""A member's message in that other body."""


def m(author: int, parents: list[bytes], seq: int, text: str) -> Envelope:
    payload = kinds.Comment(GENESIS.body, None, kinds.Stance.NEUTRAL, text)
    return envelope.sign(
        SEEDS[author], GENESIS.body, payload, parents=parents, seq=seq, time=1_790_000_000 + seq
    )


def case(tc: int, comment: str, delivery: list[Envelope]) -> dict[str, Any]:
    log = Log(GENESIS.body)
    log.add(GENESIS)
    for e in delivery:
        log.add(e)
    return {
        "tcId": tc,
        "comment": comment,
        "body": GENESIS.body.hex(),
        "genesis": GENESIS.raw.hex(),
        "deliver": [e.raw.hex() for e in delivery],
        **log_json(log),
    }


def refused(tc: int, comment: str, delivery: list[bytes]) -> dict[str, Any]:
    """A delivery in which one message is rejected: the first rejection's
    code, field, offset and its index among genesis + delivery."""
    log = Log(GENESIS.body)
    for index, raw in enumerate([GENESIS.raw, *delivery]):
        try:
            log.add(envelope.open_untrusted(raw, GENESIS.body))
        except (ProtocolError, CrdtError) as exc:
            return {
                "tcId": tc,
                "comment": comment,
                "body": GENESIS.body.hex(),
                "genesis": GENESIS.raw.hex(),
                "deliver": [r.hex() for r in delivery],
                "error": exc.code,
                "field": exc.field,
                "offset": exc.offset,
                "index": index,
            }
    raise AssertionError(f"case {tc}: nothing was rejected")


def build() -> dict[str, Any]:
    a = m(1, [GENESIS.id], 1, "a")
    b = m(2, [GENESIS.id], 1, "b")
    c = m(0, [a.id, b.id], 2, "c")
    d = m(1, [a.id], 2, "d")
    twin = m(1, [a.id], 2, "d, equivocating")
    ghost = m(2, [hashlib.sha256(b"never sent").digest()], 7, "ghost")
    return {
        "description": "Caracol v0 DAG rules and replay order (spec/dag.md).",
        "tests": [
            case(1, "diamond delivered in order", [a, b, c]),
            case(2, "the same diamond delivered backwards (pending, then released)", [c, b, a]),
            case(3, "a late concurrent branch lands by depth", [a, c, b, d]),
            case(4, "equivocation: both kept, one piece of evidence", [a, d, twin]),
            case(5, "a message citing an unknown parent stays pending", [a, ghost]),
            refused(
                6,
                "a second genesis cannot join the body: decoded for it, it is refused",
                [a.raw, OTHER.raw],
            ),
            refused(
                7,
                "a message signed for another body does not verify for this one",
                [a.raw, ELSEWHERE.raw],
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
