"""``caracol verify`` on hostile log files: it must answer with a clear
error or a PROBLEM line, never a traceback. Found in review: a log file
whose body id is not its genesis's id makes ``crdt.log.WrongBody`` escape
(``node/commands/verify.py`` catches only OSError and ProtocolError), and a
log without a genesis is reported "ok". Both fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.cli import main
from protocol import canonical
from protocol.testing import Scenario


def write(tmp_path: Path, body: bytes, raws: tuple[bytes, ...]) -> str:
    path = tmp_path / "log.bin"
    path.write_bytes(canonical.encode((0, body, raws)))
    return str(path)


def raws_of(sc: Scenario) -> tuple[bytes, ...]:
    return tuple(e.raw for e in sc.log.envelopes())


def test_a_second_genesis_is_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc, other = Scenario(("ana", "bea")), Scenario(("dev", "eli"), name="other")
    assert main(["verify", write(tmp_path, sc.body, raws_of(sc) + raws_of(other))]) == 1
    assert "PROBLEM message 1" in capsys.readouterr().out


def test_a_body_id_that_is_not_the_genesis_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = Scenario(("ana", "bea"))
    assert main(["verify", write(tmp_path, bytes(32), raws_of(sc))]) in (1, 2)


def test_a_log_without_its_genesis_is_not_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = Scenario(("ana", "bea"))
    assert main(["verify", write(tmp_path, sc.body, ())]) != 0
