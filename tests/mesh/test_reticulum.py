"""Two real Reticulum instances (separate processes, TCP interfaces on
127.0.0.1) synchronise two nodes' logs to identical state over an RNS Link."""

from __future__ import annotations

from pathlib import Path

from rns_harness import Proc, free_port, processes

from protocol.kinds import Choice, Vote
from protocol.testing import Scenario
from protocol.verdict import FullProof


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
    port = free_port()
    node = ["-m", "mesh.reticulum_node"]
    with processes() as procs:
        a_dir, a_log = str(tmp_path / "rns-a"), str(tmp_path / "a.log")
        server = Proc([*node, "--dir", a_dir, "--listen", str(port), "--log", a_log])
        procs.append(server)
        # printed once RNS is up, so its TCP server is already listening; the
        # client then asks for a path (again each second) until it has one
        dest = server.expect("destination ", timeout=20).split()[1]
        b_dir, b_log = str(tmp_path / "rns-b"), str(tmp_path / "b.log")
        client = Proc(
            [*node, "--dir", b_dir, "--connect", str(port), "--peer", dest, "--log", b_log]
        )
        procs.append(client)
        state_b = client.expect("state ", timeout=60)
        state_a = server.expect("state ", timeout=20)
        assert state_a == state_b
        assert state_a.endswith(f"messages {len(common) + 3}")
        assert state_a.split()[1] == sc.log.state_hash().hex()
        assert client.wait(10) == 0, client.diagnostics()
        assert server.wait(10) == 0, server.diagnostics()
