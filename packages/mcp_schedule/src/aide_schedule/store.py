"""Reminders and the ledger of runs, per user, in one SQLite file on core's store helper (`aide_core.stores`).

The ledger is what makes a run happen at most once: a run is a row keyed by (user, key, scheduled time), where the
key names the job (`job:<name>`) or the reminder (`reminder:<id>`). A runner claims a run by inserting that row, or
by taking a row `run_job` left unclaimed, in one immediate transaction; whoever's statement changed a row holds the
claim, so two runners on one file (two processes, or a restart at 08:00:30 of the one that ran at 08:00) never
both run it. A run whose runner died after the claim is not run again: a digest missed is better than a digest
sent twice.

A connection per call keeps the store safe from any thread (the server runs sync tools in worker threads).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aide_core.stores import immediate, migrate, opened

__all__ = ["Reminder", "Run", "ScheduleStore"]

SCHEMA_VERSION = 1
_SCHEMA = (
    """CREATE TABLE reminders (
        id TEXT PRIMARY KEY, user TEXT NOT NULL, text TEXT NOT NULL, channel TEXT NOT NULL,
        rule TEXT, start TEXT NOT NULL, zone TEXT NOT NULL, created REAL NOT NULL,
        cancelled REAL  -- cancelled, or for a one-time reminder, its run ended: either way no longer active
    )""",
    "CREATE INDEX reminders_by_user ON reminders (user, created)",
    """CREATE TABLE runs (
        user TEXT NOT NULL, key TEXT NOT NULL, scheduled REAL NOT NULL, requested INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT, claimed_at REAL, finished_at REAL, outcome TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '',
        declined TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (user, key, scheduled)
    )""",
)


@dataclass(frozen=True)
class Reminder:
    id: str
    user: str
    text: str
    channel: str
    rule: str | None
    start: str  # naive ISO, wall clock in `zone`
    zone: str
    created: float
    cancelled: float | None


@dataclass(frozen=True)
class Run:
    key: str
    scheduled: float
    requested: bool
    claimed_by: str | None
    claimed_at: float | None
    finished_at: float | None
    outcome: str
    summary: str
    declined: list[str]


_RUN_COLUMNS = "key, scheduled, requested, claimed_by, claimed_at, finished_at, outcome, summary, declined"


def _run(row: tuple[object, ...]) -> Run:
    key, scheduled, requested, by, at, finished, outcome, summary, declined = row
    return Run(str(key), float(scheduled), bool(requested), by, at, finished, str(outcome), str(summary),  # type: ignore[arg-type]
               list(json.loads(str(declined))))  # fmt: skip


class ScheduleStore:
    """Every user's reminders and runs in the SQLite file `path`; each method takes the user it acts for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connection() as db:
            migrate(db, path, "schedule", SCHEMA_VERSION, {}, initial=_SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with opened(self.path, what="schedule", timeout=30, wal=True) as db:
            yield db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db, immediate(db):
            yield db

    # -- reminders ---------------------------------------------------------------------------------------------

    def add_reminder(self, user: str, text: str, channel: str, rule: str | None, start: str, zone: str,
                     now: float) -> Reminder:  # fmt: skip
        reminder = Reminder(uuid.uuid4().hex[:12], user, text, channel, rule, start, zone, now, None)
        with self._write() as db:
            db.execute(
                "INSERT INTO reminders VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (reminder.id, user, text, channel, rule, start, zone, now),
            )
        return reminder

    def reminders(self, user: str, *, offset: int = 0, limit: int = 50) -> tuple[list[Reminder], int]:
        """`user`'s active reminders, oldest first, and how many there are."""
        with self._connection() as db:
            rows = db.execute(
                "SELECT * FROM reminders WHERE user = ? AND cancelled IS NULL ORDER BY created, rowid LIMIT ? OFFSET ?",
                (user, limit, offset),
            ).fetchall()
            total = db.execute(
                "SELECT count(*) FROM reminders WHERE user = ? AND cancelled IS NULL", (user,)
            ).fetchone()[0]
        return [Reminder(*row) for row in rows], int(total)

    def reminder(self, user: str, reminder_id: str) -> Reminder | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT * FROM reminders WHERE user = ? AND id = ? AND cancelled IS NULL", (user, reminder_id)
            ).fetchone()
        return Reminder(*row) if row else None

    def cancel_reminder(self, user: str, reminder_id: str, now: float) -> bool:
        with self._write() as db:
            changed = db.execute(
                "UPDATE reminders SET cancelled = ? WHERE user = ? AND id = ? AND cancelled IS NULL",
                (now, user, reminder_id),
            ).rowcount
        return changed == 1

    # -- runs --------------------------------------------------------------------------------------------------

    def request(self, user: str, key: str, scheduled: float) -> bool:
        """A run asked for now (`run_job`), left for a runner to claim; False when that run is already known."""
        with self._write() as db:
            added = db.execute(
                "INSERT INTO runs (user, key, scheduled, requested, outcome) VALUES (?, ?, ?, 1, 'requested') "
                "ON CONFLICT DO NOTHING",
                (user, key, scheduled),
            ).rowcount
        return added == 1

    def claim(self, user: str, key: str, scheduled: float, runner: str, now: float) -> bool:
        """Take the run (user, key, scheduled) for `runner`: True for exactly one caller, ever."""
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (user, key, scheduled, outcome) VALUES (?, ?, ?, 'due') ON CONFLICT DO NOTHING",
                (user, key, scheduled),
            )
            taken = db.execute(
                "UPDATE runs SET claimed_by = ?, claimed_at = ?, outcome = 'running' "
                "WHERE user = ? AND key = ? AND scheduled = ? AND claimed_by IS NULL",
                (runner, now, user, key, scheduled),
            ).rowcount
        return taken == 1

    def finish(self, user: str, key: str, scheduled: float, runner: str, outcome: str, summary: str,
               declined: Sequence[str], now: float) -> bool:  # fmt: skip
        """Record how a claimed run ended; False when `runner` does not hold that claim."""
        with self._write() as db:
            changed = db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, summary = ?, declined = ? "
                "WHERE user = ? AND key = ? AND scheduled = ? AND claimed_by = ?",
                (now, outcome, summary, json.dumps(list(declined)), user, key, scheduled, runner),
            ).rowcount
            if changed == 1 and key.startswith("reminder:"):
                # A one-time reminder is retired once its run ended (runs happen at most once): it no longer counts
                # toward the limit, is no longer listed, and is no longer expanded at every tick.
                db.execute(
                    "UPDATE reminders SET cancelled = ? "
                    "WHERE user = ? AND id = ? AND rule IS NULL AND cancelled IS NULL",
                    (now, user, key.removeprefix("reminder:")),
                )
        return changed == 1

    def known(self, user: str, keys: Sequence[str], since: float) -> set[tuple[str, float]]:
        """The (key, scheduled) runs of `keys` at or after `since` that are claimed or asked for."""
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        with self._connection() as db:
            rows = db.execute(
                f"SELECT key, scheduled FROM runs WHERE user = ? AND key IN ({marks}) AND scheduled >= ?",
                (user, *keys, since),
            ).fetchall()
        return {(str(key), float(scheduled)) for key, scheduled in rows}

    def requested(self, user: str, limit: int = 50) -> list[Run]:
        """Runs `run_job` asked for that no runner has claimed yet, oldest first."""
        with self._connection() as db:
            rows = db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE user = ? AND requested = 1 AND claimed_by IS NULL "
                "ORDER BY scheduled LIMIT ?",
                (user, limit),
            ).fetchall()
        return [_run(row) for row in rows]

    def last_run(self, user: str, key: str) -> Run | None:
        """The latest claimed run of `key`."""
        with self._connection() as db:
            row = db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE user = ? AND key = ? AND claimed_by IS NOT NULL "
                "ORDER BY scheduled DESC LIMIT 1",
                (user, key),
            ).fetchone()
        return _run(row) if row else None
