"""The sandbox's state: one SQLite file shared by every emulator, behind one lock.

The emulators answer on a server thread while tests (through the Python handle) seed, reset and expire tokens on
their own; SQLite connections must not be shared across threads without serialising, so there is one connection and
every use takes the lock. Requests are tiny, so contention is not a concern; correctness under threads is.

`snapshot()` copies the seeded database into memory and `restore()` copies it back: a reset between tests costs a
page copy instead of re-parsing two hundred MIME messages.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_ACCOUNTS = """
CREATE TABLE IF NOT EXISTS accounts (
    email TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Database:
    """A SQLite file (or `:memory:`) with the schema of every registered emulator."""

    def __init__(self, path: Path | str, schemas: list[str]) -> None:
        self.path = path
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if isinstance(path, Path):
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # no fsync per commit: a sandbox, not a bank
        self._schemas = [_ACCOUNTS, *schemas]
        self._snapshot: sqlite3.Connection | None = None
        with self._lock:
            for schema in self._schemas:
                self._conn.executescript(schema)  # executescript commits by itself: no BEGIN around it

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, inside BEGIN IMMEDIATE ... COMMIT (rolled back on an exception), under the lock."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def is_empty(self) -> bool:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 0

    def wipe(self) -> None:
        """Drop every row of every table (the schema stays)."""
        with self.transaction() as conn:
            conn.execute("PRAGMA defer_foreign_keys = ON")
            tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                if not table.startswith("sqlite_"):
                    conn.execute(f'DELETE FROM "{table}"')

    def snapshot(self) -> None:
        """Remember the current state (typically right after seeding) for `restore`."""
        with self._lock:
            copy = sqlite3.connect(":memory:", check_same_thread=False)
            self._conn.backup(copy)
            if self._snapshot is not None:
                self._snapshot.close()
            self._snapshot = copy

    def restore(self) -> bool:
        """Put back the state `snapshot` saved; False when there is none."""
        with self._lock:
            if self._snapshot is None:
                return False
            self._snapshot.backup(self._conn)
            return True

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.close()
            self._conn.close()
