"""spec/vectors/node.json: one side of a node-to-node link sends exactly the
recorded frames, authenticates the recorded key and closes with the
recorded code; and the committed file is what its generator writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from interop.checks_layers import check_link_case
from interop.ops_node import op_link_replay

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "node.json"
DOC: dict[str, Any] = json.loads(VECTORS.read_text())
CASES = DOC["handshakes"] + DOC["links"]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_node", VECTORS.parent / "gen_node.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_vectors_are_what_the_generator_writes() -> None:
    assert VECTORS.read_text() == generator().render()


class _Reference:
    """The runner's view of a harness, answering with the reference op."""

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        return op_link_replay(request)


@pytest.mark.parametrize("case", CASES, ids=[str(c["tcId"]) for c in CASES])
def test_link_vector(case: dict[str, Any]) -> None:
    assert check_link_case(_Reference(), case) == []  # type: ignore[arg-type]


def test_a_link_that_lies_about_its_proof_fails_the_check() -> None:
    (good,) = [c for c in DOC["handshakes"] if c["tcId"] == 1]
    lying = dict(good, sent=[good["sent"][0], good["sent"][1][:-2] + "00"])
    assert check_link_case(_Reference(), lying)  # type: ignore[arg-type]
