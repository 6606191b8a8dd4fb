"""The writer of tests/node/test_power_loss.py, run as a separate process
(so an LD_PRELOAD shim can log its fsyncs): ingests a chain of messages in
random batches through ``Ingest.submit`` while a thread copies the database
and its WAL at random moments, mid-write. Each snapshot records how many
batches were acknowledged (``submit`` returned) before the copy began.

    python tests/node/powerloss_writer.py DATA_DIR BATCHES SEED
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import threading
import time
from pathlib import Path

from crdt.sim import make_genesis, seed_for
from node.ingest import Ingest, Status
from node.store import Store
from protocol import envelope, kinds

MEMBERS = [seed_for(f"power{i}") for i in range(3)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body


def chain(n: int) -> list[envelope.Envelope]:
    out, parent = [], GENESIS.id
    for i in range(n):
        who = i % 3
        seq = i // 3 + (2 if who == 0 else 1)
        e = envelope.sign(
            MEMBERS[who],
            BODY,
            kinds.Comment(BODY, None, kinds.Stance.NEUTRAL, f"p{i} " + "w" * 300),
            parents=[parent],
            seq=seq,
            time=i,
        )
        out.append(e)
        parent = e.id
    return out


def main() -> None:
    data, batches, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    db = data / "caracol.sqlite3"
    wal = Path(str(db) + "-wal")
    sizes = [rng.randint(1, 8) for _ in range(batches)]
    msgs = chain(sum(sizes))
    acked: list[str] = []  # message ids, in order of acknowledgement
    lock = threading.Lock()
    done = threading.Event()
    snapshots: list[dict[str, object]] = []

    def snapshotter() -> None:
        k = 0
        srng = random.Random(seed + 1)
        while not done.is_set():
            time.sleep(srng.uniform(0.0, 0.01))
            with lock:
                n_acked = len(acked)
            # the last fsync of the WAL that returned before the copy began
            # (logged by the test's LD_PRELOAD shim, if any)
            log = Path(os.environ.get("FSYNC_LOG", "/nonexistent"))
            synced = log.read_text().split() if log.exists() else []
            durable = int(synced[-1]) if synced else 0
            out = data / f"snap{k:03d}"
            out.mkdir()
            # the WAL first: the database file does not change during the run
            # (no checkpoint: the test keeps the WAL under wal_autocheckpoint)
            shutil.copyfile(wal, out / "caracol.sqlite3-wal")
            shutil.copyfile(db, out / "caracol.sqlite3")
            snapshots.append({"dir": out.name, "acked": n_acked, "durable": durable})
            k += 1

    with Store(db) as store:
        ingest = Ingest(store)
        ingest.found(GENESIS.raw, origin="test")
        thread = threading.Thread(target=snapshotter)
        thread.start()
        i = 0
        for size in sizes:
            batch = msgs[i : i + size]
            outcomes = ingest.submit(BODY, [m.raw for m in batch], origin="api")
            assert all(o.status is Status.ACCEPTED for o in outcomes), outcomes
            with lock:
                acked.extend(m.id.hex() for m in batch)
            i += size
        done.set()
        thread.join()
        (data / "run.json").write_text(json.dumps({"acked": acked, "snapshots": snapshots}))


if __name__ == "__main__":
    main()
