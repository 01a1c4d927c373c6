"""Notion workspaces in SQLite: integrations (tokens), users, objects (pages, databases, data sources, blocks),
comments, and the OAuth state of public integrations (`notion.oauth`: clients, codes, tokens).

Every object is a row of JSON (the resource as answered, minus what is computed on reading) with its workspace,
its parent and its position among its parent's children. A page's children are its blocks and its sub-pages and
inline databases, in one order, which is how `blocks.children.list` sees them. Ids are UUIDs; Notion accepts them
with or without dashes, so lookups normalise first.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aide_sandbox.db import Database
from aide_sandbox.notion.journal import Journal

SCHEMA = """
CREATE TABLE IF NOT EXISTS notion_integrations (
    token TEXT PRIMARY KEY,
    workspace TEXT NOT NULL,
    workspace_name TEXT NOT NULL,
    bot_id TEXT NOT NULL,
    bot_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notion_users (
    workspace TEXT NOT NULL,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE TABLE IF NOT EXISTS notion_objects (
    id TEXT PRIMARY KEY,
    workspace TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('page', 'database', 'data_source', 'block')),
    parent_id TEXT,
    position INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notion_objects_parent ON notion_objects (workspace, parent_id, position);
CREATE TABLE IF NOT EXISTS notion_comments (
    id TEXT PRIMARY KEY,
    workspace TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    discussion_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notion_oauth_clients (
    client_id TEXT PRIMARY KEY,
    client_secret TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notion_oauth_bots (
    client_id TEXT NOT NULL,
    workspace TEXT NOT NULL,
    bot_id TEXT NOT NULL,
    PRIMARY KEY (client_id, workspace)
);
CREATE TABLE IF NOT EXISTS notion_oauth_codes (
    code TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    workspace TEXT NOT NULL,
    redirect_uri TEXT,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS notion_oauth_tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_id TEXT NOT NULL,
    workspace TEXT NOT NULL,
    bot_id TEXT NOT NULL,
    live INTEGER NOT NULL DEFAULT 1
);
"""

JsonObject = dict[str, Any]
#: `create(after=START)` puts the object before every other child.
START = ""


def normalise_id(value: str) -> str:
    """A UUID in Notion's dashed form; anything that is not a UUID stays as it is (and will not be found)."""
    try:
        return str(uuid.UUID(value.replace("-", "")))
    except ValueError:
        return value


def notion_time(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Integration:
    token: str
    workspace: str
    workspace_name: str
    bot_id: str
    bot_name: str


@dataclass(frozen=True)
class Stored:
    id: str
    kind: str
    parent_id: str | None
    position: int
    seq: int
    data: JsonObject


class Workspaces:
    """The Notion emulator's state."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock
        #: The requests answered since the last reset (in memory: tests read it, nothing persists it).
        self.journal = Journal()

    def now(self) -> str:
        return notion_time(self.clock())

    # -- integrations and users -----------------------------------------------------------------------------------
    def add_integration(self, integration: Integration) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO notion_integrations VALUES (?, ?, ?, ?, ?)",
                (
                    integration.token,
                    integration.workspace,
                    integration.workspace_name,
                    integration.bot_id,
                    integration.bot_name,
                ),
            )

    def integration(self, token: str) -> Integration | None:
        """Who an API token speaks for: an internal integration's token, or a live access token a public
        integration's OAuth issued (it acts as that integration's bot in the workspace it was granted)."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM notion_integrations WHERE token = ?", (token,)).fetchone()
            if row is None:
                row = conn.execute(
                    "SELECT t.token, t.workspace, i.workspace_name, t.bot_id, c.name FROM notion_oauth_tokens t "
                    "JOIN notion_oauth_clients c ON c.client_id = t.client_id "
                    "JOIN notion_integrations i ON i.workspace = t.workspace "
                    "WHERE t.token = ? AND t.kind = 'access' AND t.live = 1 LIMIT 1",
                    (token,),
                ).fetchone()
        return Integration(*row) if row else None

    def integrations(self) -> list[Integration]:
        """The internal integrations (one per seeded workspace)."""
        with self.db.transaction() as conn:
            rows = conn.execute("SELECT * FROM notion_integrations ORDER BY rowid").fetchall()
        return [Integration(*row) for row in rows]

    def add_user(self, workspace: str, user: JsonObject) -> None:
        with self.db.transaction() as conn:
            position = conn.execute("SELECT COUNT(*) FROM notion_users WHERE workspace = ?", (workspace,)).fetchone()
            conn.execute(
                "INSERT INTO notion_users VALUES (?, ?, ?, ?)", (workspace, user["id"], position[0], json.dumps(user))
            )

    def users(self, workspace: str) -> list[JsonObject]:
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT data FROM notion_users WHERE workspace = ? ORDER BY position", (workspace,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    # -- objects --------------------------------------------------------------------------------------------------
    def get(self, workspace: str, object_id: str) -> Stored | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM notion_objects WHERE id = ? AND workspace = ?", (normalise_id(object_id), workspace)
            ).fetchone()
        return _stored(row) if row else None

    def children(
        self, workspace: str, parent_id: str, kinds: tuple[str, ...] = ("block", "page", "database")
    ) -> list[Stored]:
        marks = ", ".join("?" for _ in kinds)
        with self.db.transaction() as conn:
            rows = conn.execute(
                f"SELECT * FROM notion_objects WHERE workspace = ? AND parent_id = ? AND kind IN ({marks}) "
                "ORDER BY position, seq",
                (workspace, parent_id, *kinds),
            ).fetchall()
        return [_stored(row) for row in rows]

    def of_kind(self, workspace: str, *kinds: str) -> list[Stored]:
        marks = ", ".join("?" for _ in kinds)
        with self.db.transaction() as conn:
            rows = conn.execute(
                f"SELECT * FROM notion_objects WHERE workspace = ? AND kind IN ({marks}) ORDER BY seq",
                (workspace, *kinds),
            ).fetchall()
        return [_stored(row) for row in rows]

    def create(
        self, workspace: str, kind: str, parent_id: str | None, data: JsonObject, *, after: str | None = None
    ) -> JsonObject:
        """Store a new object (its `id` in `data`) as the last child of its parent, right after `after`, or first
        when `after` is `START`."""
        with self.db.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM notion_objects").fetchone()[0]
            if after is None:
                position = conn.execute(
                    "SELECT COALESCE(MAX(position), 0) + 1 FROM notion_objects WHERE workspace = ? AND parent_id IS ?",
                    (workspace, parent_id),
                ).fetchone()[0]
            else:
                if after == START:
                    position = 0
                else:
                    anchor = conn.execute("SELECT position FROM notion_objects WHERE id = ?", (after,)).fetchone()
                    position = anchor[0] + 1
                conn.execute(
                    "UPDATE notion_objects SET position = position + 1 WHERE workspace = ? AND parent_id IS ? "
                    "AND position >= ?",
                    (workspace, parent_id, position),
                )
            conn.execute(
                "INSERT INTO notion_objects VALUES (?, ?, ?, ?, ?, ?, ?)",
                (data["id"], workspace, kind, parent_id, position, seq, json.dumps(data)),
            )
        return data

    def save(self, workspace: str, data: JsonObject) -> JsonObject:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE notion_objects SET data = ? WHERE id = ? AND workspace = ?",
                (json.dumps(data), data["id"], workspace),
            )
        return data

    # -- comments -------------------------------------------------------------------------------------------------
    def add_comment(self, workspace: str, comment: JsonObject, parent_id: str) -> JsonObject:
        with self.db.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM notion_comments").fetchone()[0]
            conn.execute(
                "INSERT INTO notion_comments VALUES (?, ?, ?, ?, ?, ?)",
                (comment["id"], workspace, parent_id, comment["discussion_id"], seq, json.dumps(comment)),
            )
        return comment

    def comments(self, workspace: str, parent_id: str) -> list[JsonObject]:
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT data FROM notion_comments WHERE workspace = ? AND parent_id = ? ORDER BY seq",
                (workspace, parent_id),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def discussion(self, workspace: str, discussion_id: str) -> str | None:
        """The parent id of a discussion thread."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT parent_id FROM notion_comments WHERE workspace = ? AND discussion_id = ?",
                (workspace, discussion_id),
            ).fetchone()
        return row[0] if row else None


def _stored(row: sqlite3.Row) -> Stored:
    return Stored(row["id"], row["kind"], row["parent_id"], row["position"], row["seq"], json.loads(row["data"]))
