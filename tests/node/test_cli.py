"""The command line end to end, as an operator and a member use it: init a
node founding a Community, run it, sign and submit as a member, join a
second node through a peer, check status, stop with Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from node.client import NodeClient

ENV = {**os.environ, "CARACOL_PASSPHRASE": "correct horse battery staple"}


def caracol(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510 - the tests read returncode
        [sys.executable, "-m", "node", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cwd: Path, config: str) -> subprocess.Popen[bytes]:
    """A node process whose output goes to files (never an unread pipe)."""
    out = open(cwd / f"{config}.out", "ab")  # noqa: SIM115 - closed when the process ends
    err = open(cwd / f"{config}.err", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "run", "--config", config],
        cwd=cwd,
        env=ENV,
        stdout=out,
        stderr=err,
    )
    out.close()
    err.close()
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            NodeClient(url, timeout=1).node()
            return
        except Exception:
            time.sleep(0.1)
    raise AssertionError(f"node at {url} did not come up")


def test_operator_and_member_workflow(tmp_path: Path) -> None:
    r = caracol("member", "new", "--keystore", "ana.key", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    ana_key = r.stdout.strip()
    assert ana_key.startswith("ck1")
    port_a, port_b = free_port(), free_port()
    r = caracol(
        "init",
        "--config",
        "a.toml",
        "--name",
        "north",
        "--port",
        str(port_a),
        "--found",
        "Barrio Norte",
        "--founder-keystore",
        "ana.key",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    body = r.stdout.split("body ")[1].split()[0]
    status = json.loads(caracol("status", "--config", "a.toml", "--json", cwd=tmp_path).stdout)
    assert status["bodies"][0]["id"] == body and status["bodies"][0]["messages"] == 1
    node_a = start(tmp_path, "a.toml")
    node_b = None
    try:
        url_a = f"http://127.0.0.1:{port_a}"
        wait_up(url_a)
        key_a = NodeClient(url_a).node()["node_key"]
        r = caracol(
            "member",
            "propose",
            "--keystore",
            "ana.key",
            "--node",
            url_a,
            "--body",
            body,
            "--title",
            "Fix the well",
            "--text",
            "Replace the pump.",
            "--json",
            cwd=tmp_path,
        )
        assert r.returncode == 0, r.stderr
        proposal = json.loads(r.stdout)
        assert proposal["status"] == "accepted"
        # a second node joins the body through the first
        r = caracol(
            "init",
            "--config",
            "b.toml",
            "--name",
            "south",
            "--port",
            str(port_b),
            "--join",
            body,
            "--peer",
            f"north={url_a}={key_a}",
            cwd=tmp_path,
        )
        assert r.returncode == 0, r.stderr
        key_b = r.stdout.split("node key ")[1].split(";")[0].split()[0]
        r = caracol(
            "peer",
            "add",
            "south",
            f"http://127.0.0.1:{port_b}",
            key_b,
            "--config",
            "a.toml",
            cwd=tmp_path,
        )
        assert r.returncode == 0, r.stderr
        assert "south" in caracol("peer", "list", "--config", "a.toml", cwd=tmp_path).stdout
        # restart a so it pins b (peers apply on restart)
        stop(node_a)
        node_a = start(tmp_path, "a.toml")
        node_b = start(tmp_path, "b.toml")
        url_b = f"http://127.0.0.1:{port_b}"
        wait_up(url_a)
        wait_up(url_b)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            bodies = NodeClient(url_b).bodies()
            if bodies and bodies[0]["messages"] == 2:
                break
            time.sleep(0.2)
        assert NodeClient(url_b).bodies()[0]["heads"] == [proposal["id"]]
        r = caracol("status", "--node", url_b, cwd=tmp_path)
        assert "Barrio Norte" in r.stdout
        # a member comments through node b; it reaches node a
        r = caracol(
            "member",
            "comment",
            "--keystore",
            "ana.key",
            "--node",
            url_b,
            "--body",
            body,
            "--proposal",
            proposal["id"],
            "--text",
            "Which pump?",
            "--json",
            cwd=tmp_path,
        )
        assert r.returncode == 0, r.stderr
        vote = json.loads(r.stdout)["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and NodeClient(url_a).bodies()[0]["heads"] != [vote]:
            time.sleep(0.2)
        assert NodeClient(url_a).bodies()[0]["heads"] == [vote]
        # a bad key text is refused with the reason
        r = caracol(
            "peer",
            "add",
            "x",
            "http://127.0.0.1:1",
            key_b[:30] + ("a" if key_b[30] != "a" else "b") + key_b[31:],
            "--config",
            "a.toml",
            cwd=tmp_path,
        )
        assert r.returncode == 1 and "mistyped" in r.stderr
    finally:
        for proc in (node_a, node_b):
            if proc is not None:
                stop(proc)


def test_unbuilt_and_bad_commands_say_so(tmp_path: Path) -> None:
    r = caracol("status", "--config", "missing.toml", cwd=tmp_path)
    assert r.returncode == 1 and "caracol init" in r.stderr
    (tmp_path / "bad.toml").write_text('[node]\ndata_dir = "d"\nlisten_prot = 5\n')
    r = caracol("run", "--config", "bad.toml", cwd=tmp_path)
    assert r.returncode == 1 and "node.listen_prot" in r.stderr


@pytest.mark.parametrize("choice", ["maybe"])
def test_member_vote_rejects_unknown_choice(tmp_path: Path, choice: str) -> None:
    r = caracol(
        "member",
        "vote",
        "--keystore",
        "k",
        "--node",
        "http://127.0.0.1:1",
        "--body",
        "00",
        "--subject",
        "00",
        "--choice",
        choice,
        cwd=tmp_path,
    )
    assert r.returncode == 2 and "invalid choice" in r.stderr
