"""The JS core signs a hand count's witness statement byte for byte as the
reference does (spec/process.md §6a), so a kiosk's witnesses' signatures
verify in the fold: the same record, in any order of `present`, gives the
reference's bytes under Node.js."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from protocol.hand_counts import witnessed_bytes
from protocol.kinds import HandCount

CORE = Path(__file__).resolve().parents[2] / "interop" / "js" / "core" / "index.js"


@pytest.mark.parametrize("replaces", [None, bytes([9]) * 32])
def test_witness_bytes_match_the_reference(replaces: bytes | None) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (scripts/setup)")
    body, subject = bytes([1]) * 32, bytes([2]) * 32
    present = (bytes([3]) * 32, bytes([5]) * 32, bytes([4]) * 32)
    p = HandCount(subject, 7, 10, 3, 1, tuple(sorted(present)), replaces, ())
    want = witnessed_bytes(body, p).hex()
    script = f"""
      const core = await import({json.dumps(CORE.as_uri())});
      const u = core.unhex;
      const present = {json.dumps([k.hex() for k in present])}.map(u);  // unsorted
      const r = {json.dumps(replaces.hex() if replaces else None)};
      const bytes = core.handCountWitnessed(u({json.dumps(body.hex())}),
        [u({json.dumps(subject.hex())}), 7, 10, 3, 1, present, r === null ? null : u(r)]);
      console.log(core.hex(bytes));
    """
    out = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert out == want
