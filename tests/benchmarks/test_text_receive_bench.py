"""`caracol bench text_receive` on a tiny synthetic trace (no test uses ../shared)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from node.cli import main


def test_bench_text_receive_on_a_synthetic_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc: list[str] = []
    txns = []
    for i, ch in enumerate("typed, then edited"):
        txns.append({"patches": [[i, 0, ch]]})
        doc.insert(i, ch)
    txns.append({"patches": [[5, 6, "!"]]})  # a delete and an insert in one edit
    doc[5:11] = ["!"]
    txns.append({"patches": [[0, 0, "Re"]]})
    doc[0:0] = ["R", "e"]
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps({"startContent": "", "endContent": "".join(doc), "txns": txns}))
    gz = tmp_path / "t.json.gz"
    with gzip.open(gz, "wt") as f:
        f.write(trace.read_text())
    for path in (trace, gz):
        assert main(["bench", "text_receive", "--json", "--trace", str(path)]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["final_text_ok"] is True
        assert result["ops"] == result["messages"] == len(txns)
        for key in ("apply_ops_per_s", "checked_ops_per_s", "checked_shapes_ops_per_s"):
            assert result[key] > 0


def test_bench_text_receive_without_a_trace_says_so(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["bench", "text_receive", "--trace", str(tmp_path / "missing.json.gz")])
    assert info.value.code == 2
