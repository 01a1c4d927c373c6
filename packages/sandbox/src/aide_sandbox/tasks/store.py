"""Task lists and tasks in SQLite, per account.

A task row keeps its list, its parent and its rank among its siblings in columns (what ordering and moving work on)
and the rest of its `Task` resource as JSON. Ranks leave gaps, so placing a task between two siblings takes the
midpoint and leaves every other task's `position` alone, as Google's does; only when two neighbours have no gap left
are the siblings renumbered. Deleting a task keeps the row with `deleted: true` (Google keeps deleted tasks, and
`showDeleted` lists them); deleting a list drops its tasks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aide_sandbox.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks_lists (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    title TEXT NOT NULL,
    updated TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks_items (
    list_id TEXT NOT NULL REFERENCES tasks_lists (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    parent TEXT,
    rank INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (list_id, id)
);
"""

#: The title Google gives every account's default list.
DEFAULT_TITLE = "My Tasks"
#: The gap between consecutive sibling ranks (20 decimal digits hold any rank a list reaches).
STEP = 1 << 32


def stamp(moment: float) -> str:
    """RFC 3339 in UTC with milliseconds, the way the Tasks API writes `updated` and `completed`."""
    when = datetime.fromtimestamp(moment, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def new_id() -> str:
    """An opaque id like Google's (URL-safe base64 of random bytes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(15)).decode()


def etag_of(value: object) -> str:
    digest = hashlib.sha1(json.dumps(value, sort_keys=True).encode(), usedforsecurity=False).digest()
    return '"' + base64.urlsafe_b64encode(digest[:12]).decode() + '"'


@dataclass(frozen=True)
class TaskList:
    id: str
    account: str
    title: str
    updated: str
    is_default: bool


@dataclass(frozen=True)
class StoredTask:
    """A task as stored: where it sits, and its resource fields (`title`, `status`, `updated`, ...)."""

    list_id: str
    id: str
    parent: str | None
    rank: int
    data: dict[str, Any]


class Tasks:
    """The Tasks emulator's state."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock

    def now(self) -> str:
        return stamp(self.clock())

    # -- task lists -----------------------------------------------------------------------------------------------
    def lists(self, account: str) -> list[TaskList]:
        self.default_list(account)
        with self.db.transaction() as conn:
            rows = conn.execute("SELECT * FROM tasks_lists WHERE account = ? ORDER BY position", (account,)).fetchall()
        return [_list(row) for row in rows]

    def find_list(self, account: str, list_id: str) -> TaskList | None:
        """The account's list `list_id`; `@default` names its default list."""
        if list_id == "@default":
            return self.default_list(account)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM tasks_lists WHERE id = ? AND account = ?", (list_id, account)).fetchone()
        return _list(row) if row else None

    def default_list(self, account: str) -> TaskList:
        """The account's default list, made on first use: every Google account has one."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM tasks_lists WHERE account = ? AND is_default = 1", (account,)).fetchone()
        return _list(row) if row else self.create_list(account, DEFAULT_TITLE, default=True)

    def create_list(self, account: str, title: str, *, list_id: str | None = None, default: bool = False) -> TaskList:
        created = TaskList(list_id or new_id(), account, title, self.now(), default)
        with self.db.transaction() as conn:
            position = conn.execute("SELECT COUNT(*) FROM tasks_lists WHERE account = ?", (account,)).fetchone()[0]
            conn.execute(
                "INSERT INTO tasks_lists VALUES (?, ?, ?, ?, ?, ?)",
                (created.id, account, title, created.updated, int(default), position),
            )
        return created

    def rename_list(self, task_list: TaskList, title: str) -> TaskList:
        renamed = TaskList(task_list.id, task_list.account, title, self.now(), task_list.is_default)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE tasks_lists SET title = ?, updated = ? WHERE id = ?", (title, renamed.updated, renamed.id)
            )
        return renamed

    def delete_list(self, task_list: TaskList) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM tasks_lists WHERE id = ?", (task_list.id,))

    # -- tasks ----------------------------------------------------------------------------------------------------
    def tasks(self, list_id: str) -> list[StoredTask]:
        """Every task of a list (deleted ones too), parents before their subtasks, siblings in order."""
        with self.db.transaction() as conn:
            rows = conn.execute("SELECT * FROM tasks_items WHERE list_id = ? ORDER BY rank", (list_id,)).fetchall()
        children: dict[str | None, list[StoredTask]] = {}
        for row in rows:
            task = _task(row)
            children.setdefault(task.parent, []).append(task)
        ordered: list[StoredTask] = []

        def walk(parent: str | None) -> None:
            for child in children.get(parent, []):
                ordered.append(child)
                walk(child.id)

        walk(None)
        return ordered

    def task(self, list_id: str, task_id: str) -> StoredTask | None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM tasks_items WHERE list_id = ? AND id = ?", (list_id, task_id)).fetchone()
        return _task(row) if row else None

    def save(self, task: StoredTask, data: dict[str, Any]) -> StoredTask:
        """Write new resource fields of a task where it is, stamping `updated` and `etag`."""
        stored = _stamped(data, self.now())
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE tasks_items SET data = ? WHERE list_id = ? AND id = ?",
                (json.dumps(stored), task.list_id, task.id),
            )
        return StoredTask(task.list_id, task.id, task.parent, task.rank, stored)

    def place(
        self,
        list_id: str,
        task_id: str,
        data: dict[str, Any],
        parent: str | None,
        previous: str | None,
        *,
        source: str | None = None,
    ) -> StoredTask:
        """Insert or move `task_id` under `parent` in `list_id`, right after sibling `previous` (None: first); a
        task coming from list `source` brings its subtasks along. The caller has checked that both exist there."""
        stored = _stamped(data, self.now())
        with self.db.transaction() as conn:
            if source is not None and source != list_id:
                for moved in _subtree(conn, source, task_id):
                    conn.execute(
                        "UPDATE tasks_items SET list_id = ? WHERE list_id = ? AND id = ?", (list_id, source, moved)
                    )
            rank = _free_rank(conn, list_id, parent, previous, task_id)
            conn.execute(
                "INSERT OR REPLACE INTO tasks_items VALUES (?, ?, ?, ?, ?)",
                (list_id, task_id, parent, rank, json.dumps(stored)),
            )
        return StoredTask(list_id, task_id, parent, rank, stored)

    def subtree(self, list_id: str, task_id: str) -> list[str]:
        """`task_id` and the ids of all its subtasks, at any depth."""
        with self.db.transaction() as conn:
            return _subtree(conn, list_id, task_id)


def _stamped(data: dict[str, Any], now: str) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if k not in ("etag", "updated")}
    return fields | {"updated": now, "etag": etag_of(fields | {"updated": now})}


def _subtree(conn: sqlite3.Connection, list_id: str, task_id: str) -> list[str]:
    found = [task_id]
    for current in found:  # grows while walking
        rows = conn.execute("SELECT id FROM tasks_items WHERE list_id = ? AND parent = ?", (list_id, current))
        found.extend(str(row[0]) for row in rows)
    return found


def _free_rank(conn: sqlite3.Connection, list_id: str, parent: str | None, previous: str | None, moving: str) -> int:
    """A rank between `previous` and the sibling after it, renumbering the siblings when there is no gap left."""
    for _ in range(2):
        rows = conn.execute(
            "SELECT id, rank FROM tasks_items WHERE list_id = ? AND parent IS ? AND id != ? ORDER BY rank",
            (list_id, parent, moving),
        ).fetchall()
        ids = [str(row[0]) for row in rows]
        ranks = [int(row[1]) for row in rows]
        index = ids.index(previous) + 1 if previous is not None else 0
        low = ranks[index - 1] if index > 0 else 0
        high = ranks[index] if index < len(ranks) else low + 2 * STEP
        if high - low >= 2:
            return (low + high) // 2
        for number, sibling in enumerate(ids, start=1):
            conn.execute(
                "UPDATE tasks_items SET rank = ? WHERE list_id = ? AND id = ?", (number * STEP, list_id, sibling)
            )
    raise AssertionError("renumbered siblings always leave a gap")


def _list(row: sqlite3.Row) -> TaskList:
    return TaskList(row["id"], row["account"], row["title"], row["updated"], bool(row["is_default"]))


def _task(row: sqlite3.Row) -> StoredTask:
    return StoredTask(row["list_id"], row["id"], row["parent"], int(row["rank"]), json.loads(row["data"]))
