"""spec/vectors/justice.json: both logs of every case, opened from their wire
bytes and folded in reverse delivery order, give exactly the recorded
results; and the committed file is what the generator produces."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from crdt.log import Log
from protocol.assembly import Assembly
from protocol.envelope import open_untrusted
from protocol.justice import Council

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "vectors" / "justice.json"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_justice", VECTORS.parent / "gen_justice.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = generator()
CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text())["cases"]


def _log(body_hex: str, messages: list[str]) -> Log:
    body = bytes.fromhex(body_hex)
    raws = [bytes.fromhex(m) for m in messages]
    log = Log(body)
    for i, raw in enumerate(reversed(raws)):
        log.add(open_untrusted(raw, None if i == len(raws) - 1 else body))
    assert len(log) == len(raws)
    return log


@pytest.mark.parametrize("case", CASES, ids=[c["tcId"] for c in CASES])
def test_justice_vector(case: dict[str, Any]) -> None:
    community_log = _log(case["community"], case["community_messages"])
    community = Assembly(community_log.body).fold(community_log)
    council_log = _log(case["council"], case["council_messages"])
    council = Council(council_log.body, community).fold(council_log)
    assert isinstance(council, Council)
    assert GEN.expected(council, case["now"]) == case["expect"]


def test_every_case_decides_something() -> None:
    """The vectors exercise what the spec says: a carried plan, a dropped
    vote, an expired seat, outsiders and parties refused, no charter."""
    by_id = {c["tcId"]: c["expect"] for c in CASES}
    assert by_id["plan-carried"]["cases"][0]["status"] == "decided"
    recalled = by_id["recalled-mid-stage"]
    assert recalled["cases"][0]["plans"][0]["closes"][1][2] == [3, 0, 0, 3]
    assert any("before the stage's close" in r for _, r in recalled["ignored"])
    assert any("(expiry)" in r for _, r in by_id["expired-member"]["ignored"])
    assert any("party to the case" in r for _, r in by_id["outsiders-and-parties"]["ignored"])
    assert by_id["unelected-founder"]["charter"] is None


def test_vectors_are_generated() -> None:
    assert GEN.render() == VECTORS.read_text(), "run spec/vectors/gen_justice.py"
