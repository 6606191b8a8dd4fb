"""The node's durable store: one SQLite file, WAL, one writer.

Why this shape. A node runs on a Raspberry Pi with an SD card and no UPS.
A message is acknowledged only after the transaction holding it has
committed with ``synchronous=FULL`` (so a power cut loses nothing
acknowledged), and writes are batched (one transaction per batch of
messages) because every commit costs SD-card wear and an fsync. The store
keeps only exact wire bytes; everything else (the DAG, the process state)
is derived by replaying them, so a damaged index can always be rebuilt and
there is one source of truth.

Pending messages (parents not yet known) are stored too, in their own
table, so they survive a restart. Schema changes are numbered migrations
applied in order inside a transaction; a database from a newer version is
refused rather than guessed at.

The store is synchronous (``sqlite3``); the runtime calls it from one worker
thread (see ``node.runtime``), which makes it the single writer. One
process writes a database at a time: a writer holds an exclusive lock on
the file (``flock``, released by the kernel however the process ends), and
a second writer is refused with ``StoreLocked``; readers (``writer=False``)
open it read-only beside a running node, which WAL allows.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import StoreError, StoreLocked

SCHEMA_VERSION = 1

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE bodies (
               body BLOB PRIMARY KEY CHECK (length(body) = 32),
               genesis BLOB NOT NULL,
               added INTEGER NOT NULL
           ) WITHOUT ROWID""",
        """CREATE TABLE messages (
               seq INTEGER PRIMARY KEY AUTOINCREMENT,
               body BLOB NOT NULL REFERENCES bodies(body),
               id BLOB NOT NULL UNIQUE CHECK (length(id) = 32),
               raw BLOB NOT NULL,
               received INTEGER NOT NULL,
               origin TEXT NOT NULL
           )""",
        "CREATE INDEX messages_body ON messages(body, seq)",
        """CREATE TABLE pending (
               id BLOB PRIMARY KEY CHECK (length(id) = 32),
               body BLOB NOT NULL,
               raw BLOB NOT NULL,
               received INTEGER NOT NULL,
               origin TEXT NOT NULL
           ) WITHOUT ROWID""",
        "CREATE INDEX pending_body ON pending(body)",
        """CREATE TABLE rejections (
               seq INTEGER PRIMARY KEY AUTOINCREMENT,
               body BLOB,
               raw_prefix BLOB NOT NULL,
               code TEXT NOT NULL,
               reason TEXT NOT NULL,
               origin TEXT NOT NULL,
               at INTEGER NOT NULL
           )""",
        """CREATE TABLE settings (
               key TEXT PRIMARY KEY,
               value BLOB NOT NULL
           ) WITHOUT ROWID""",
    ),
}

MAX_REJECTIONS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class StoredMessage:
    body: bytes
    id: bytes
    raw: bytes
    received: int
    origin: str


