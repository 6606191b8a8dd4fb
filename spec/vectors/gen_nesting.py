"""Generate spec/vectors/nesting.json: verdicts combined across levels
(spec/federation.md, "Nesting"): Communities decide a Municipality's
presenting proposal, the Municipalities' verdicts combine into the
Region's, every level re-derived from signed votes with only the
federation's structure known.

Each case gives the top body, its resolution, the structure (each body's
constituents), the rules' ``min_constituent_size`` and the top body's parts
(level proofs, in their byte form); expected is the combined verdict
(standing, count ``[for, against, abstain]``, decided, members) or the
refusal (``bad_proof``; the reason is the implementation's). Deterministic,
checked byte for byte by tests/process/test_nesting_vectors.py. Run:

    .venv/bin/python spec/vectors/gen_nesting.py
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from protocol.nesting import LevelProof
from protocol.testing import nested_region

OUT = Path(__file__).resolve().parent / "nesting.json"
SIZE = 5
"""Test Communities have five members; the higher bodies let them count."""


def case(
    tc: int,
    comment: str,
    body: bytes,
    resolution: bytes,
    structure: dict[bytes, frozenset[bytes]],
    parts: tuple[LevelProof, ...],
) -> dict[str, Any]:
    from interop.ops_protocol import op_combine_levels

    request = {
        "body": body.hex(),
        "resolution": resolution.hex(),
        "structure": {b.hex(): sorted(m.hex() for m in ms) for b, ms in sorted(structure.items())},
        "min_constituent_size": SIZE,
        "parts": [p.encode().hex() for p in parts],
    }
    answer = op_combine_levels(request)
    expect = (
        {"error": answer["error"]}
        if not answer["ok"]
        else {k: answer[k] for k in ("standing", "count", "decided", "members")}
    )
    return {"tcId": tc, "comment": comment, **request, "expect": expect}


def build() -> dict[str, Any]:
    top, res, structure, (a, b) = nested_region(((5, 5, 5), (5, 5, 5)))
    body = top.body
    fails, fails_res, fails_structure, fails_parts = nested_region(((5, 5, 5), (5, 5, 0)))
    fails_body = fails.body
    cases = [
        case(
            1,
            "two Municipalities, every Community for: the Region passes",
            body,
            res,
            structure,
            (a, b),
        ),
        case(
            2,
            "one Community against fails its Municipality (2 of 3 is below 9/10), and "
            "so the Region",
            fails_body,
            fails_res,
            fails_structure,
            fails_parts,
        ),
        case(
            3,
            "a Community of the other Municipality smuggled into a level proof",
            body,
            res,
            structure,
            (dataclasses.replace(a, parts=(*a.parts[:2], b.parts[0])), b),
        ),
        case(
            4,
            "the same Community twice",
            body,
            res,
            structure,
            (dataclasses.replace(a, parts=(a.parts[0], a.parts[0], a.parts[1])),),
        ),
        case(
            5,
            "a Municipality withholding a member: undecided, not passed",
            body,
            res,
            structure,
            (dataclasses.replace(a, parts=a.parts[:2]),),
        ),
        case(
            6,
            "only one Municipality's proof so far: the Region is not decided",
            body,
            res,
            structure,
            (a,),
        ),
    ]
    return {
        "description": "Verdicts combined across levels (spec/federation.md, Nesting).",
        "cases": cases,
    }


def render() -> str:
    return json.dumps(build(), indent=1) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.exists() and OUT.read_text() == render() else 1)
    OUT.write_text(render())
    print(f"wrote {OUT}")
