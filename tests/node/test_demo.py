"""The README's main command: the local demo federation runs end to end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from node import keyfile
from node.cli import main
from node.commands.demo import DEMO_PASSPHRASE


def test_demo_federation_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--once"]) == 0
    out = capsys.readouterr().out
    assert "grievance round" in out and "Neighbours share the pumps" in out
    assert "Municipality verdict" in out and "passed — 3 of 3 Communities for" in out


def test_demo_prints_the_page_and_key_files_for_a_newcomer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["demo", "--once", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "The members' page" in out and "Restore a key" in out
    pages = re.findall(r"^\s+\w+\s+(http://127\.0\.0\.1:\d+/)$", out, re.M)
    assert len(pages) == 4
    files = sorted((tmp_path / "keys").glob("*.key"))
    assert [f.name for f in files] == [
        "santi.key",
        "sara.key",
        "sergio.key",
        "silvia.key",
        "sol.key",
    ]
    # each opens with the printed passphrase, as the page's restore does
    seeds = {keyfile.read(f, DEMO_PASSPHRASE) for f in files}
    assert len(seeds) == 5
