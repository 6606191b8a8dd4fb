"""A real node for tests of the command line and the members' page: member
keystores made by ``caracol member new``, a Community founded by ``caracol
init`` (with zero deadlines and one co-signer by default, so any member
closes a stage at once), ``caracol run`` in a subprocess on 127.0.0.1, and
``caracol`` commands run against it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.node.test_cli import ENV, free_port, start, stop, wait_up

ROOT = Path(__file__).resolve().parents[2]
QUICK = ("--param", "deadline=0", "--param", "min_duration=0", "--param", "cosign_quorum=1/100")
"""Stages close as soon as a member closes them (tests, not real assemblies)."""


@dataclass
class LiveNode:
    cwd: Path
    url: str = ""
    body: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    """Keystore name (``NAME.key`` in ``cwd``) -> its member key as ck1 text."""
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for every command (a PIN, a witness's passphrase)."""

    def run(self, *args: str, body: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**ENV, "PYTHONPATH": str(ROOT), "CARACOL_NODE": self.url, **self.env}
        env["CARACOL_BODY"] = body or self.body
        return subprocess.run(  # noqa: PLW1510 - the tests read returncode
            [sys.executable, "-m", "node", *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str, body: str | None = None) -> str:
        r = self.run(*args, body=body)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout.strip()

    def fails(self, *args: str) -> str:
        """A command that must fail with exactly one line on stderr."""
        r = self.run(*args)
        assert r.returncode != 0, (args, r.stdout)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        return lines[0]

    def get(self, path: str) -> Any:
        """A view of the body, ``GET /v0/bodies/{body}/{path}``, as JSON."""
        with urllib.request.urlopen(f"{self.url}/v0/bodies/{self.body}/{path}", timeout=10) as r:
            return json.load(r)


@contextmanager
def founded(
    n: LiveNode,
    keystores: Iterable[str],
    founders: Mapping[str, str],
    *,
    params: tuple[str, ...] = QUICK,
) -> Iterator[LiveNode]:
    """Make the keystores, found "Barrio Sur" with ``founders`` (keystore ->
    display name; the first one signs the genesis) and run the node."""
    for m in keystores:
        n.keys[m] = n.ok("member", "new", "--keystore", f"{m}.key")
    (first, first_name), *others = founders.items()
    port = free_port()
    out = n.ok(
        "init", "--config", "n.toml", "--port", str(port), "--found", "Barrio Sur",
        "--founder-keystore", f"{first}.key", "--founder-name", first_name,
        *(a for m, name in others for a in ("--founder", f"{name}={n.keys[m]}")),
        *params,
    )  # fmt: skip
    n.body = out.split("body ")[1].split()[0]
    proc = start(n.cwd, "n.toml")
    try:
        n.url = f"http://127.0.0.1:{port}"
        wait_up(n.url)
        yield n
    finally:
        stop(proc)
