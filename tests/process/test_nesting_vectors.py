"""spec/vectors/nesting.json: level proofs combine into the recorded
verdict (or are refused), through the runner's own check against the
reference op; and the committed file is what its generator writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from interop.checks_layers import check_nesting_case
from interop.ops_protocol import op_combine_levels

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "nesting.json"
CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text())["cases"]


def test_the_committed_vectors_are_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("gen_nesting", VECTORS.parent / "gen_nesting.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert VECTORS.read_text() == gen.render()


class _Reference:
    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        return op_combine_levels(request)


@pytest.mark.parametrize("case", CASES, ids=[str(c["tcId"]) for c in CASES])
def test_nesting_vector(case: dict[str, Any]) -> None:
    assert check_nesting_case(_Reference(), case) == []  # type: ignore[arg-type]
