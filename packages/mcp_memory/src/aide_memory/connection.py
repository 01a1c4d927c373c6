"""The memory store's connection to its SQLite file, shared safely by every process that opens it.

- WAL mode and a generous busy timeout, and every write in one `BEGIN IMMEDIATE` transaction: writers queue instead
  of failing, readers never block, and a writer killed mid-batch leaves either the whole batch or none of it.
- One connection per thread (tools run in worker threads; a sqlite3 connection must not cross threads), each a
  sqlite-utils `Database`. Writes are plain SQL inside our own transaction: sqlite-utils' write helpers commit on
  their own, which would split a batch.
- Opening the file uses core's store helpers (`aide_core.stores`: private modes, a clear error for a damaged or
  locked file, refusing a newer schema); the schema is `schema.py`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aide_core.stores import check_schema, connect, is_unusable, unavailable, use_wal
from aide_memory.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite_utils  # ~280 ms to import (it brings click and more): loaded when the database is first opened

BUSY_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Scope:
    """Whose memories: every query is scoped to (user, namespace); no method reads across scopes."""

    user: str
    namespace: str = ""


class Connection:
    """One SQLite file: a connection per thread, migrated on first use, and the write transaction."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock  # every time the store writes or compares comes from here (tests pass their own)
        self._local = threading.local()
        self._init_lock = threading.Lock()
        self._migrated = False

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection, opened (private file modes, checked readable, migrated) on first use. A damaged,
        unreadable or locked file is a `StoreUnavailable` naming it (see `aide_core.stores`)."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            import sqlite_utils

            connection = connect(self.path, what="memory", timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA foreign_keys=ON")
                connection.row_factory = sqlite3.Row
                db = sqlite_utils.Database(connection)
                self._migrate(db)
            except BaseException as exc:
                connection.close()  # not kept: the next call opens and migrates again
                if is_unusable(exc):
                    raise unavailable(self.path, "memory", exc) from None
                raise
            self._local.db = db
        return db

    def _migrate(self, db: sqlite_utils.Database) -> None:
        with self._init_lock:
            if self._migrated:
                return
            use_wal(db.conn)
            with self._write(db):
                version = db.execute("PRAGMA user_version").fetchone()[0]
                check_schema(version, SCHEMA_VERSION, self.path, "memory", "aide-memory")
                for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                    migration(db)
                    db.execute(f"PRAGMA user_version={number}")
            self._migrated = True

    @contextmanager
    def _write(self, db: sqlite_utils.Database | None = None) -> Iterator[sqlite_utils.Database]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so a busy database makes us wait
        (busy_timeout) instead of failing half-way with "database is locked"."""
        db = db or self.db
        with self._failing_clearly():
            db.execute("BEGIN IMMEDIATE")
        try:
            with self._failing_clearly():
                yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        with self._failing_clearly():
            db.execute("COMMIT")

    @contextmanager
    def _failing_clearly(self) -> Iterator[None]:
        """A statement that fails because of the file (damaged, locked past the busy timeout, read-only) becomes a
        `StoreUnavailable` naming it; one that fails because of the statement stays what it is (a bug)."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if is_unusable(exc):
                raise unavailable(self.path, "memory", exc) from None
            raise

    def close(self) -> None:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None
