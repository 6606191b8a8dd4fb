"""The README's member walkthrough, run exactly as written against a real
``caracol run`` on 127.0.0.1: its two shell blocks are read from README.md
(only the port is changed) and run by bash with ``caracol`` meaning this
checkout's ``python -m node``. Then the node's own views are checked: the
proposal carried with the amended text, the mandate adopted, names shown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from node.client import NodeClient
from tests.node.test_cli import ENV, free_port, start, stop, wait_up

ROOT = Path(__file__).resolve().parents[2]


def walkthrough_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A member walkthrough", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2, "the walkthrough has a founding block and a members' block"
    return blocks


def bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a block; shell variables carry over from one block to the next
    (the README's blocks are typed into one terminal)."""
    prelude = f'caracol() {{ "{sys.executable}" -m node "$@"; }}\n'
    prelude += "if [ -f walk.env ]; then source walk.env; fi\n"
    names = sorted(set(re.findall(r"^([A-Z_]+)=", script, re.M)))
    if names:
        script += f"\ndeclare -p {' '.join(names)} > walk.env\n"
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(ROOT), ENV.get("PYTHONPATH", "")])}
    env.pop("CARACOL_NODE", None)
    env.pop("CARACOL_BODY", None)
    return subprocess.run(  # noqa: PLW1510 - the test reads returncode
        ["bash", "-euo", "pipefail", "-x", "-c", prelude + script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_readme_walkthrough(tmp_path: Path) -> None:
    port = free_port()
    found, members = (b.replace("8470", str(port)) for b in walkthrough_blocks())
    r = bash(found, tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    node = start(tmp_path, "norte.toml")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url)
        r = bash(members, tmp_path)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
        assert "Dev Ortega" in r.stdout and "carried" in r.stdout
        client = NodeClient(url)
        (body,) = client.bodies()
        b = body["id"]
        (p,) = client.get(f"/v0/bodies/{b}/proposals")["proposals"]
        view = client.get(f"/v0/bodies/{b}/proposals/{p['id']}")
        assert view["stage"] == "carried"
        assert (
            view["text"]
            == "We plant a garden on the empty lot. Everyone may pick. No tools on Sundays."
        )
        assert [a["status"] for a in view["amendments"]] == ["adopted"]
        (m,) = client.get(f"/v0/bodies/{b}/mandates")["mandates"]
        assert m["status"] == "active" and m["resolution"] == p["id"]
        ignored = client.get(f"/v0/bodies/{b}/evidence")["ignored"]
        assert ignored == [], ignored
    finally:
        stop(node)
