"""A light install (issue 18.8): the core packages run a node; radios and
paper are extras (``caracol[mesh]``, ``caracol[paper]``), and a command that
needs one says which, in one line, instead of failing on an import.

Each test runs a fresh interpreter in which the extras' libraries (and the
test tools) cannot be imported, as on a node installed with ``scripts/setup``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXTRAS_AND_TOOLS = (
    "segno", "zxingcpp", "PIL",  # paper
    "meshtastic", "google", "RNS", "LXMF", "serial", "trio",  # mesh
    "pytest", "hypothesis", "playwright",  # dev
)  # fmt: skip
PRELUDE = (
    "import sys\n"
    f"for name in {EXTRAS_AND_TOOLS!r}:\n"
    "    sys.modules[name] = None  # importing it raises ModuleNotFoundError\n"
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_module_of_the_cores_and_the_node_imports_without_the_extras() -> None:
    done = _python(
        "import importlib, pkgutil\n"
        "for package in ('protocol', 'crdt', 'node'):\n"
        "    root = importlib.import_module(package)\n"
        "    for info in pkgutil.walk_packages(root.__path__, package + '.'):\n"
        "        if not info.name.endswith('__main__'):\n"
        "            importlib.import_module(info.name)\n"
        "print('ok')\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def _caracol(*argv: str) -> subprocess.CompletedProcess[str]:
    return _python("from node.cli import main\nsys.exit(main(sys.argv[1:]))\n", *argv)


def test_scanning_paper_without_the_paper_extra_names_it(tmp_path: Path) -> None:
    done = _caracol("mesh", "scan", str(tmp_path / "photo.png"), "--config", "x.toml")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "'paper' extra" in done.stderr and "caracol[paper]" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_radio_without_the_mesh_extra_names_it_before_anything_is_opened() -> None:
    body = "00" * 32
    for radio in (["--meshtastic", "127.0.0.1:9"], ["--reticulum", "/nonexistent"]):
        done = _caracol("mesh", "bridge", *radio, "--node", "http://127.0.0.1:9", "--body", body)
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1, done.stderr
        assert "'mesh' extra" in done.stderr and "caracol[mesh]" in done.stderr
