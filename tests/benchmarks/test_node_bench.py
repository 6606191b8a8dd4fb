"""`caracol bench node` with tiny sizes: real node processes, every key."""

from __future__ import annotations

import json

import pytest

from node.cli import main


def test_bench_node_small(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "bench",
        "node",
        "--json",
        "--messages",
        "200",
        "--nodes",
        "3",
        "--rounds",
        "3",
        "--startup-messages",
        "500",
    ]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    for key in (
        "ingest_api_per_s",
        "ingest_gossip_per_s",
        "raw_verify_per_s",
        "gossip_p50_ms",
        "gossip_p99_ms",
        "rss_idle_mb",
        "rss_load_mb",
        "startup_s",
    ):
        assert result[key] > 0, key
