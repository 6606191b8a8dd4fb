"""`caracol bench process` with tiny sizes: every key, a passing resolution."""

from __future__ import annotations

import json

import pytest

from node.cli import main


def test_bench_process_small(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "process", "--json", "--communities", "3", "--members", "12"]) == 0
    r = json.loads(capsys.readouterr().out)
    for key in (
        "communities",
        "members",
        "seconds",
        "peak_rss_mb",
        "attestation_bytes",
        "full_proof_bytes",
    ):
        assert key in r
    assert r["attestation_bytes"] <= 1024
    assert r["standing"] == "passed" and r["communities_for"] == 3
