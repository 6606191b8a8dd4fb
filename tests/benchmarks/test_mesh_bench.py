"""`caracol bench mesh` with a small sync: every key, within the duty cycle,
the missed messages reconciled over SYNC and each sent once; the same at 20 %
frame loss beside it, with the WANT and OFFER figures of the lossy runs."""

from __future__ import annotations

import json

import pytest

from node.cli import main


def test_bench_mesh_small(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "mesh", "--json", "--sync", "20"]) == 0
    r = json.loads(capsys.readouterr().out)
    for key in (
        "vote_frames",
        "attestation_frames",
        "duty_cycle_exceeded",
        "verdict_to_municipality_s",
        "sync_1000_s",
        "per_kind",
    ):
        assert key in r
    assert r["vote_frames"] == 1 and r["duty_cycle_exceeded"] is False
    assert r["attestation_frames"] <= 4
    assert {row["kind"] for row in r["per_kind"]} >= {"vote", "verdict", "recall_vote"}
    # the 20 missed messages are reconciled over SYNC, then sent once each
    for key in ("sync_frames", "sync_frame_bytes", "sync_d1_frames", "sync_d1_airtime_s"):
        assert key in r
    assert r["sync_msg_frames"] == 20 + 5  # what b lacked, and the 5 a lacked
    assert 0 < r["sync_frames"] < 20 and 0 < r["sync_d1_frames"] < 20
    # the same at 20 % frame loss, beside the lossless figures: lost frames are
    # sent again, so more frames and more time, but it completes
    for key in ("sync_1000_loss20_s", "sync_d1_loss20_s", "sync_loss20_frames"):
        assert r[key] > 0
    assert r["sync_loss20_msg_frames"] >= 25 and r["sync_1000_loss20_s"] >= r["sync_1000_s"]
    rows = {(row["case"], row["loss_pct"]): row for row in r["sync_side_by_side"]}
    assert set(rows) == {("20 missed", 0), ("20 missed", 20), ("d = 1", 0), ("d = 1", 20)}
    assert rows[("20 missed", 0)]["until_b_has_all_s"] == r["sync_1000_s"]
    # messages lost on the air are asked for by name (WANT), named by OFFERs
    for row in rows.values():
        assert "offer_frames" in row
        assert ("wants_sent" in row) == (row["loss_pct"] > 0)
    lossy = rows[("20 missed", 20)]
    for key in ("wants_sent", "wants_answered", "wants_ignored", "messages_resent_for_wants"):
        assert lossy[key] >= 0
    assert r["sync_loss20_offer_frames"] >= 1
    assert r["sync_loss20_wants_answered"] <= r["sync_loss20_wants_sent"]
