"""`caracol bench sync` runs and reports rows (no speed asserts)."""

from __future__ import annotations

import json

import pytest

from node.cli import main


def test_bench_sync_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["bench", "sync", "--json", "--n", "2000", "--d", "1,10", "--frames", "65536,200"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert len(rows) == 4
    for row in rows:
        assert {"n", "d", "bytes", "round_trips", "diff_bytes"} <= set(row)
        assert row["exact"] is True
