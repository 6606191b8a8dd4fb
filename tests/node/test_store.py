"""The SQLite store: durable before acknowledged, survives SIGKILL, migrates."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from node.errors import StoreError
from node.store import SCHEMA_VERSION, Store

BODY = hashlib.sha256(b"body").digest()


def _msg(i: int) -> tuple[bytes, bytes]:
    raw = b"message %d " % i + bytes(100)
    return hashlib.sha256(raw).digest(), raw


def test_messages_round_trip_in_arrival_order(tmp_path: Path) -> None:
    with Store(tmp_path / "n.sqlite3") as s:
        assert s.add_body(BODY, b"genesis", now=1)
        assert not s.add_body(BODY, b"genesis", now=2)
        assert s.add_messages(BODY, [_msg(i) for i in range(5)], now=3, origin="api") == 5
        assert s.add_messages(BODY, [_msg(3), _msg(5)], now=4, origin="gossip") == 1
        assert [raw for _, raw in s.messages(BODY)] == [_msg(i)[1] for i in range(6)]
        assert s.count_messages(BODY) == 6
        assert s.get_message(_msg(2)[0]) == _msg(2)[1]
        assert s.get_message(bytes(32)) is None


def test_pending_survives_restart_and_leaves_when_accepted(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    with Store(path) as s:
        s.add_body(BODY, b"g", now=1)
        mid, raw = _msg(7)
        s.add_pending(BODY, mid, raw, now=2, origin="peer")
    with Store(path) as s:
        assert s.pending(BODY) == [raw]
        s.add_messages(BODY, [(mid, raw)], now=3, origin="peer")
        assert s.pending(BODY) == []


def test_rejections_are_kept_bounded_with_their_reason(tmp_path: Path) -> None:
    with Store(tmp_path / "n.sqlite3") as s:
        s.record_rejection(
            BODY, b"\x00" * 1000, "bad_signature", "does not verify", now=5, origin="peer x"
        )
        (r,) = s.rejections()
        assert r["code"] == "bad_signature" and r["origin"] == "peer x"


def test_a_newer_schema_is_refused_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this"):
        Store(path)


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        Store(path)


_WRITER = textwrap.dedent(
    """
    import hashlib, sys
    from node.store import Store
    body = hashlib.sha256(b"body").digest()
    s = Store(sys.argv[1])
    s.add_body(body, b"g", now=0)
    start = int(sys.argv[2])
    i = start
    while True:
        batch = []
        for _ in range(int(sys.argv[3])):
            raw = b"message %d " % i + bytes(100)
            batch.append((hashlib.sha256(raw).digest(), raw))
            i += 1
        s.add_messages(body, batch, now=i, origin="crash")
        # acknowledged only after the commit returned
        sys.stdout.write("%d\\n" % (i - 1))
        sys.stdout.flush()
    """
)


def test_sigkill_while_ingesting_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    rng = random.Random(1)
    acked = -1
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for _round in range(30):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), str(acked + 1), str(rng.randint(1, 20))],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout is not None
        deadline = time.monotonic() + 10
        want = rng.randint(3, 40)
        lines = 0
        while lines < want and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked = int(line)
            lines += 1
        proc.send_signal(signal.SIGKILL)
        # anything already written to the pipe was acknowledged too
        for line in proc.stdout.read().splitlines():
            acked = max(acked, int(line))
        proc.wait()
        proc.stdout.close()
        with Store(path) as s:
            assert s.integrity_check() == "ok"
            for i in range(acked + 1):
                assert s.get_message(_msg(i)[0]) == _msg(i)[1], f"acknowledged message {i} lost"
            acked = max(acked, s.count_messages(BODY) - 1)
