"""The sandbox's state: one SQLite file shared by every emulator, behind one lock.

The emulators answer on a server thread while tests (through the Python handle) seed, reset and expire tokens on
their own; SQLite connections must not be shared across threads without serialising, so there is one connection and
every use takes the lock. Requests are tiny, so contention is not a concern; correctness under threads is.

`snapshot()` copies the seeded database into memory and `restore()` copies it back: a reset between tests costs a
page copy instead of re-parsing two hundred MIME messages.

A state that cannot be used (its folder cannot be made or written, its file is not an SQLite database) is a
`StoreUnavailable` naming the folder or the file and what to do, which every command prints as one line.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aide_core.errors import StoreUnavailable

_ACCOUNTS = """
CREATE TABLE IF NOT EXISTS accounts (
    email TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class DamagedState(StoreUnavailable):
    """The state file is there but is not a usable SQLite database: `aide sandbox reset` deletes it and starts over."""


def state_folder(directory: Path) -> None:
    """Create the state folder `directory` when missing; one that cannot be made (a file in its place, no right to
    write there) is a `StoreUnavailable` naming it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unusable(directory, exc.strerror or str(exc), what="state folder") from None


def unusable(path: Path, reason: str, *, what: str = "state") -> StoreUnavailable:
    """A state folder or file that this account cannot open or write."""
    return StoreUnavailable(
        f"The sandbox's {what} {path} cannot be used ({reason}).",
        path=str(path),
        hint="Make it writable by this account, or use another state: --state DIR, or AIDE_HOME.",
    )


def damaged(path: Path, exc: sqlite3.Error) -> DamagedState:
    return DamagedState(
        f"The sandbox's state {path} is damaged or is not an SQLite database ({exc}).",
        path=str(path),
        hint=f"Start it over with `aide sandbox reset --state {path.parent}`, or delete the file.",
    )


class Database:
    """A SQLite file (or `:memory:`) with the schema of every registered emulator."""

    def __init__(self, path: Path | str, schemas: list[str]) -> None:
        self.path = path
        if isinstance(path, Path):
            state_folder(path.parent)
        self._lock = threading.RLock()
        self._schemas = [_ACCOUNTS, *schemas]
        self._snapshot: sqlite3.Connection | None = None
        try:
            self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:  # a folder in the file's place, say
            assert isinstance(path, Path)  # `:memory:` always opens
            raise unusable(path, str(exc)) from None
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA foreign_keys = ON")
            if isinstance(path, Path):
                self._conn.execute("PRAGMA journal_mode = WAL")  # reads the header: garbage fails here
                self._conn.execute("PRAGMA synchronous = NORMAL")  # no fsync per commit: a sandbox, not a bank
            with self._lock:
                for schema in self._schemas:
                    self._conn.executescript(schema)  # executescript commits by itself: no BEGIN around it
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            if not isinstance(path, Path):
                raise
            if isinstance(exc, sqlite3.OperationalError):  # read-only, locked, a disk that is full: not the file's
                raise unusable(path, str(exc)) from None
            raise damaged(path, exc) from None

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
