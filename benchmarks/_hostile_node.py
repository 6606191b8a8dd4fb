"""The honest node of ``caracol bench hostile`` and the Community it holds.

The Community (its genesis, a proposal, the members and which part each
plays, a second and quiet body), the messages the attacks send (members'
comments, strangers', orphans, forgeries) and ``HonestNode``: ``caracol
run`` in a subprocess on 127.0.0.1, founded with that Community, whose
memory (VmRSS, VmHWM), open descriptors and logged exceptions the attacks
read, and which the kill case SIGKILLs and restarts.

One of the modules of benchmarks/hostile.py (issue 18.6), named with a
leading underscore so that benchmarks.runner takes it for no topic; the
test suite (tests/node/test_hostile_suite.py) starts its node from here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from crdt.sim import make_genesis, seed_for
from node.config import Config, Peer, render
from node.ingest import Ingest
from node.store import Store
from protocol import envelope, kinds
from protocol.keys import key_from_text, key_to_text, public_key

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = [seed_for(f"hostile{i}") for i in range(6)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body
PROPOSAL = envelope.sign(
    MEMBERS[0],
    BODY,
    kinds.Proposal("Fix the well", "Before the dry season.", "", None, None),
    parents=[GENESIS.id],
    seq=2,
    time=10,
)
QUIET = make_genesis([seed_for("hostile quiet")], time=1_790_000_001)
"""A second body the node holds, where nothing is ever posted."""
HOSTILE_SEED = seed_for("hostile peer")
PEER_NAME = "hostile"
HONEST, CHAIN_AUTHOR, EQUIVOCATOR, CONTROL, FORGED_AUTHOR = 1, 2, 3, 4, 5
"""Which of MEMBERS plays which part."""
ORPHAN_CAP = 2000
"""crdt.log.Log's ``max_pending_per_source``: one peer's share of the pending area."""


# --- messages ---------------------------------------------------------------------------


def comment(who: int, seq: int, text: str, parent: bytes = PROPOSAL.id) -> envelope.Envelope:
    return envelope.sign(
        MEMBERS[who],
        BODY,
        kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, text),
        parents=[parent],
        seq=seq,
        time=100 + seq,
    )


def chain(n: int, size: int) -> list[envelope.Envelope]:
    """``n`` comments of about ``size`` bytes by one member, each the next's parent."""
    out, parent = [], PROPOSAL.id
    for i in range(n):
        e = comment(CHAIN_AUTHOR, i + 1, f"{i:06d} " + "w" * size, parent)
        out.append(e)
        parent = e.id
    return out


def stranger(i: int, seq: int, size: int) -> envelope.Envelope:
    """A valid message by a key the body does not know."""
    return envelope.sign(
        hashlib.sha256(b"stranger %d" % i).digest(),
        BODY,
        kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, f"{i}/{seq} " + "s" * size),
        parents=[PROPOSAL.id],
        seq=seq,
        time=5000 + seq,
    )


def orphans(n: int, tag: bytes = b"orphan") -> list[envelope.Envelope]:
    """Validly signed messages whose parents exist nowhere."""
    seed = hashlib.sha256(tag).digest()
    return [
        envelope.sign(
            seed,
            BODY,
            kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, "o" * 100),
            parents=[hashlib.sha256(tag + b"%d" % i).digest()],
            seq=i + 1,
            time=7000 + i,
        )
        for i in range(n)
    ]


def forgeries(n: int) -> list[bytes]:
    """A member's messages with one bit flipped: half in the signature, half
    in the signed text (so decoding succeeds and only verification fails)."""
    out = []
    for i in range(n):
        raw = bytearray(comment(FORGED_AUTHOR, 1000 + i, f"forged {i:05d}").raw)
        raw[-1 if i % 2 else -(envelope.SIGNATURE_BYTES + 1)] ^= 0x01
        out.append(bytes(raw))
    return out


def state_hash(ids: list[bytes]) -> bytes:
    """crdt.log.Log.state_hash over ids in replay order (spec/dag.md)."""
    return hashlib.sha256(b"caracol/0 log\x00" + BODY + b"".join(ids)).digest()


