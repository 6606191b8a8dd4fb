"""`caracol verify LOGFILE` re-derives verdicts and catches false VERDICTs."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.cli import main
from protocol.kinds import Outcome, Verdict
from protocol.testing import Scenario
from protocol.verdict import FullProof


def carried() -> tuple[Scenario, bytes]:
    sc = Scenario()
    p = sc.propose("ana")
    sc.close(p)
    sc.votes(p, yes=["ana", "bea", "cruz", "dev", "eli"])
    sc.close(p)
    sc.close(p)
    return sc, p


def write(sc: Scenario, path: Path) -> None:
    raws = tuple(sc.log.get(m).raw for m in sc.log.order())
    path.write_bytes(FullProof(sc.body, raws).encode())


def test_true_verdicts_follow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc, p = carried()
    v = sc.assembly().verdict(p)
    assert v is not None
    sc.post(
        "ana",
        Verdict(
            p,
            v.close,
            v.outcome,
            v.count.votes_for,
            v.count.votes_against,
            v.count.abstentions,
            v.electorate,
        ),
    )
    write(sc, tmp_path / "log.bin")
    assert main(["verify", str(tmp_path / "log.bin")]) == 0
    out = capsys.readouterr().out
    assert "follows from the log" in out and out.strip().endswith("ok")


def test_a_false_verdict_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc, p = carried()
    v = sc.assembly().verdict(p)
    assert v is not None
    sc.post("bea", Verdict(p, v.close, Outcome.FAILED, 0, 5, 0, v.electorate))
    write(sc, tmp_path / "log.bin")
    assert main(["verify", str(tmp_path / "log.bin")]) == 1
    assert "PROBLEM" in capsys.readouterr().out


def test_garbage_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x").write_bytes(b"nonsense")
    assert main(["verify", str(tmp_path / "x")]) == 2
    assert "caracol verify" in capsys.readouterr().err
