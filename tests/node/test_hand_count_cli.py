"""Face-to-face through the command line (issue 14): the facilitator
records a show of hands with ``caracol member hand-count`` — witnesses sign
with a printed key card or their keystore — any member contests it with
``contest-count``, and ``caracol ballots`` prints paper ballots whose QR
codes ``ballots check`` reads back against the open stage. Real node."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node.live_node import LiveNode, founded
from tests.node.test_cli import ENV

ROOT = Path(__file__).resolve().parents[2]
PIN = "tortuga lima 4417"
NAMES = {"ana": "Ana", "bea": "Bea", "cruz": "Cruz", "dev": "Dev"}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    n = LiveNode(tmp_path_factory.mktemp("hands"))
    n.env = {"CARACOL_PIN": PIN, "CARACOL_WITNESS_PASSPHRASE": ENV["CARACOL_PASSPHRASE"]}
    with founded(n, NAMES, NAMES) as live:
        yield live


def test_hand_count_contest_and_ballots(node: LiveNode, tmp_path: Path) -> None:
    p = node.ok("member", "propose", "-q", "--keystore", "ana.key",
                "--title", "Night market", "--text", "Stalls on Fridays.")  # fmt: skip
    fac = next(
        m for m, n in NAMES.items() if n == node.get(f"proposals/{p}")["facilitator"]["name"]
    )
    w1, w2 = [m for m in ("bea", "cruz", "dev") if m != fac]
    hc = ("member", "hand-count", "--keystore", f"{fac}.key", "--subject", p[:12])
    # ballots only for a stage counted by hand
    line = node.fails("ballots", "print", "--subject", p[:12], "--out", str(tmp_path / "b"))
    assert "its open stage is discussion" in line
    line = node.fails(*hc, "--for", "1", "--against", "0", "--present", NAMES[w1])
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
    line = node.fails("member", "hand-count", "--keystore", f"{other}.key", "--subject", p,
                        "--for", "1", "--against", "0", "--present", NAMES[w1])  # fmt: skip
    assert "only the stage's facilitator" in line
    line = node.fails(*hc, "--for", "3", "--against", "0", "--present", NAMES[w1],
                        "--present", NAMES[w2])  # fmt: skip
    assert "3 hands counted but 2 members --present" in line
    line = node.fails(*hc, "--for", "2", "--against", "0", "--present", NAMES[w1],
                        "--present", NAMES[w2], "--witness-card", card)  # fmt: skip
    assert "needs 2 witnesses" in line
    hid = node.ok(*hc, "-q", "--for", "2", "--against", "0", "--present", NAMES[w1],
                  "--present", NAMES[w2], "--witness-card", card,
                  "--witness-keystore", f"{w2}.key")  # fmt: skip
    minutes = "\n".join(node.get(f"proposals/{p}")["minutes"])
    assert "hand count attested by" in minutes and NAMES[w1] in minutes and NAMES[w2] in minutes
    # contested by Ana, then the stage closes: the count is left out
    node.ok("member", "contest-count", "-q", "--keystore", "ana.key", "--hand-count", hid[:12],
            "--reason", "Cruz was not in the room")  # fmt: skip
    node.ok("member", "close", "-q", "--keystore", f"{fac}.key", "--proposal", p)
    r = node.run("ballots", "check", str(ballot))
    assert r.returncode == 1 and "NOT open (now concerns)" in r.stdout
    line = node.fails("ballots", "check", card)
    assert "no ballot code found" in line
