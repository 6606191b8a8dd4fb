"""`caracol bench page` with tiny sizes: a real node, headless Chromium, every key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.cli import main

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium"
)


def test_bench_page_small(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "page", "--json", "--proposals", "5", "--runs", "1"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert "skipped" not in result, result
    assert result["proposals"] == 5 and result["runs"] == 1
    for key in (
        "first_load_bytes",
        "first_load_requests",
        "first_load_budget_bytes",
        "render_ms",
        "render_budget_ms",
    ):
        assert result[key] > 0, key
    assert result["first_load_budget_bytes"] == 153600
    assert result["render_budget_ms"] == 1000
    assert isinstance(result["first_load_within_budget"], bool)
    assert isinstance(result["render_within_budget"], bool)
    assert result["largest"] and all(r["bytes"] > 0 for r in result["largest"])
    # the page's own files were among what it loaded
    assert result["first_load_requests"] >= 5
