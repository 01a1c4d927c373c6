"""The guard's memory in SQLite: idempotency records, confirmation tokens and the audit log.

One file per aide home, shared by every server and process (WAL mode, a short busy timeout). Each operation opens its
own connection: tools run in worker threads and a sqlite3 connection may not cross threads, and opening a local
SQLite file costs microseconds. Every write is one transaction, so a crash leaves either the whole record or none.

Every record belongs to a subject, the person a call acts for (`aide_core.identity.current_user`): a key, a token or
an audit entry of one subject is invisible to another, so on a shared server Bob's call never replays Ann's result,
redeems Ann's confirmation token or lists Ann's actions.

Stdlib `sqlite3` rather than sqlite-utils: three fixed tables and a handful of statements need no more.

`GuardRecords` is the interface the guard and `list_activity` use; `GuardStore` is its SQLite implementation. A
backend for deployments that outgrow one machine (PostgreSQL) implements the same protocol, with the same promises:
`claim` is atomic across processes and writes its "started" entry in the same transaction, and nothing one subject
wrote is visible to another.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from aide_core.identity import DEFAULT_IDENTITY
from aide_core.stores import immediate, migrate, opened

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    subject TEXT NOT NULL,
    key TEXT NOT NULL,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    args_digest TEXT NOT NULL DEFAULT '',
    result TEXT,
    created_at REAL NOT NULL,
    expires_at REAL,
    PRIMARY KEY (subject, key)
);
CREATE TABLE IF NOT EXISTS confirmations (
    token TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    subject TEXT NOT NULL,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);
CREATE INDEX IF NOT EXISTS audit_by_subject ON audit (subject, id);
"""

#: Upgrades from each older version (the key is the version upgraded from); version 0 is a new file. Records from
#: before subjects (version 2) are given to the main token's subject, `DEFAULT_IDENTITY`: it is also the stdio user,
#: the one who runs the server and owns this file, and the one every call was made for unless `[http.users]` was
#: set. Their idempotency keys keep their values, so a replay across the upgrade still replays for that user. The
#: idempotency table is rebuilt because its primary key becomes (subject, key), which SQLite cannot alter in place.
#: A new file gets the latest schema at once.
_INITIAL = tuple(filter(str.strip, _SCHEMA.split(";")))

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE idempotency ADD COLUMN args_digest TEXT NOT NULL DEFAULT ''",),
    2: (
        """CREATE TABLE idempotency_v3 (
            subject TEXT NOT NULL, key TEXT NOT NULL, server TEXT NOT NULL, tool TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'done')), args_digest TEXT NOT NULL DEFAULT '',
            result TEXT, created_at REAL NOT NULL, expires_at REAL, PRIMARY KEY (subject, key))""",
        f"""INSERT INTO idempotency_v3 (subject, key, server, tool, state, args_digest, result, created_at, expires_at)
            SELECT '{DEFAULT_IDENTITY}', key, server, tool, state, args_digest, result, created_at, expires_at
            FROM idempotency""",
        "DROP TABLE idempotency",
        "ALTER TABLE idempotency_v3 RENAME TO idempotency",
        f"ALTER TABLE confirmations ADD COLUMN subject TEXT NOT NULL DEFAULT '{DEFAULT_IDENTITY}'",
        f"ALTER TABLE audit ADD COLUMN subject TEXT NOT NULL DEFAULT '{DEFAULT_IDENTITY}'",
        "CREATE INDEX IF NOT EXISTS audit_by_subject ON audit (subject, id)",
    ),
}

Outcome = Literal["started", "done", "failed", "declined", "dry_run", "refused", "replayed", "preview"]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    subject: str
    server: str
    tool: str
    args_digest: str
    outcome: str
    detail: str | None


@dataclass(frozen=True)
class Claim:
    """What `claim` found: `new` (go ahead), `done` (replay `result`), `pending` (another attempt is running or
    died mid-way, so its outcome is unknown) or `conflict` (the key was used for different arguments)."""

    state: Literal["new", "done", "pending", "conflict"]
    result: Any = None
    created_at: float | None = None


class GuardRecords(Protocol):
    """What the side-effect guard keeps, per subject: idempotency claims, confirmation tokens, the audit log."""

    def claim(
        self, key: str, server: str, tool: str, args_digest: str, *, subject: str, expires_at: float | None
    ) -> Claim: ...
    def lookup(self, key: str, args_digest: str, *, subject: str) -> Claim: ...
    def complete(self, key: str, result: Any, server: str, tool: str, args_digest: str, *, subject: str) -> None: ...
    def release(self, key: str, *, subject: str) -> None: ...
    def issue_token(
        self, token: str, server: str, tool: str, args_digest: str, *, subject: str, expires_at: float
    ) -> None: ...
    def redeem_token(self, token: str, server: str, tool: str, args_digest: str, *, subject: str) -> str | None: ...
    def audit(
        self,
        server: str,
        tool: str,
        args_digest: str,
        outcome: Outcome,
        detail: str | None = None,
        *,
        subject: str,
    ) -> None: ...
    def audit_entries(
        self,
        *,
        subject: str | None = None,
        server: str | None = None,
        since: float | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]: ...


class GuardStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    @contextmanager
    def _connect(self) -> Generator[sqlite3.Connection]:
        """A connection to the private file (see `aide_core.stores`). A damaged, unreadable or locked file is a
        `StoreUnavailable` naming it, at opening or in any statement after."""
        with opened(self.path, what="guard", wal=not self._ready) as connection:
            if not self._ready:
                migrate(connection, self.path, "guard", SCHEMA_VERSION, _MIGRATIONS, initial=_INITIAL)
                self._ready = True
            yield connection

    @contextmanager
    def _transaction(self) -> Generator[sqlite3.Connection]:
        with self._connect() as connection, immediate(connection):
            yield connection

    # -- idempotency ---------------------------------------------------------------------------------------------

    def claim(
        self, key: str, server: str, tool: str, args_digest: str, *, subject: str, expires_at: float | None
    ) -> Claim:
        """Atomically look up `subject`'s `key` and, when it is free (or its record expired), mark it pending for us
        and write the "started" audit entry in the same transaction: an action never runs without a trace of it."""
        now = time.time()
        with self._transaction() as db:
            found = db.execute(
                "SELECT state, result, created_at, expires_at, args_digest FROM idempotency "
                "WHERE subject = ? AND key = ?",
                (subject, key),
            ).fetchone()
            if found is not None and (found[3] is None or found[3] > now):
                return self._claim_of(found, args_digest)
            db.execute(
                "INSERT OR REPLACE INTO idempotency (subject, key, server, tool, state, args_digest, result, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, NULL, ?, ?)",
                (subject, key, server, tool, args_digest, now, expires_at),
            )
            self._audit(db, subject, server, tool, args_digest, "started", None)
        return Claim("new")

    @staticmethod
    def _claim_of(found: tuple[Any, ...], args_digest: str) -> Claim:
        state, result, created_at, _, stored_digest = found
        if stored_digest and stored_digest != args_digest:
            return Claim("conflict", None, created_at)
        if state == "done":
            return Claim("done", json.loads(result), created_at)
        return Claim("pending", None, created_at)

    def lookup(self, key: str, args_digest: str, *, subject: str) -> Claim:
        """Like `claim` but without taking the key (used before asking the user, so a replay asks nothing)."""
        with self._connect() as db:
            found = db.execute(
                "SELECT state, result, created_at, expires_at, args_digest FROM idempotency "
                "WHERE subject = ? AND key = ?",
                (subject, key),
            ).fetchone()
        if found is None or (found[3] is not None and found[3] <= time.time()):
            return Claim("new")
        return self._claim_of(found, args_digest)

    def complete(self, key: str, result: Any, server: str, tool: str, args_digest: str, *, subject: str) -> None:
        """Record the result and the "done" audit entry together."""
        with self._transaction() as db:
            db.execute(
                "UPDATE idempotency SET state = 'done', result = ? WHERE subject = ? AND key = ?",
                (json.dumps(result), subject, key),
            )
            self._audit(db, subject, server, tool, args_digest, "done", None)

    def release(self, key: str, *, subject: str) -> None:
        """Forget a pending claim whose action failed cleanly, so that a retry may act."""
        with self._transaction() as db:
            db.execute("DELETE FROM idempotency WHERE subject = ? AND key = ? AND state = 'pending'", (subject, key))

    # -- confirmation tokens -------------------------------------------------------------------------------------

    def issue_token(
        self, token: str, server: str, tool: str, args_digest: str, *, subject: str, expires_at: float
    ) -> None:
        """Keep `token`, redeemable only by `subject`, for this server, tool and digest."""
        with self._transaction() as db:
            db.execute("DELETE FROM confirmations WHERE expires_at < ?", (time.time(),))
            db.execute(
                "INSERT INTO confirmations (token, subject, server, tool, args_digest, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (token, subject, server, tool, args_digest, expires_at),
            )

    def redeem_token(self, token: str, server: str, tool: str, args_digest: str, *, subject: str) -> str | None:
        """Use `token` up; None on success, else why it cannot be used. Another subject's token is unknown to this
        one (and stays usable by its owner): its existence is not revealed."""
        with self._transaction() as db:
            found = db.execute(
                "SELECT server, tool, args_digest, expires_at, used_at FROM confirmations "
                "WHERE token = ? AND subject = ?",
                (token, subject),
            ).fetchone()
            if found is None or (found[0], found[1]) != (server, tool):
                return "unknown confirmation token"
            if found[4] is not None:
                return "this confirmation token was already used"
            if found[3] < time.time():
                return "this confirmation token has expired"
            if found[2] != args_digest:
                return "the arguments changed since the preview this token confirms"
            db.execute("UPDATE confirmations SET used_at = ? WHERE token = ?", (time.time(), token))
        return None

    # -- audit log -----------------------------------------------------------------------------------------------

    def audit(
        self,
        server: str,
        tool: str,
        args_digest: str,
        outcome: Outcome,
        detail: str | None = None,
        *,
        subject: str,
    ) -> None:
        with self._transaction() as db:
            self._audit(db, subject, server, tool, args_digest, outcome, detail)

    @staticmethod
    def _audit(
        db: sqlite3.Connection,
        subject: str,
        server: str,
        tool: str,
        args_digest: str,
        outcome: Outcome,
        detail: str | None,
    ) -> None:
        db.execute(
            "INSERT INTO audit (at, subject, server, tool, args_digest, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (time.time(), subject, server, tool, args_digest, outcome, detail),
        )

    def audit_entries(
        self,
        *,
        subject: str | None = None,
        server: str | None = None,
        since: float | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        """Newest first; only `subject`'s entries when given (a tool always gives it; every subject's entries are for
        the owner of the file, reading it outside any call). `before_id` continues a listing."""
        clauses: list[str] = []
        params: list[Any] = []
        if subject is not None:
            clauses.append("subject = ?")
            params.append(subject)
        if server:
            clauses.append("server = ?")
            params.append(server)
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, at, subject, server, tool, args_digest, outcome, detail FROM audit "
                f"{where} ORDER BY id DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [AuditEntry(*row) for row in rows]
