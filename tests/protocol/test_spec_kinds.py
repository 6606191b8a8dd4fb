"""spec/kinds.md's field tables are generated from protocol/kinds.py and
must match it (docs cannot drift from the code)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kinds_doc_is_generated_from_the_schema() -> None:
    spec = importlib.util.spec_from_file_location("gen_kinds", ROOT / "spec" / "gen_kinds.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "spec" / "kinds.md").read_text()
    assert module.render(text) == text, "spec/kinds.md is stale: run spec/gen_kinds.py"
