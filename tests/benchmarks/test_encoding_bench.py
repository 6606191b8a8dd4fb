"""`caracol bench encoding` runs and reports every figure (no speed asserts)."""

from __future__ import annotations

import json

import pytest

from node.cli import main


def test_bench_encoding_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "encoding", "--json", "--seconds", "0.05", "--rounds", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in (
        "vote_bytes",
        "sizes",
        "sign_per_s",
        "verify_per_s",
        "decode_verify_per_s",
        "raw_verify_per_s",
    ):
        assert key in result
    assert result["vote_bytes"] <= 240
    assert set(result["sizes"]) >= {"vote", "genesis", "verdict", "recall_vote"}
    assert all(v > 0 for v in result["sizes"].values())


def test_bench_encoding_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "encoding", "--seconds", "0.05", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "vote_bytes" in out and "raw_verify_per_s" in out