class Store:
    """A node's SQLite database. Not thread-safe: one owner thread."""

    def __init__(self, path: str | Path, *, create: bool = True, writer: bool = True) -> None:
        self.path = Path(path)
        self.writer = writer
        self._lock: int | None = None
        if (not create or not writer) and not self.path.exists():
            raise StoreError(f"no database at {self.path}")
        if writer:
            self._lock = self._take_lock()
        try:
            if writer:
                self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
            else:
                self._db = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro",
                    uri=True,
                    isolation_level=None,
                    check_same_thread=False,
                )
                self._db.execute("PRAGMA query_only=ON")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            # Fewer, larger checkpoints: less SD wear; the WAL stays bounded.
            self._db.execute("PRAGMA wal_autocheckpoint=2000")
            if writer:
                self._migrate()
            elif self._version() != SCHEMA_VERSION:
                raise StoreError(
                    f"database {self.path} has schema version {self._version()}, this "
                    f"Caracol reads {SCHEMA_VERSION}; start the node once to migrate it"
                )
        except sqlite3.DatabaseError as exc:
            self._release()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        except BaseException:
            self._release()
            raise

    def _take_lock(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreLocked(
                f"{self.path} is being written by another process (a running caracol "
                "node, or an import): one writer at a time"
            ) from None
        return fd

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the lock
            self._lock = None

    # --- schema -----------------------------------------------------------------

    def _version(self) -> int:
        row = self._db.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        current = self._version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} has schema version {current}, newer than this "
                f"Caracol ({SCHEMA_VERSION}); upgrade Caracol instead of downgrading the data"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _MIGRATIONS[version]:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {version}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return self._version()

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            self._release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def integrity_check(self) -> str:
        row = self._db.execute("PRAGMA integrity_check").fetchone()
        return str(row[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction (one commit, one fsync) for everything written
        inside; nested uses join the outer one. Without it each statement
        commits on its own: a batch of 1,000 orphans cost 2,000 fsyncs, and
        the one store thread every member waits on spent seconds on them."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- bodies -----------------------------------------------------------------

    def add_body(self, body: bytes, genesis_raw: bytes, now: int) -> bool:
        cur = self._db.execute(
            "INSERT OR IGNORE INTO bodies(body, genesis, added) VALUES (?, ?, ?)",
            (body, genesis_raw, now),
        )
        return cur.rowcount == 1

    def bodies(self) -> list[tuple[bytes, bytes]]:
        """(body id, genesis bytes) for every body held, oldest first."""
        rows = self._db.execute("SELECT body, genesis FROM bodies ORDER BY added, body")
        return [(bytes(b), bytes(g)) for b, g in rows]

    # --- messages -----------------------------------------------------------------

    def add_messages(
        self,
        body: bytes,
        messages: Iterable[tuple[bytes, bytes]],
        *,
        now: int,
        origin: str,
    ) -> int:
        """Store accepted messages (id, raw) durably in ONE transaction and
        drop them from pending. Returns how many were new. When this returns,
        they are on disk: only then may the node acknowledge them."""
        batch = list(messages)
        if not batch:
            return 0
        with self.transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO messages(body, id, raw, received, origin) "
                "VALUES (?, ?, ?, ?, ?)",
                [(body, mid, raw, now, origin) for mid, raw in batch],
            )
            added = self._db.total_changes - before
            self._db.executemany("DELETE FROM pending WHERE id = ?", [(mid,) for mid, _ in batch])
        return added

    def has_message(self, mid: bytes) -> bool:
        row = self._db.execute("SELECT 1 FROM messages WHERE id = ?", (mid,)).fetchone()
        return row is not None

    def get_message(self, mid: bytes) -> bytes | None:
        row = self._db.execute("SELECT raw FROM messages WHERE id = ?", (mid,)).fetchone()
        return None if row is None else bytes(row[0])

    def messages(self, body: bytes, *, after: int = 0) -> Iterator[tuple[int, bytes]]:
        """(store sequence, raw) of a body's messages in arrival order, for
        replay at start-up; streamed, not loaded at once."""
        cur = self._db.execute(
            "SELECT seq, raw FROM messages WHERE body = ? AND seq > ? ORDER BY seq",
            (body, after),
        )
        for seq, raw in cur:
            yield int(seq), bytes(raw)

    def count_messages(self, body: bytes | None = None) -> int:
        if body is None:
            row = self._db.execute("SELECT count(*) FROM messages").fetchone()
        else:
            row = self._db.execute(
                "SELECT count(*) FROM messages WHERE body = ?", (body,)
            ).fetchone()
        return int(row[0])

    # --- pending ------------------------------------------------------------------

    def add_pending(self, body: bytes, mid: bytes, raw: bytes, *, now: int, origin: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO pending(id, body, raw, received, origin) VALUES (?, ?, ?, ?, ?)",
            (mid, body, raw, now, origin),
        )

    def remove_pending(self, mids: Iterable[bytes]) -> None:
        self._db.executemany("DELETE FROM pending WHERE id = ?", [(m,) for m in mids])

    def pending(self, body: bytes) -> list[bytes]:
        return [raw for raw, _origin in self.pending_with_origins(body)]

    def pending_with_origins(self, body: bytes) -> list[tuple[bytes, str]]:
        """The body's pending messages and where each came from (``peer
        NAME`` for gossip), oldest first: a restart bounds each peer's
        share of the pending area again."""
        rows = self._db.execute(
            "SELECT raw, origin FROM pending WHERE body = ? ORDER BY received, id", (body,)
        )
        return [(bytes(r[0]), str(r[1])) for r in rows]

    # --- rejections (the audit trail of what was refused, bounded) ---------------

    def record_rejection(
        self, body: bytes | None, raw: bytes, code: str, reason: str, *, now: int, origin: str
    ) -> None:
        self._db.execute(
            "INSERT INTO rejections(body, raw_prefix, code, reason, origin, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (body, raw[:256], code, reason, origin, now),
        )
        self._db.execute(
            "DELETE FROM rejections WHERE seq <= (SELECT max(seq) FROM rejections) - ?",
            (MAX_REJECTIONS_KEPT,),
        )

    def record_rejections(
        self, rows: Iterable[tuple[bytes | None, bytes, str, str]], *, now: int, origin: str
    ) -> None:
        """Record many refusals (body, raw, code, reason) in ONE transaction:
        a flood of refused messages costs one commit per batch, not one each."""
        batch = list(rows)
        if not batch:
            return
        with self.transaction():
            for body, raw, code, reason in batch:
                self.record_rejection(body, raw, code, reason, now=now, origin=origin)

    def rejections(self, limit: int = 100) -> list[dict[str, object]]:
        rows = self._db.execute(
            "SELECT body, code, reason, origin, at FROM rejections ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
        return [
            {
                "body": None if b is None else bytes(b).hex(),
                "code": c,
                "reason": r,
                "origin": o,
                "at": a,
            }
            for b, c, r, o, a in rows
        ]

    # --- settings -------------------------------------------------------------------

    def get_setting(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_setting(self, key: str, value: bytes) -> None:
        self._db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