# --- the honest node ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_nofile(wanted: int) -> int:
    """Raise this process's soft open-files limit towards ``wanted``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class HonestNode:
    """``caracol run`` in a subprocess, founded with the Community above and
    pinning the hostile peer's key (its address leads nowhere: the node's
    dials fail and back off; the hostile peer dials in)."""

    def __init__(
        self,
        root: Path,
        *,
        chain_length: int = 300,
        chain_bytes: int = 1900,
        nofile: int | None = 1024,
        limits: dict[str, Any] | None = None,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        known = {f.name for f in dataclasses.fields(Config)}
        self.config = Config(
            data_dir=root / "data",
            listen_port=self.port,
            node_name="honest",
            peers=(Peer(PEER_NAME, "http://127.0.0.1:9", key_to_text(public_key(HOSTILE_SEED))),),
            sync_interval=3600.0,
            backoff_max=3600.0,
            # each attack is measured on its own: the penalty a misbehaving
            # peer waits out (spec/node.md) would refuse the next attack's
            # links; tests/node/test_gossip.py checks the penalty itself
            peer_penalty=0.0,
            log_level="warning",
            # a limit this node's Config lacks is left out (the suite can
            # then run against a node/ from before the limit existed)
            **{k: v for k, v in (limits or {}).items() if k in known},
        )
        self.chain = chain(chain_length, chain_bytes)
        self.honest = [GENESIS, PROPOSAL, *self.chain]
        """Every honest message the node should hold, acknowledged ones appended."""
        self.nofile = nofile
        self.proc: subprocess.Popen[bytes] | None = None
        self.node_key = b""
        self.kills = 0
        self.peak_hwm_kb = 0
        self.member_seq = 0
        self.member_parent = PROPOSAL.id
        """The honest member's last sequence number and message (HonestMember)."""

    def found(self) -> None:
        self.config.data_dir.mkdir(parents=True)
        (self.root / "node.toml").write_text(render(self.config))
        with Store(self.config.database) as store:
            ingest = Ingest(store)
            ingest.found(GENESIS.raw, origin="bench")
            ingest.submit(BODY, [PROPOSAL.raw, *(e.raw for e in self.chain)], origin="bench")
            ingest.found(QUIET.raw, origin="bench")

    def _limit(self) -> None:  # in the child, before exec
        if self.nofile is not None:
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(self.nofile, hard), hard))

    def start(self) -> None:
        if not self.config.data_dir.exists():
            self.found()
        with open(self.root / "node.err", "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "node", "run", "--config", "node.toml"],
                cwd=self.root,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL,
                stderr=err,
                preexec_fn=self._limit,  # noqa: PLW1509 - only setrlimit, before exec
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /v0/node HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    data = b""
                    while chunk := s.recv(65536):
                        data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                if head.startswith(b"HTTP/1.1 200"):
                    self.node_key = key_from_text(json.loads(body)["node_key"])
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"the node exited: {self.errors_text()[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("the node did not come up")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def memory(self) -> dict[str, float]:
        """VmRSS and VmHWM (the peak since start) in MB, and open descriptors."""
        assert self.proc is not None
        pid = self.proc.pid
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            return {"rss_mb": 0.0, "hwm_mb": self.peak_hwm_kb / 1024, "fds": 0}
        kb = {
            line.split(":")[0]: int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
        self.peak_hwm_kb = max(self.peak_hwm_kb, kb.get("VmHWM", 0))
        return {"rss_mb": kb.get("VmRSS", 0) / 1024, "hwm_mb": self.peak_hwm_kb / 1024, "fds": fds}

    def errors_text(self) -> str:
        try:
            return (self.root / "node.err").read_text(errors="replace")
        except OSError:
            return ""

    def unhandled(self) -> int:
        """Unhandled exceptions aiohttp logged (a handler that raised)."""
        text = self.errors_text()
        return text.count("Error handling request") + text.count("Traceback")

    def kill(self) -> None:
        assert self.proc is not None
        self.memory()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.memory()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> HonestNode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
