"""Calendars, calendar-list entries and events in SQLite.

Events are stored as the JSON of their `Event` resource, one row per calendar copy (an invitation is a copy on the
guest's calendar under the same event id, as Google does). Each calendar has a change counter: every write stamps
the row with the next value, which is what sync tokens and `etag`s are made of. Deleting keeps the row with status
`cancelled`, so `showDeleted` and incremental sync can report it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aide_sandbox.calendar.times import now_rfc3339
from aide_sandbox.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS calendar_calendars (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    changes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS calendar_list (
    account TEXT NOT NULL,
    calendar_id TEXT NOT NULL REFERENCES calendar_calendars (id) ON DELETE CASCADE,
    access_role TEXT NOT NULL,
    is_primary INTEGER NOT NULL DEFAULT 0,
    color_id TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL,
    PRIMARY KEY (account, calendar_id)
);
CREATE TABLE IF NOT EXISTS calendar_events (
    calendar_id TEXT NOT NULL REFERENCES calendar_calendars (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    change INTEGER NOT NULL,
    recurring_event_id TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (calendar_id, id)
);
CREATE TABLE IF NOT EXISTS calendar_updates (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    calendar_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    action TEXT NOT NULL,
    send_updates TEXT NOT NULL,
    recipients TEXT NOT NULL
);
"""

#: Access roles, weakest first.
ROLES = ("freeBusyReader", "reader", "writer", "owner")


@dataclass(frozen=True)
class CalendarRow:
    id: str
    owner: str
    summary: str
    description: str
    time_zone: str
    location: str
    changes: int


@dataclass(frozen=True)
class ListEntry:
    calendar: CalendarRow
    access_role: str
    primary: bool
    color_id: str
    hidden: bool


@dataclass(frozen=True)
class Update:
    """A notification the emulator would have mailed (`sendUpdates`), recorded for tests instead."""

    calendar_id: str
    event_id: str
    action: str
    send_updates: str
    recipients: list[str]


class Calendars:
    """The Calendar emulator's state."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock

    # -- calendars and the calendar list ----------------------------------------------------------------------------
    def create(self, calendar_id: str, owner: str, summary: str, time_zone: str, *, description: str = "") -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO calendar_calendars (id, owner, summary, description, time_zone) VALUES (?, ?, ?, ?, ?)",
                (calendar_id, owner, summary, description, time_zone),
            )

    def subscribe(self, account: str, calendar_id: str, role: str, color_id: str, *, primary: bool = False) -> None:
        with self.db.transaction() as conn:
            position = conn.execute("SELECT COUNT(*) FROM calendar_list WHERE account = ?", (account,)).fetchone()[0]
            conn.execute(
                "INSERT OR REPLACE INTO calendar_list VALUES (?, ?, ?, ?, ?, 0, ?)",
                (account, calendar_id, role, int(primary), color_id, position),
            )

    def calendar(self, calendar_id: str) -> CalendarRow | None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM calendar_calendars WHERE id = ?", (calendar_id,)).fetchone()
        return _calendar(row) if row else None

    def entries(self, account: str) -> list[ListEntry]:
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT c.*, l.access_role, l.is_primary, l.color_id, l.hidden FROM calendar_list l "
                "JOIN calendar_calendars c ON c.id = l.calendar_id WHERE l.account = ? ORDER BY l.position",
                (account,),
            ).fetchall()
        return [_entry(row) for row in rows]

    def entry(self, account: str, calendar_id: str) -> ListEntry | None:
        """The account's view of a calendar; `primary` names the account's own."""
        return next(
            (
                e
                for e in self.entries(account)
                if e.calendar.id == calendar_id or (calendar_id == "primary" and e.primary)
            ),
            None,
        )

    def primary_of(self, email: str) -> str | None:
        """The primary calendar id of a sandbox account (its address), if `email` is one."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT calendar_id FROM calendar_list WHERE account = ? AND is_primary = 1", (email.lower(),)
            ).fetchone()
        return row[0] if row else None

    # -- events ---------------------------------------------------------------------------------------------------
    def events(self, calendar_id: str) -> list[tuple[int, dict[str, Any]]]:
        """Every stored event of a calendar (cancelled ones too), with the change that last wrote it."""
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT change, data FROM calendar_events WHERE calendar_id = ? ORDER BY change", (calendar_id,)
            ).fetchall()
        return [(int(row[0]), json.loads(row[1])) for row in rows]

    def event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT data FROM calendar_events WHERE calendar_id = ? AND id = ?", (calendar_id, event_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Write an event (insert or replace), stamping `etag` and `updated`; returns what was stored."""
        with self.db.transaction() as conn:
            change = _bump(conn, calendar_id)
            stored = event | {"etag": f'"{change}"', "updated": now_rfc3339(self.clock())}
            conn.execute(
                "INSERT OR REPLACE INTO calendar_events VALUES (?, ?, ?, ?, ?)",
                (calendar_id, stored["id"], change, stored.get("recurringEventId"), json.dumps(stored)),
            )
        return stored

    def remove(self, calendar_id: str, event_id: str) -> None:
        """Drop the row altogether (an event moved away leaves a cancelled copy instead: see `put`)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM calendar_events WHERE calendar_id = ? AND id = ?", (calendar_id, event_id))

    # -- notifications --------------------------------------------------------------------------------------------
    def record_update(self, update: Update) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO calendar_updates (calendar_id, event_id, action, send_updates, recipients) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    update.calendar_id,
                    update.event_id,
                    update.action,
                    update.send_updates,
                    json.dumps(update.recipients),
                ),
            )

    def updates(self) -> list[Update]:
        with self.db.transaction() as conn:
            rows = conn.execute("SELECT * FROM calendar_updates ORDER BY n").fetchall()
        return [
            Update(
                row["calendar_id"], row["event_id"], row["action"], row["send_updates"], json.loads(row["recipients"])
            )
            for row in rows
        ]


def _bump(conn: sqlite3.Connection, calendar_id: str) -> int:
    conn.execute("UPDATE calendar_calendars SET changes = changes + 1 WHERE id = ?", (calendar_id,))
    return int(conn.execute("SELECT changes FROM calendar_calendars WHERE id = ?", (calendar_id,)).fetchone()[0])


def _calendar(row: sqlite3.Row) -> CalendarRow:
    return CalendarRow(
        row["id"], row["owner"], row["summary"], row["description"], row["time_zone"], row["location"], row["changes"]
    )


def _entry(row: sqlite3.Row) -> ListEntry:
    return ListEntry(_calendar(row), row["access_role"], bool(row["is_primary"]), row["color_id"], bool(row["hidden"]))
