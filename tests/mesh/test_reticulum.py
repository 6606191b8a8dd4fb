"""Two real Reticulum instances (separate processes, TCP interfaces on
127.0.0.1) synchronise two nodes' logs to identical state over an RNS Link."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from protocol.kinds import Choice, Vote
from protocol.testing import Scenario
from protocol.verdict import FullProof

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_reticulum_instances_synchronise_logs(tmp_path: Path) -> None:
    sc = Scenario(("ana", "bea", "cruz", "dev"))
    p = sc.propose("ana")
    common = list(sc.messages)
    a_only = [sc.post("bea", Vote(p, Choice.FOR), parents=[p])]
    b_only = [
        sc.post("cruz", Vote(p, Choice.AGAINST), parents=[p]),
        sc.post("dev", Vote(p, Choice.FOR), parents=[p]),
    ]
    (tmp_path / "a.log").write_bytes(
        FullProof(sc.body, tuple(m.raw for m in common + a_only)).encode()
    )
    (tmp_path / "b.log").write_bytes(
        FullProof(sc.body, tuple(m.raw for m in common + b_only)).encode()
    )
    port = _port()
    cmd = [sys.executable, "-m", "mesh.reticulum_node"]
    server = subprocess.Popen(
        [
            *cmd,
            "--dir",
            str(tmp_path / "rns-a"),
            "--listen",
            str(port),
            "--log",
            str(tmp_path / "a.log"),
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = None
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("destination "), line + (
            server.stderr.read() if server.poll() is not None else ""
        )
        dest = line.split()[1]
        time.sleep(2.0)  # the server's interface is up and its announce went out
        client = subprocess.Popen(
            [
                *cmd,
                "--dir",
                str(tmp_path / "rns-b"),
                "--connect",
                str(port),
                "--peer",
                dest,
                "--log",
                str(tmp_path / "b.log"),
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out_b, err_b = client.communicate(timeout=90)
        out_a, err_a = server.communicate(timeout=30)
        state_a = [x for x in out_a.splitlines() if x.startswith("state ")]
        state_b = [x for x in out_b.splitlines() if x.startswith("state ")]
        assert state_a and state_b, (out_b, err_b[-3000:], out_a, err_a[-500:])
        assert state_a == state_b
        assert state_a[0].endswith(f"messages {len(common) + 3}")
        assert state_a[0].split()[1] == sc.log.state_hash().hex()
    finally:
        for proc in (server, client):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc is not None:
                for stream in (proc.stdout, proc.stderr):
                    if stream:
                        stream.close()
