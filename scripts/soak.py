"""scripts/soak: SIGKILL a real node N times while it ingests (see scripts/soak)."""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crdt.sim import make_genesis, seed_for
from node.config import Config, render
from node.ingest import Ingest
from node.store import Store
from protocol import envelope, kinds

MEMBERS = [seed_for(f"soak{i}") for i in range(3)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body


def messages(n: int) -> list[envelope.Envelope]:
    out, parent = [], GENESIS.id
    for i in range(n):
        who = i % 3
        seq = i // 3 + (2 if who == 0 else 1)
        e = envelope.sign(
            MEMBERS[who],
            BODY,
            kinds.Comment(BODY, None, kinds.Stance.NEUTRAL, f"soak {i}"),
            parents=[parent],
            seq=seq,
            time=i,
        )
        out.append(e)
        parent = e.id
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/v0/node", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def post(url: str, msgs: list[envelope.Envelope]) -> list[str]:
    req = urllib.request.Request(
        f"{url}/v0/bodies/{BODY.hex()}/messages",
        data=json.dumps({"messages": [m.raw.hex() for m in msgs]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return [x["status"] for x in json.loads(r.read())["results"]]


def soak(kills: int, seed: int, work: Path) -> dict[str, int]:
    port = free_port()
    config = Config(data_dir=work / "data", listen_port=port)
    (work / "n.toml").write_text(render(config))
    config.data_dir.mkdir()
    with Store(config.database) as store:
        Ingest(store).found(GENESIS.raw, origin="soak")
    rng = random.Random(seed)
    url = f"http://127.0.0.1:{port}"
    # signing is the slow part: sign ahead, 1,000 messages per kill
    msgs = messages(1000 * kills)
    acked: set[bytes] = set()
    lost: set[bytes] = set()
    next_i = done = 0
    for _ in range(kills):
        with open(work / "node.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "node", "run", "--config", "n.toml"],
                cwd=work,
                stdout=log,
                stderr=log,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            )
        try:
            wait_up(url)
            killer = threading.Timer(rng.uniform(0.2, 1.0), proc.send_signal, (signal.SIGKILL,))
            killer.start()
            try:
                while next_i < len(msgs):
                    batch = msgs[next_i : next_i + rng.randint(1, 8)]
                    try:
                        statuses = post(url, batch)
                    except (OSError, urllib.error.URLError):
                        break  # died mid-request: that batch was not acknowledged
                    if not all(s in ("accepted", "duplicate") for s in statuses):
                        raise SystemExit(f"unexpected results {statuses}")
                    acked.update(m.id for m in batch)
                    next_i += len(batch)
            finally:
                proc.wait(timeout=30)  # the kill comes (out of messages: it still comes)
                killer.cancel()
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        done += 1
        with Store(config.database) as store:
            if store.integrity_check() != "ok":
                raise SystemExit("integrity_check failed after a kill")
            lost |= {m for m in acked if not store.has_message(m)}
            while next_i < len(msgs) and store.has_message(msgs[next_i].id):
                next_i += 1
    return {"kills": done, "acknowledged": len(acked), "lost": len(lost)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/soak", description=__doc__)
    parser.add_argument("--kills", type=int, required=True, help="how many SIGKILLs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.kills < 1:
        parser.error("--kills must be at least 1")
    with tempfile.TemporaryDirectory(prefix="caracol-soak-") as tmp:
        result = soak(args.kills, args.seed, Path(tmp))
    print(json.dumps(result))
    sys.exit(1 if result["lost"] else 0)


if __name__ == "__main__":
    main()
