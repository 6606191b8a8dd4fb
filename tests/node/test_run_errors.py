"""``caracol run`` for a newcomer: the addresses a phone can open, and one
clear line (exit 1, no traceback) for a port in use, a host that is not
this machine's, or a data folder that cannot be made."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from node.commands.run import lan_addresses, page_urls
from node.config import Config, render
from tests.node.test_cli import free_port, start, stop, wait_up

ENV = {**os.environ, "CARACOL_PASSPHRASE": "x"}


def run_config(tmp: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    config = Config(**{"data_dir": tmp / "data", **kw})  # type: ignore[arg-type]
    path = tmp / "caracol.toml"
    path.write_text(render(config))
    return subprocess.run(  # noqa: PLW1510 - the test reads returncode
        [sys.executable, "-m", "node", "run", "--config", str(path)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        line = one_line(run_config(tmp_path, listen_host="127.0.0.1", listen_port=port))
    assert f"port {port} on 127.0.0.1 is in use" in line and "caracol.toml" in line


def test_host_not_of_this_machine(tmp_path: Path) -> None:
    line = one_line(run_config(tmp_path, listen_host="203.0.113.99", listen_port=0))
    assert "cannot listen on '203.0.113.99'" in line and "listen_host" in line


def test_data_folder_blocked_by_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    line = one_line(run_config(tmp_path, listen_host="127.0.0.1", listen_port=0))
    assert "data folder" in line and "data_dir" in line


def test_page_urls_name_addresses_a_phone_can_open() -> None:
    assert page_urls(Config(data_dir=Path("d"), listen_host="127.0.0.1"), 8470) == [
        "http://127.0.0.1:8470/"
    ]
    urls = page_urls(Config(data_dir=Path("d"), listen_host="0.0.0.0"), 8470)
    assert urls and not any("0.0.0.0" in u for u in urls)
    assert all(not a.startswith("127.") for a in lan_addresses())


def test_damaged_node_seed(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "node.seed").write_bytes(b"x\n")
    (tmp_path / "data" / "node.seed").chmod(0o600)
    line = one_line(run_config(tmp_path, listen_host="127.0.0.1", listen_port=0))
    assert "node.seed is damaged" in line and "backup" in line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_data_folder_that_cannot_be_made(tmp_path: Path) -> None:
    # /proc holds no folders a user can make, root included
    line = one_line(run_config(tmp_path, data_dir=Path("/proc/caracol-test/data"), listen_port=0))
    assert "cannot make the data folder /proc/caracol-test" in line and "data_dir" in line


def test_run_prints_addresses_a_phone_can_open(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data", listen_host="0.0.0.0", listen_port=free_port())
    (tmp_path / "caracol.toml").write_text(render(config))
    proc = start(tmp_path, "caracol.toml")
    try:
        wait_up(f"http://127.0.0.1:{config.listen_port}")
    finally:
        stop(proc)
    out = (tmp_path / "caracol.toml.out").read_text()
    assert "0.0.0.0" not in out, out
    assert f"listening on every interface, port {config.listen_port}" in out
    pages = [
        line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("members' page")
    ]
    want = [f"http://{a}:{config.listen_port}/" for a in lan_addresses()] or [
        f"http://127.0.0.1:{config.listen_port}/"
    ]
    assert pages == want
    assert "Traceback" not in (tmp_path / "caracol.toml.err").read_text()
