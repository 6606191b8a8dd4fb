"""Every wrong bridge configuration ends with one clear line on stderr
(`caracol mesh: ...`), exit status 1 and no traceback: flags that do not
parse, no radio or two, and a node, body or radio that is not there."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import anyio.to_thread
import pytest
from bridge_world import free_port, nodes, scenario

from node.cli import main
from node.config import Config
from node.runtime import NodeRuntime

BODY = "ab" * 32
NODE = "http://127.0.0.1:9"


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse-level problems exit through SystemExit
        return int(exc.code or 0)


def _check(capsys: pytest.CaptureFixture[str], rc: int, expected: str) -> None:
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "caracol mesh: " in err and expected in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--body", BODY, "--kiss", "h:1"], "--node URL"),
        (["--node", "ftp://x", "--body", BODY, "--kiss", "h:1"], "not an http:// or https:// URL"),
        (["--node", "http://h:99999", "--body", BODY, "--kiss", "h:1"], "bad port"),
        (["--node", NODE, "--kiss", "h:1"], "--body ID"),
        (["--node", NODE, "--body", "xyz", "--kiss", "h:1"], "is not hex"),
        (["--node", NODE, "--body", "abcd", "--kiss", "h:1"], "has 4 hex digits; a body id has 64"),
        (["--node", NODE, "--body", BODY], "give exactly one radio"),
        (
            ["--node", NODE, "--body", BODY, "--kiss", "h:1", "--meshtastic", "h"],
            "got --kiss and --meshtastic",
        ),
        (["--node", NODE, "--body", BODY, "--kiss", "localhost"], "the port is missing"),
        (["--node", NODE, "--body", BODY, "--kiss", ":8001"], "the host is missing"),
        (["--node", NODE, "--body", BODY, "--kiss", "h:0"], "1..65535"),
        (["--node", NODE, "--body", BODY, "--kiss", "h:port"], "1..65535"),
        (["--node", NODE, "--body", BODY, "--kiss", "::1:8001"], "[ADDRESS]:PORT"),
        (["--node", NODE, "--body", BODY, "--meshtastic", "[zz]:4403"], "not an IPv6 address"),
        (["--node", NODE, "--body", BODY, "--kiss", "h:1", "--baud", "9600"], "--kiss-serial only"),
        (["--node", NODE, "--body", BODY, "--kiss-serial", "/dev/nope0"], "no such serial device"),
        (
            ["--node", NODE, "--body", BODY, "--kiss-serial", "/dev/null", "--baud", "fast"],
            "--baud 'fast' is not a number",
        ),
        (["--node", NODE, "--body", BODY, "--meshtastic-serial", "/dev/nope0"], "no such serial"),
        (["--node", NODE, "--body", BODY, "--reticulum", "/nonexistent"], "no Reticulum config"),
        (["--node", NODE, "--body", BODY, "--kiss", "h:1", "--listen"], "--reticulum only"),
        (["--node", NODE, "--body", BODY, "--kiss", "h:1", "--mhz", "871"], "in no EU868 sub-band"),
        (
            ["--node", NODE, "--body", BODY, "--kiss", "h:1", "--mhz", "x"],
            "--mhz 'x' is not a number",
        ),
        (
            ["--node", NODE, "--body", BODY, "--kiss", "h:1", "--status-port", "70000"],
            "--status-port '70000' must be between 0 and 65535",
        ),
        (["--node", NODE, "--body", BODY, "--kiss", "h:1", "--region", "MARS"], "invalid choice"),
    ],
)
def test_bad_flags_are_named(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _check(capsys, _run(["mesh", "bridge", *flags]), expected)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([], "exactly one of --listen or --peer"),
        (["--listen", "--peer", "00" * 16], "exactly one of --listen or --peer"),
        (["--peer", "nothex"], "--peer 'nothex' is not hex"),
        (["--peer", "0011"], "a Reticulum destination hash has 32"),
    ],
)
def test_bad_reticulum_flags_are_named(
    tmp_path: Path, extra: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config").write_text("[reticulum]\n")
    argv = ["mesh", "bridge", "--node", NODE, "--body", BODY, "--reticulum", str(tmp_path)]
    _check(capsys, _run([*argv, *extra]), expected)


def test_an_unreachable_node_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    node = f"http://127.0.0.1:{free_port()}"
    rc = _run(["mesh", "bridge", "--node", node, "--body", BODY, "--kiss", "127.0.0.1:1"])
    _check(capsys, rc, f"cannot reach the node at {node}")


async def _with_node(tmp: Path, argv: list[str], *, found: bool) -> int:
    sc, _ = scenario()
    if found:
        async with nodes(tmp, sc, 1) as (node,):
            args = [a.replace("NODE", node.url).replace("BODY", sc.body.hex()) for a in argv]
            return await anyio.to_thread.run_sync(_run, args)
    async with NodeRuntime(Config(data_dir=tmp / "empty", listen_port=0)) as node:
        args = [a.replace("NODE", node.url).replace("BODY", sc.body.hex()) for a in argv]
        return await anyio.to_thread.run_sync(_run, args)


def test_a_body_the_node_does_not_hold_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["mesh", "bridge", "--node", "NODE", "--body", "BODY", "--kiss", "127.0.0.1:1"]
    _check(capsys, asyncio.run(_with_node(tmp_path, argv, found=False)), "holds no body")


@pytest.mark.parametrize(
    ("radio", "expected"),
    [
        ("--kiss", "cannot reach the KISS TNC at 127.0.0.1:"),
        ("--meshtastic", "cannot reach the Meshtastic device at 127.0.0.1:"),
    ],
)
def test_an_unreachable_radio_is_named(
    tmp_path: Path, radio: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["mesh", "bridge", "--node", "NODE", "--body", "BODY", radio, f"127.0.0.1:{free_port()}"]
    _check(capsys, asyncio.run(_with_node(tmp_path, argv, found=True)), expected)


def test_a_status_port_in_use_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        listener = socket.create_server(("127.0.0.1", 0))  # a TNC that accepts and says nothing
        with listener:
            tnc = listener.getsockname()[1]
            argv = ["mesh", "bridge", "--node", "NODE", "--body", "BODY"]
            argv += ["--kiss", f"127.0.0.1:{tnc}", "--status-port", str(port)]
            rc = asyncio.run(_with_node(tmp_path, argv, found=True))
    _check(capsys, rc, f"cannot serve the status on 127.0.0.1:{port}")


def test_status_without_a_bridge_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    _check(capsys, _run(["mesh", "status", "--bridge", url]), f"no bridge answers at {url}/status")


def test_a_radio_that_goes_away_ends_the_bridge_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A TNC that accepts the connection and then closes it."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        tnc = listener.getsockname()[1]

        def accept_and_hang_up() -> None:
            conn, _ = listener.accept()
            conn.close()

        closer = threading.Thread(target=accept_and_hang_up, daemon=True)
        closer.start()
        argv = ["mesh", "bridge", "--node", "NODE", "--body", "BODY"]
        argv += ["--kiss", f"127.0.0.1:{tnc}", "--status-port", "0", "--seconds", "20"]
        rc = asyncio.run(_with_node(tmp_path, argv, found=True))
        closer.join(5)
    _check(capsys, rc, f"the KISS TNC at 127.0.0.1:{tnc} closed the connection")
