"""A node killed with SIGKILL while ingesting a stream of messages restarts
with every acknowledged message present and its database intact."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from test_cli import free_port, wait_up

from crdt.sim import make_genesis, seed_for
from node.config import Config, render
from node.store import Store
from protocol import envelope, kinds

MEMBERS = [seed_for(f"crash{i}") for i in range(3)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body


def chain(n: int) -> list[envelope.Envelope]:
    out = []
    parent = GENESIS.id
    for i in range(n):
        who = i % 3
        seq = i // 3 + (2 if who == 0 else 1)
        e = envelope.sign(
            MEMBERS[who],
            BODY,
            kinds.Comment(BODY, None, kinds.Stance.NEUTRAL, f"c{i}"),
            parents=[parent],
            seq=seq,
            time=i,
        )
        out.append(e)
        parent = e.id
    return out


def post(url: str, msgs: list[envelope.Envelope]) -> list[str]:
    req = urllib.request.Request(
        f"{url}/v0/bodies/{BODY.hex()}/messages",
        data=json.dumps({"messages": [m.raw.hex() for m in msgs]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return [x["status"] for x in json.loads(r.read())["results"]]


def test_sigkill_during_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    config = Config(data_dir=tmp_path / "data", listen_port=port)
    (tmp_path / "n.toml").write_text(render(config))
    config.data_dir.mkdir()
    with Store(config.database) as store:
        from node.ingest import Ingest

        Ingest(store).found(GENESIS.raw, origin="test")
    msgs = chain(600)
    url = f"http://127.0.0.1:{port}"
    acked: set[bytes] = set()
    rng = random.Random(3)
    next_i = 0
    for _round in range(5):
        log = open(tmp_path / "node.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "node", "run", "--config", "n.toml"],
            cwd=tmp_path,
            stdout=log,
            stderr=log,
            env={**os.environ},
        )
        log.close()
        try:
            wait_up(url)
            stop_at = time.monotonic() + rng.uniform(0.2, 0.8)
            killer = threading.Timer(
                max(0.0, stop_at - time.monotonic()), proc.send_signal, (signal.SIGKILL,)
            )
            killer.start()
            try:
                while next_i < len(msgs):
                    batch = msgs[next_i : next_i + rng.randint(1, 8)]
                    try:
                        statuses = post(url, batch)
                    except OSError:
                        break  # the node died mid-request: that batch was not acknowledged
                    assert all(s in ("accepted", "duplicate") for s in statuses), statuses
                    acked.update(m.id for m in batch)
                    next_i += len(batch)
            finally:
                killer.cancel()
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        with Store(config.database) as store:
            assert store.integrity_check() == "ok"
            missing = [m for m in acked if not store.has_message(m)]
            assert not missing, f"{len(missing)} acknowledged messages lost"
            # resume after what is really stored (unacknowledged but stored is fine)
            while next_i < len(msgs) and store.has_message(msgs[next_i].id):
                next_i += 1
    assert len(acked) > 20


def test_scripts_soak_prints_kills_acknowledged_and_lost() -> None:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [str(root / "scripts/soak"), "--kills", "2", "--seed", "4"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["kills"] == 2 and result["lost"] == 0, result
    assert result["acknowledged"] > 20, result
