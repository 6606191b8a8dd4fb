"""`caracol bench text` on a tiny synthetic trace (no test uses ../shared)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from node.cli import main


def test_bench_text_on_a_synthetic_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc: list[str] = []
    txns = []
    for i, ch in enumerate("hello wonderful world"):
        txns.append({"patches": [[i, 0, ch]]})
        doc.insert(i, ch)
    txns.append({"patches": [[6, 10, ""]]})
    del doc[6:16]
    txns.append({"patches": [[0, 1, "H"]]})
    doc[0:1] = ["H"]
    trace = tmp_path / "t.json.gz"
    with gzip.open(trace, "wt") as f:
        json.dump({"startContent": "", "endContent": "".join(doc), "txns": txns}, f)
    assert main(["bench", "text", "--json", "--trace", str(trace)]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("ops", "ops_per_s", "baseline_ops_per_s", "final_text_ok", "state_bytes"):
        assert key in result
    assert result["final_text_ok"] is True and result["remote_text_ok"] is True
    assert result["ops"] == len(txns)


def test_bench_text_without_a_trace_says_so(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["bench", "text", "--trace", str(tmp_path / "missing.json.gz")])
    assert info.value.code == 2
