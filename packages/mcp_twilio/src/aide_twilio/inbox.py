"""The SMS inbox: texts received through the webhook and texts sent through this server, with their read marks and
delivery status, each row keyed by the person it is for (`user`; NULL for a text no user is configured for, which
nobody sees); and the opt-out list.

Opt-outs are kept per (sending number, recipient), as Twilio keeps them: a STOP to one of the account's numbers
blocks that number from texting the sender again, whoever of the deployment's people would send, so the check
ignores the person; the row still says whose routing the STOP arrived through.

One SQLite file, `<home>/twilio/inbox.sqlite3`, opened with core's helper (private modes, numbered migrations).
A connection is opened per operation: tools run in worker threads and webhooks on the event loop, and a
connection may not cross threads.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aide_core.stores import connect, migrate

__all__ = ["Inbox", "Stored"]

_WHAT = "SMS inbox"
_SCHEMA = [
    """CREATE TABLE messages (
        sid TEXT PRIMARY KEY,
        user TEXT,
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        counterpart TEXT NOT NULL,
        our_number TEXT,
        body TEXT NOT NULL,
        media TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL,
        error_code INTEGER,
        created REAL NOT NULL,
        read INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX messages_user ON messages (user, direction, read, created)",
    """CREATE TABLE opt_outs (
        our_number TEXT NOT NULL,
        recipient TEXT NOT NULL,
        opted_out INTEGER NOT NULL,
        user TEXT,
        updated REAL NOT NULL,
        PRIMARY KEY (our_number, recipient)
    )""",
]


@dataclass(frozen=True)
class Stored:
    """One stored text."""

    sid: str
    user: str | None
    direction: str
    counterpart: str
    our_number: str | None
    body: str
    media: list[str]
    status: str
    error_code: int | None
    created: float
    read: bool


def _row(row: sqlite3.Row | tuple[Any, ...]) -> Stored:
    sid, user, direction, counterpart, ours, body, media, status, error, created, read = row
    return Stored(sid, user, direction, counterpart, ours, body, json.loads(media), status, error, created, bool(read))


_COLUMNS = "sid, user, direction, counterpart, our_number, body, media, status, error_code, created, read"


class Inbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connection() as connection:
            migrate(connection, path, _WHAT, 1, {}, initial=_SCHEMA)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connection = connect(self.path, what=_WHAT)
        try:
            yield connection
        finally:
            connection.close()

    # -- writing ------------------------------------------------------------------------------------------------
    def add(self, message: Stored) -> bool:
        """Store a text once: False when its sid is already stored (a webhook Twilio retried)."""
        with self._connection() as connection:
            cursor = connection.execute(
                f"INSERT OR IGNORE INTO messages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message.sid,
                    message.user,
                    message.direction,
                    message.counterpart,
                    message.our_number,
                    message.body,
                    json.dumps(message.media),
                    message.status,
                    message.error_code,
                    message.created,
                    int(message.read),
                ),
            )
            return cursor.rowcount == 1

    def update_status(self, sid: str, status: str, error_code: int | None) -> bool:
        """A delivery callback's news; False when the text is not one of ours."""
        with self._connection() as connection:
            cursor = connection.execute(
                "UPDATE messages SET status = ?, error_code = COALESCE(?, error_code) WHERE sid = ?",
                (status, error_code, sid),
            )
            return cursor.rowcount == 1

    def mark_read(self, user: str, sids: list[str]) -> list[str]:
        """Mark `user`'s inbound texts read; the sids that are not theirs (or not known) come back."""
        missing: list[str] = []
        with self._connection() as connection:
            for sid in sids:
                cursor = connection.execute(
                    "UPDATE messages SET read = 1 WHERE sid = ? AND user = ? AND direction = 'inbound'", (sid, user)
                )
                if cursor.rowcount != 1:
                    missing.append(sid)
        return missing

    def set_opt_out(self, our_number: str, recipient: str, opted_out: bool, user: str | None, now: float) -> None:
        with self._connection() as connection:
            connection.execute(
                "INSERT INTO opt_outs (our_number, recipient, opted_out, user, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (our_number, recipient) DO UPDATE SET opted_out = excluded.opted_out, "
                "user = excluded.user, updated = excluded.updated",
                (our_number, recipient, int(opted_out), user, now),
            )

    # -- reading ------------------------------------------------------------------------------------------------
    def opted_out(self, our_number: str, recipient: str) -> bool:
        with self._connection() as connection:
            row = connection.execute(
                "SELECT opted_out FROM opt_outs WHERE our_number = ? AND recipient = ?", (our_number, recipient)
            ).fetchone()
        return bool(row and row[0])

    def get(self, user: str, sid: str) -> Stored | None:
        with self._connection() as connection:
            row = connection.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE sid = ? AND user = ?", (sid, user)
            ).fetchone()
        return _row(row) if row else None

    def unread(self, user: str, *, offset: int, limit: int) -> tuple[list[Stored], int]:
        """`user`'s unread inbound texts, newest first, and how many there are."""
        where = "user = ? AND direction = 'inbound' AND read = 0"
        with self._connection() as connection:
            total = connection.execute(f"SELECT count(*) FROM messages WHERE {where}", (user,)).fetchone()[0]
            rows = connection.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY created DESC, sid LIMIT ? OFFSET ?",
                (user, limit, offset),
            ).fetchall()
        return [_row(row) for row in rows], total

    def unread_counts(self, user: str) -> dict[str, int]:
        """Unread inbound texts of `user` by counterpart."""
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT counterpart, count(*) FROM messages WHERE user = ? AND direction = 'inbound' AND read = 0 "
                "GROUP BY counterpart",
                (user,),
            ).fetchall()
        return {str(counterpart): int(count) for counterpart, count in rows}

    def read_marks(self, user: str, sids: list[str]) -> dict[str, bool]:
        """Whether each of `user`'s stored texts among `sids` is read."""
        if not sids:
            return {}
        marks = ",".join("?" * len(sids))
        with self._connection() as connection:
            rows = connection.execute(
                f"SELECT sid, read FROM messages WHERE user = ? AND sid IN ({marks})", (user, *sids)
            ).fetchall()
        return {sid: bool(read) for sid, read in rows}
