"""Opening aide's own SQLite files: private to the user, and failing with a message that names the file.

Every database aide creates (the guard's, the memory store, the agent's conversations) holds the user's data or the
record of what was done for them, so it is 0600 in a folder that is 0700 when aide made it, whatever the umask. SQLite
gives its `-wal` and `-shm` files the main file's mode, so fixing the main file's mode before SQLite first opens it
is enough; a file left group- or world-readable by an older aide is tightened when it is next opened.

A file that is not a database (garbage, truncated), or that cannot be opened (a directory in its place, wrong owner,
a read-only disk) is a `StoreUnavailable` naming the file and what to do, never an "internal error": it is the user's
to fix, and retrying the call will not help.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path

from aide_core.errors import StoreUnavailable

DIR_MODE = 0o700
FILE_MODE = 0o600
_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    """Create `path` (and its parents) when missing, the last one 0700. An existing folder is left as it is: the user
    may have pointed aide's home at a folder they share on purpose."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    path.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 when missing (an empty file is a valid, empty SQLite database); tighten an
    existing one, and its WAL and shared-memory files, that others may read."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            found = candidate.stat()
            if stat.S_ISREG(found.st_mode) and stat.S_IMODE(found.st_mode) & 0o077:
                candidate.chmod(FILE_MODE)


def connect(path: Path, *, what: str, timeout: float = 60.0, autocommit: bool = True) -> sqlite3.Connection:
    """A connection to the private SQLite file `path`, checked readable. `what` names the store in messages
    ("memory", "guard"). With `autocommit` (the default) the caller runs its own transactions (BEGIN IMMEDIATE);
    without, Python's sqlite3 opens them implicitly and `with connection:` commits."""
    try:
        private_file(path)
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None if autocommit else "DEFERRED")
    except (OSError, sqlite3.Error) as exc:
        raise unavailable(path, what, exc) from None
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the header: garbage fails here
    except sqlite3.Error as exc:
        connection.close()
        raise unavailable(path, what, exc) from None
    return connection


@contextlib.contextmanager
def opened(
    path: Path, *, what: str, timeout: float = 60.0, autocommit: bool = True, wal: bool = False
) -> Generator[sqlite3.Connection]:
    """`connect(path)` for the length of a `with`, closed after it; a statement that fails because of the file (see
    `is_unusable`) is a `StoreUnavailable` naming it, like a failure to open. With `wal`, the file is put in WAL mode
    (readers never wait for a writer) unless it already is: asking again would take a write lock at every opening."""
    connection = connect(path, what=what, timeout=timeout, autocommit=autocommit)
    try:
        if wal:
            use_wal(connection)
        yield connection
    except sqlite3.DatabaseError as exc:
        if not is_unusable(exc):
            raise
        raise unavailable(path, what, exc) from None
    finally:
        connection.close()


def use_wal(connection: sqlite3.Connection, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Put the file in WAL mode (readers never wait for a writer) unless it already is. Switching needs a moment of
    exclusive access, and SQLite reports a clash as "database is locked" at once instead of waiting out its busy
    timeout; the mode is stored in the file, so only the very first opening switches, and a clash means another
    process is switching it right now: it is given the moment it needs (bounded: about 2 s in all)."""
    for attempt in range(200):
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            sleep(0.01 * (1 + attempt % 3))
    raise sqlite3.OperationalError("could not switch the database to WAL mode: it stays locked")


@contextlib.contextmanager
def immediate(connection: sqlite3.Connection) -> Generator[sqlite3.Connection]:
    """One write transaction on an autocommit connection: BEGIN IMMEDIATE takes the write lock up front (a busy file
    makes the caller wait its timeout, instead of failing when a read turns into a write), COMMIT on success,
    ROLLBACK on any exception."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


#: SQLite's result codes (primary, before the first underscore-suffix) that say the file cannot be used as it is,
#: as opposed to a mistake in a statement (a bug, which stays an internal error).
_UNUSABLE = {"SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_FULL",
             "SQLITE_PERM", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_AUTH"}  # fmt: skip


def is_unusable(exc: BaseException) -> bool:
    """True when `exc`, raised by a statement on a store, is about the file rather than the statement."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name = getattr(exc, "sqlite_errorname", None) or ""
    primary = "_".join(name.split("_")[:2])
    return primary in _UNUSABLE or not isinstance(exc, sqlite3.OperationalError | sqlite3.ProgrammingError)


def unavailable(path: Path, what: str, exc: BaseException) -> StoreUnavailable:
    """The error for a store that `exc` says cannot be used: damaged, busy, or not openable."""
    reason = str(exc) or type(exc).__name__
    name = getattr(exc, "sqlite_errorname", None) or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreUnavailable(
            f"The {what} database {path} is locked by another program ({reason}).",
            path=str(path),
            hint="Retry in a moment; if it stays locked, the user must close the program that holds it.",
        )
    damaged = name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
        isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)
    )
    if damaged:
        return StoreUnavailable(
            f"The {what} database {path} is damaged or is not an SQLite database ({reason}).",
            path=str(path),
            hint="The user must move the file away (aide then starts a new, empty one) or restore it from a backup.",
        )
    return StoreUnavailable(
        f"Cannot open the {what} database {path} ({reason}).",
        path=str(path),
        hint="The user must make it a file, in a folder, that the account running aide can read and write.",
    )


def check_schema(version: int, supported: int, path: Path, what: str, program: str = "aide") -> None:
    """Refuse a store written by a newer program: its schema `version` is past the `supported` one, and reading it
    with the older one could lose what the newer one wrote."""
    if version > supported:
        raise StoreUnavailable(
            f"The {what} database {path} was written by a newer {program} (schema {version}).",
            path=str(path),
            hint=f"The user must upgrade {program}.",
        )


def migrate(
    connection: sqlite3.Connection,
    path: Path,
    what: str,
    latest: int,
    migrations: Mapping[int, Sequence[str]],
    *,
    initial: Sequence[str] | None = None,
    program: str = "aide",
) -> None:
    """Bring the store on `connection` (opened with autocommit) to schema `latest` in one immediate transaction, so
    two processes opening an old file never both upgrade it: `migrations[n]` are the statements that take schema n to
    n + 1; a new file (version 0) runs `initial`, the latest schema at once, when given. A file written by a newer
    program is refused (`check_schema`). The guard and conversation stores open this way; a PostgreSQL backend
    would keep the same numbered migrations."""
    with immediate(connection):
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        check_schema(version, latest, path, what, program)
        steps = [initial] if version == 0 and initial is not None else [migrations[n] for n in range(version, latest)]
        for statements in steps:
            for statement in statements:  # one by one: executescript would COMMIT first and split this transaction
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version={latest}")
