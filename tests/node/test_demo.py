"""The README's main command: the local demo federation runs end to end."""

from __future__ import annotations

import pytest

from node.cli import main


def test_demo_federation_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--once"]) == 0
    out = capsys.readouterr().out
    assert "grievance round" in out and "Neighbours share the pumps" in out
    assert "Municipality verdict" in out and "passed — 3 of 3 Communities for" in out
