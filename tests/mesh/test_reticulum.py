"""Two real Reticulum instances (separate processes, TCP interfaces on
127.0.0.1) synchronise two nodes' logs to identical state over an RNS Link."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest
import RNS
from rns_harness import Proc, free_port, processes

from mesh.errors import LinkClosed, LocalMeshError
from mesh.reticulum import BUFFER, MTU, ReticulumTransport
from mesh.transport import LinkState
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


class _Link:
    """Stands in for an ``RNS.Link`` in what the transport's thread bridge
    touches (a real link needs a second process; this checks the counting)."""

    status = RNS.Link.ACTIVE
    teardown_reason: int | None = None

    def track_phy_stats(self, track: bool) -> None:
        pass

    def set_packet_callback(self, callback: Callable[[bytes, Any], None]) -> None:
        self.packet = callback

    def set_link_closed_callback(self, callback: Callable[[Any], None]) -> None:
        self.closed = callback

    def get_rssi(self) -> None:
        return None

    def get_snr(self) -> None:
        return None

    def teardown(self) -> None:
        pass


def test_frames_beyond_the_buffer_oversize_or_after_the_loop_ended_count_as_dropped() -> None:
    link = _Link()

    async def main() -> ReticulumTransport:
        t = ReticulumTransport(link, anyio.lowlevel.current_token())

        def rns_thread() -> None:
            for i in range(BUFFER + 5):
                link.packet(bytes([i % 256]), None)
            link.packet(bytes(MTU + 1), None)

        await anyio.to_thread.run_sync(rns_thread)
        s = t.statistics()
        assert (s.frames_received, s.bytes_received, s.dropped) == (BUFFER, BUFFER, 6)
        assert t.link_state() is LinkState.UP
        link.status, link.teardown_reason = RNS.Link.CLOSED, RNS.Link.DESTINATION_CLOSED
        await anyio.to_thread.run_sync(link.closed, link)
        assert t.link_state() is LinkState.DOWN
        with pytest.raises(LocalMeshError, match="closed Reticulum link: the destination closed"):
            await t.send(b"x")
        got = []
        with pytest.raises(LinkClosed, match="the destination closed"):  # buffered, then the end
            while True:
                got.append(await t.receive())
        assert got == [bytes([i % 256]) for i in range(BUFFER)]
        await t.aclose()
        return t

    t = anyio.run(main)
    late = threading.Thread(target=link.packet, args=(b"late", None))
    late.start()
    late.join(timeout=10)
    assert not late.is_alive() and t.statistics().dropped == 7
