"""Conversations kept in SQLite, so one can be listed, resumed and deleted.

One row per conversation and one per message (the message as JSON: the format is ours, not a provider's, so a
conversation can be resumed with another model). A connection per call keeps the store safe to use from any thread.

Every conversation belongs to a user (the subject of `aide_core.identity`: over HTTP the access token's, else the
configured user), and a store is one user's view of the file: another user's conversations are not listed, read,
resumed, added to or deleted through it, as if they did not exist.

`Conversations` is the interface the assistant and `aide chat` use; `ConversationStore` is its SQLite
implementation. Another backend (PostgreSQL, for a deployment that outgrows one machine) implements the protocol,
one user's view at a time.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aide_agent.messages import Message
from aide_core.identity import DEFAULT_IDENTITY
from aide_core.stores import migrate, opened

SCHEMA_VERSION = 2

#: Version 1, the schema before users (a file without a version is either new or of version 1: both are created
#: alike, `IF NOT EXISTS`).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (conversation_id, seq)
);
"""

#: Upgrades from each older version (the key is the version upgraded from). Conversations from before users were the
#: one local user's: they become `DEFAULT_IDENTITY`'s, the user `aide chat` runs as.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    0: tuple(filter(str.strip, _SCHEMA.split(";"))),
    1: (
        f"ALTER TABLE conversations ADD COLUMN user TEXT NOT NULL DEFAULT '{DEFAULT_IDENTITY}'",
        "CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations (user, updated_at)",
    ),
}


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    model: str
    created_at: float
    updated_at: float
    messages: int


class Conversations(Protocol):
    """One user's conversations."""

    user: str

    def create(self, *, model: str = "", title: str = "") -> str: ...
    def append(self, conversation_id: str, messages: list[Message]) -> None: ...
    def messages(self, conversation_id: str) -> list[Message]: ...
    def list(self, limit: int = 50) -> list[ConversationInfo]: ...
    def exists(self, conversation_id: str) -> bool: ...
    def delete(self, conversation_id: str) -> bool: ...


class ConversationStore:
    """`user`'s conversations in the SQLite file `path` (one file holds every user's)."""

    def __init__(self, path: str | Path, *, user: str = DEFAULT_IDENTITY) -> None:
        self.path = Path(path)
        self.user = user
        self._migrate()

    def _migrate(self) -> None:
        """Bring the file to `SCHEMA_VERSION` in one immediate transaction (so two processes opening an old file do
        not both upgrade it); refuse a file from a newer aide."""
        with self._opened(autocommit=True) as db:
            migrate(db, self.path, "conversation", SCHEMA_VERSION, _MIGRATIONS)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection to the private file (0600 in a 0700 folder: conversations are the user's own words), in a
        transaction committed on exit."""
        with self._opened(autocommit=False) as db:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db

    @contextmanager
    def _opened(self, *, autocommit: bool) -> Iterator[sqlite3.Connection]:
        """A damaged, unreadable or locked file is a `StoreUnavailable` naming it, which `aide chat` says in one
        line."""
        with opened(self.path, what="conversation", autocommit=autocommit) as db:
            yield db

    def create(self, *, model: str = "", title: str = "") -> str:
        conversation_id = uuid.uuid4().hex[:12]
        now = time.time()
        with self._db() as db:
            db.execute(
                "INSERT INTO conversations (id, user, title, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, self.user, title, model, now, now),
            )
        return conversation_id

    def append(self, conversation_id: str, messages: list[Message]) -> None:
        """Add messages at the end; the first user message becomes the title when there is none. A conversation
        this user does not have is a `KeyError`."""
        if not messages:
            return
        with self._db() as db:
            if not self._owns(db, conversation_id):
                raise KeyError(f"no conversation {conversation_id!r}")
            (last,) = db.execute(
                "SELECT COALESCE(MAX(seq), -1) FROM messages WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            db.executemany(
                "INSERT INTO messages (conversation_id, seq, body) VALUES (?, ?, ?)",
                [
                    (conversation_id, last + 1 + i, m.model_dump_json(exclude_defaults=True))
                    for i, m in enumerate(messages)
                ],
            )
            first_user = next((m.text for m in messages if m.role == "user"), "")
            db.execute(
                "UPDATE conversations SET updated_at = ?, title = CASE WHEN title = '' THEN ? ELSE title END "
                "WHERE id = ?",
                (time.time(), first_user[:80], conversation_id),
            )

    def messages(self, conversation_id: str) -> list[Message]:
        with self._db() as db:
            rows = db.execute(
                "SELECT m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE m.conversation_id = ? AND c.user = ? ORDER BY m.seq",
                (conversation_id, self.user),
            ).fetchall()
        return [Message.model_validate_json(body) for (body,) in rows]

    def list(self, limit: int = 50) -> list[ConversationInfo]:
        """Most recently updated first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.model, c.created_at, c.updated_at, "
                "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) "
                "FROM conversations c WHERE c.user = ? ORDER BY c.updated_at DESC LIMIT ?",
                (self.user, limit),
            ).fetchall()
        return [ConversationInfo(*row) for row in rows]

    def exists(self, conversation_id: str) -> bool:
        with self._db() as db:
            return self._owns(db, conversation_id)

    def delete(self, conversation_id: str) -> bool:
        with self._db() as db:
            deleted = db.execute(
                "DELETE FROM conversations WHERE id = ? AND user = ?", (conversation_id, self.user)
            ).rowcount
        return deleted > 0

    def _owns(self, db: sqlite3.Connection, conversation_id: str) -> bool:
        found = db.execute("SELECT 1 FROM conversations WHERE id = ? AND user = ?", (conversation_id, self.user))
        return found.fetchone() is not None
