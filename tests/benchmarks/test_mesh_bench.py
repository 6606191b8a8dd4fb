"""`caracol bench mesh` with a small sync: every key, within the duty cycle."""

from __future__ import annotations

import json

import pytest

from node.cli import main


def test_bench_mesh_small(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "mesh", "--json", "--sync", "20"]) == 0
    r = json.loads(capsys.readouterr().out)
    for key in ("vote_frames", "attestation_frames", "duty_cycle_exceeded", "verdict_to_municipality_s", "sync_1000_s", "per_kind"):
        assert key in r
    assert r["vote_frames"] == 1 and r["duty_cycle_exceeded"] is False
    assert r["attestation_frames"] <= 4
    assert {row["kind"] for row in r["per_kind"]} >= {"vote", "verdict", "recall_vote"}
