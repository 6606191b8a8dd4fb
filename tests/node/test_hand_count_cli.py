"""Face-to-face through the command line (issue 14): the facilitator
records a show of hands with ``caracol member hand-count`` — witnesses sign
with a printed key card or their keystore — any member contests it with
``contest-count``, and ``caracol ballots`` prints paper ballots whose QR
codes ``ballots check`` reads back against the open stage. Real node."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.node.test_cli import ENV, free_port, start, stop, wait_up

ROOT = Path(__file__).resolve().parents[2]
PIN = "tortuga lima 4417"
NAMES = {"ana": "Ana", "bea": "Bea", "cruz": "Cruz", "dev": "Dev"}


@dataclass
class Node:
    cwd: Path
    url: str
    body: str
    keys: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**ENV, "PYTHONPATH": str(ROOT), "CARACOL_NODE": self.url, "CARACOL_BODY": self.body}
        env |= {"CARACOL_PIN": PIN, "CARACOL_WITNESS_PASSPHRASE": ENV["CARACOL_PASSPHRASE"]}
        return subprocess.run(  # noqa: PLW1510 - the tests read returncode
            [sys.executable, "-m", "node", *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str) -> str:
        r = self.run(*args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout.strip()

    def refused(self, *args: str) -> str:
        r = self.run(*args)
        assert r.returncode != 0, (args, r.stdout)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        return lines[0]

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}/v0/bodies/{self.body}/{path}", timeout=10) as r:
            return json.load(r)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    cwd = tmp_path_factory.mktemp("hands")
    n = Node(cwd, "", "", {})
    for m in NAMES:
        n.keys[m] = n.ok("member", "new", "--keystore", f"{m}.key")
    port = free_port()
    out = n.ok(
        "init", "--config", "n.toml", "--port", str(port), "--found", "Barrio Sur",
        "--founder-keystore", "ana.key", "--founder-name", "Ana",
        *(a for m in ("bea", "cruz", "dev") for a in ("--founder", f"{NAMES[m]}={n.keys[m]}")),
        "--param", "deadline=0", "--param", "min_duration=0", "--param", "cosign_quorum=1/100",
    )  # fmt: skip
    n.body = out.split("body ")[1].split()[0]
    proc = start(cwd, "n.toml")
    try:
        n.url = f"http://127.0.0.1:{port}"
        wait_up(n.url)
        yield n
    finally:
        stop(proc)


def test_hand_count_contest_and_ballots(node: Node, tmp_path: Path) -> None:
    p = node.ok("member", "propose", "-q", "--keystore", "ana.key",
                "--title", "Night market", "--text", "Stalls on Fridays.")  # fmt: skip
    fac = next(
        m for m, n in NAMES.items() if n == node._get(f"proposals/{p}")["facilitator"]["name"]
    )
    w1, w2 = [m for m in ("bea", "cruz", "dev") if m != fac]
    hc = ("member", "hand-count", "--keystore", f"{fac}.key", "--subject", p[:12])
    # ballots only for a stage counted by hand
    line = node.refused("ballots", "print", "--subject", p[:12], "--out", str(tmp_path / "b"))
    assert "its open stage is discussion" in line
    line = node.refused(*hc, "--for", "1", "--against", "0", "--present", NAMES[w1])
    assert "no hand count is taken in stage discussion" in line
    node.ok("member", "close", "-q", "--keystore", f"{fac}.key", "--proposal", p)

    # paper ballots for the temperature check, and their codes read back
    out = node.ok("ballots", "print", "--subject", p[:12], "--out", str(tmp_path / "b"), "--no-pdf")
    assert "wrote 4 ballots" in out
    page = (tmp_path / "b" / "ballots.html").read_text()
    assert page.count('class="ballot"') == 4 and "Night market" in page and "Tellers' sheet" in page
    (png,) = set(re.findall(r'src="data:image/png;base64,([^"]+)"', page))
    ballot = tmp_path / "ballot.png"
    ballot.write_bytes(base64.b64decode(png))
    assert "stage temperature: the open stage" in node.ok("ballots", "check", str(ballot))

    # the hand count: refusals first, nothing signed
    node.ok("card", "print", "--keystore", f"{w1}.key", "--name", NAMES[w1], "--body", node.body,
            "--out", str(tmp_path / "card"), "--no-pdf")  # fmt: skip
    card = str(tmp_path / "card" / "card.png")
    other = next(m for m in NAMES if m not in (fac, "ana"))
    line = node.refused("member", "hand-count", "--keystore", f"{other}.key", "--subject", p,
                        "--for", "1", "--against", "0", "--present", NAMES[w1])  # fmt: skip
    assert "only the stage's facilitator" in line
    line = node.refused(*hc, "--for", "3", "--against", "0", "--present", NAMES[w1],
                        "--present", NAMES[w2])  # fmt: skip
    assert "3 hands counted but 2 members --present" in line
    line = node.refused(*hc, "--for", "2", "--against", "0", "--present", NAMES[w1],
                        "--present", NAMES[w2], "--witness-card", card)  # fmt: skip
    assert "needs 2 witnesses" in line
    hid = node.ok(*hc, "-q", "--for", "2", "--against", "0", "--present", NAMES[w1],
                  "--present", NAMES[w2], "--witness-card", card,
                  "--witness-keystore", f"{w2}.key")  # fmt: skip
    minutes = "\n".join(node._get(f"proposals/{p}")["minutes"])
    assert "hand count attested by" in minutes and NAMES[w1] in minutes and NAMES[w2] in minutes
    # contested by Ana, then the stage closes: the count is left out
    node.ok("member", "contest-count", "-q", "--keystore", "ana.key", "--hand-count", hid[:12],
            "--reason", "Cruz was not in the room")  # fmt: skip
    node.ok("member", "close", "-q", "--keystore", f"{fac}.key", "--proposal", p)
    r = node.run("ballots", "check", str(ballot))
    assert r.returncode == 1 and "NOT open (now concerns)" in r.stdout
    line = node.refused("ballots", "check", card)
    assert "no ballot code found" in line
