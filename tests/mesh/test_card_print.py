"""A key card for real: printed to PDF by headless Chromium, rasterised by
poppler, scanned by zxing-cpp, its PIN typed, and the vote it signs is
accepted and counted by a running node. A wrong PIN, a damaged card and a
photo with no card say so, and sign nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from node.client import NodeClient
from protocol import keycard

PIN = "tortuga lima 4417"
ENV = {**os.environ, "CARACOL_PASSPHRASE": "correct horse battery staple", "CARACOL_PIN": PIN}


def caracol(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510 - the tests read returncode
        [sys.executable, "-m", "node", *args],
        cwd=cwd,
        env={**ENV, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_printed_card_signs_a_vote_the_node_counts(tmp_path: Path) -> None:
    assert caracol("member", "new", "--keystore", "ana.key", cwd=tmp_path).returncode == 0
    port = free_port()
    r = caracol(
        "init", "--config", "a.toml", "--name", "north", "--port", str(port),
        "--found", "Barrio Norte", "--founder-keystore", "ana.key",
            "--param", "min_duration=0", cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    body = r.stdout.split("body ")[1].split()[0]
    log = open(tmp_path / "node.err", "ab")  # noqa: SIM115 - closed below
    node = subprocess.Popen(
        [sys.executable, "-m", "node", "run", "--config", "a.toml"],
        cwd=tmp_path, env=ENV, stdout=log, stderr=log,
    )  # fmt: skip
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                NodeClient(url, timeout=1).node()
                break
            except Exception:
                assert time.monotonic() < deadline, "node did not come up"
                time.sleep(0.1)
        member = ("--keystore", "ana.key", "--node", url, "--body", body)
        r = caracol("member", "propose", *member, "--json", "--title", "Fix the well",
                    "--text", "Replace the pump.", cwd=tmp_path)  # fmt: skip
        proposal = json.loads(r.stdout)["id"]
        r = caracol("member", "close", *member, "--proposal", proposal, "--stage", "discussion",
                    cwd=tmp_path)  # fmt: skip
        assert r.returncode == 0, r.stderr

        r = caracol("card", "print", "--keystore", "ana.key", "--name", "Ana Quispe",
                    "--body", body, "--out", "card", cwd=tmp_path)  # fmt: skip
        assert r.returncode == 0, r.stderr
        pdf = tmp_path / "card" / "card.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert "Ana Quispe" in (tmp_path / "card" / "card.html").read_text()

        vote = ("--node", url, "vote", "--subject", proposal, "--choice", "for")
        r = caracol("card", "sign", "--card", str(pdf), *vote, cwd=tmp_path,
                    CARACOL_PIN="tortuga lima 4418")  # fmt: skip
        assert r.returncode == 1 and "wrong PIN for Ana Quispe's card" in r.stderr

        from node.paper import scan_images

        (code,) = scan_images([tmp_path / "card" / "card.png"])
        assert keycard.read(code).name == "Ana Quispe"
        torn = code[:60] + bytes([code[60] ^ 0x01]) + code[61:]
        from node.commands.card import qr_png

        (tmp_path / "torn.png").write_bytes(qr_png(torn))
        r = caracol("card", "sign", "--card", "torn.png", *vote, cwd=tmp_path)
        assert r.returncode == 1 and "misread or damaged" in r.stderr
        from PIL import Image

        Image.new("L", (200, 200), 255).save(tmp_path / "blank.png")
        r = caracol("card", "sign", "--card", "blank.png", *vote, cwd=tmp_path)
        assert r.returncode == 1 and "no QR code found" in r.stderr

        r = caracol("card", "sign", "--card", str(pdf), *vote, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["status"] == "accepted" and out["card"] == "Ana Quispe"
        assert out["process"]["taken"] is True, out
        view = NodeClient(url).get(f"/v0/bodies/{body}/proposals/{proposal}")
        assert view["tally"]["for"] == 1, view["tally"]
    finally:
        node.send_signal(signal.SIGINT)
        try:
            node.wait(timeout=20)
        finally:
            if node.poll() is None:
                node.kill()
                node.wait()
