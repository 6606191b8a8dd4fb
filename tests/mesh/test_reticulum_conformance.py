"""Reticulum passes the transport conformance suite over a real RNS Link.

Two processes (RNS allows one instance per process): an echo peer that
sends every frame back, and a checker that runs ``check_transport(t, t)``
against it under trio, then closes the link; the echo sees the close as the
end of its stream and reports the link DOWN.
"""

from __future__ import annotations

from pathlib import Path

from rns_harness import Proc, free_port, processes


def test_reticulum_link_conforms(tmp_path: Path) -> None:
    port = free_port()
    with processes() as procs:
        echo = Proc(
            [
                "-m",
                "mesh.reticulum_node",
                "--dir",
                str(tmp_path / "rns-echo"),
                "--listen",
                str(port),
                "--echo",
            ]
        )
        procs.append(echo)
        dest = echo.expect("destination ", timeout=20).split()[1]
        checker = Proc(
            [
                "tests/mesh/reticulum_check.py",
                "--dir",
                str(tmp_path / "rns-check"),
                "--connect",
                str(port),
                "--peer",
                dest,
            ]
        )
        procs.append(checker)
        ok = checker.expect("conformance ok", timeout=40)
        assert "frames_sent 5 frames_received 5" in ok, ok
        assert "dropped 0" in ok and "rssi None snr None" in ok, ok  # TCP reports no RSSI/SNR
        assert checker.wait(10) == 0, checker.diagnostics()
        closed = echo.expect("echo closed", timeout=15)
        assert closed == "echo closed frames 5 dropped 0 state down", closed
        assert echo.wait(10) == 0, echo.diagnostics()
