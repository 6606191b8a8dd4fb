"""spec/vectors/process.json: every log, opened from its wire bytes and folded
in reverse delivery order, produces exactly the recorded results; and the
committed file is what the generator produces."""

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

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "vectors" / "process.json"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_process", VECTORS.parent / "gen_process.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = generator()
CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["tcId"] for c in CASES])
def test_process_vector(case: dict[str, Any]) -> None:
    body = bytes.fromhex(case["body"])
    raws = [bytes.fromhex(m) for m in case["messages"]]
    log = Log(body)
    for i, raw in enumerate(reversed(raws)):
        is_genesis = i == len(raws) - 1
        env = open_untrusted(raw, None if is_genesis else body)
        log.add(env)
    assert len(log) == len(raws)
    a = Assembly(body, GEN.rules_from_json(case["rules"])).fold(log)
    assert GEN.expected(a, case["now"]) == case["expect"]
    # the genesis carries the same rules as constitution parameters
    b = Assembly(body).fold(log)
    assert b.rules == a.rules
    assert GEN.expected(b, case["now"]) == case["expect"]


def test_vectors_are_generated() -> None:
    assert GEN.render() == VECTORS.read_text(), "run spec/vectors/gen_process.py"
