"""The memory database's schema, versioned with `PRAGMA user_version` and upgraded by numbered migrations.

The migrations are Python rather than core's list-of-statements `aide_core.stores.migrate`, because two of them fill
new structures from the rows already stored (MinHash sketches, the previous-message context); the checks are
core's (`check_schema`), and they run in the store's own immediate transaction (`store.MemoryStore._migrate`).

- Full-text search is an FTS5 index kept in step by triggers over (content, tags, context).
- Vectors are float32 blobs beside the rows, one per memory, tagged with the model that made them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aide_memory.sketch import band_keys
from aide_memory.text import words

if TYPE_CHECKING:
    import sqlite_utils

SCHEMA_VERSION = 6


def _migration_1(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE memories (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            user TEXT NOT NULL,
            namespace TEXT NOT NULL DEFAULT '',
            content TEXT NOT NULL,
            norm TEXT NOT NULL,
            category TEXT NOT NULL,
            confidence REAL NOT NULL,
            source TEXT NOT NULL,
            source_ref TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            metadata TEXT NOT NULL DEFAULT '{}',
            about_time REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            valid_from REAL NOT NULL,
            valid_to REAL,
            superseded_by TEXT,
            forgotten_at REAL
        )
        """
    )
    db.execute("CREATE INDEX memories_scope ON memories (user, namespace, superseded_by, forgotten_at)")
    db.execute("CREATE INDEX memories_norm ON memories (user, namespace, norm)")
    db.execute("CREATE INDEX memories_updated ON memories (user, namespace, updated_at)")
    # Written out rather than sqlite-utils' enable_fts, which runs executescript (an implicit COMMIT) and would end
    # this migration's transaction half-way.
    db.execute(
        "CREATE VIRTUAL TABLE memories_fts USING fts5(content, tags, content='memories', content_rowid='rowid', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.execute(
        "CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN "
        "INSERT INTO memories_fts (rowid, content, tags) VALUES (new.rowid, new.content, new.tags); END"
    )
    db.execute(
        "CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN "
        "INSERT INTO memories_fts (memories_fts, rowid, content, tags) VALUES ('delete', old.rowid, old.content, "
        "old.tags); END"
    )
    db.execute(
        "CREATE TRIGGER memories_au AFTER UPDATE OF content, tags ON memories BEGIN "
        "INSERT INTO memories_fts (memories_fts, rowid, content, tags) VALUES ('delete', old.rowid, old.content, "
        "old.tags); INSERT INTO memories_fts (rowid, content, tags) VALUES (new.rowid, new.content, new.tags); END"
    )
    db.execute(
        "CREATE TABLE vectors (rowid INTEGER PRIMARY KEY REFERENCES memories(rowid) ON DELETE CASCADE, "
        "model TEXT NOT NULL, vector BLOB NOT NULL)"
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('generation', '0')")


def _migration_2(db: sqlite_utils.Database) -> None:
    # Memories from one conversation or thread share a source_ref; recall reads a hit's neighbours in it.
    db.execute("CREATE INDEX memories_thread ON memories (user, namespace, source_ref)")


def _migration_3(db: sqlite_utils.Database) -> None:
    # Near-duplicate lookup by MinHash band (see sketch.py), filled for the memories already stored.
    db.execute(
        "CREATE TABLE sketches (band INTEGER NOT NULL, rowid_ INTEGER NOT NULL "
        "REFERENCES memories(rowid) ON DELETE CASCADE)"
    )
    db.execute("CREATE INDEX sketches_band ON sketches (band, rowid_)")
    db.execute("CREATE INDEX sketches_rowid ON sketches (rowid_)")
    for rowid, content in db.execute("SELECT rowid, content FROM memories").fetchall():
        add_sketch(db, rowid, content)


def add_sketch(db: sqlite_utils.Database, rowid: int, content: str) -> None:
    db.conn.executemany(
        "INSERT INTO sketches (band, rowid_) VALUES (?, ?)", [(key, rowid) for key in band_keys(words(content))]
    )


def _migration_4(db: sqlite_utils.Database) -> None:
    # The keyword index also sees, at a lower weight, the message stored just before a memory in the same source:
    # a reply ("They were scared but resilient") is then found by the words of what it answers ("How did the kids
    # handle the accident?"). On LoCoMo's dev half this lifts keyword-only recall@10 from .77 to .79.
    db.execute("ALTER TABLE memories ADD COLUMN context TEXT")
    db.execute(f"UPDATE memories SET context = ({_PREVIOUS.format(table='memories')}) WHERE source_ref IS NOT NULL")
    for trigger in ("memories_ai", "memories_ad", "memories_au"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DROP TABLE memories_fts")
    db.execute(
        "CREATE VIRTUAL TABLE memories_fts USING fts5(content, tags, context, content='memories', "
        "content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')"
    )
    new = "(rowid, content, tags, context) VALUES (new.rowid, new.content, new.tags, new.context)"
    old = (
        "(memories_fts, rowid, content, tags, context) VALUES ('delete', old.rowid, old.content, old.tags, old.context)"
    )
    db.execute(f"CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN INSERT INTO memories_fts {new}; END")
    db.execute(f"CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN INSERT INTO memories_fts {old}; END")
    db.execute(
        "CREATE TRIGGER memories_au AFTER UPDATE OF content, tags, context ON memories BEGIN "
        f"INSERT INTO memories_fts {old}; INSERT INTO memories_fts {new}; END"
    )
    db.execute("INSERT INTO memories_fts (memories_fts) VALUES ('rebuild')")


def _migration_5(db: sqlite_utils.Database) -> None:
    # A question that names a period ("what did I do on 10 September?") also looks among the memories dated in it
    # (`reads.dated_in`; a memory with no about_time is dated when it was told, as the time filters have it): by
    # this index, without reading every memory of the scope. SQLite uses it for the very same expression.
    db.execute(f"CREATE INDEX memories_moment ON memories (user, namespace, {MOMENT})")


def _migration_6(db: sqlite_utils.Database) -> None:
    # A backup record restored under another id (its own was another person's, or it merged into a memory stored
    # since): the id it had, so that restoring the same backup again finds it there (`writes.restore`). The row
    # goes with the memory when it is deleted (a hard forget): restoring then brings the memory back, as it would
    # under its own id.
    db.execute(
        "CREATE TABLE restored (user TEXT NOT NULL, namespace TEXT NOT NULL, original TEXT NOT NULL, "
        "id TEXT NOT NULL, PRIMARY KEY (user, namespace, original))"
    )
    db.execute("CREATE INDEX restored_id ON restored (id)")
    db.execute(
        "CREATE TRIGGER memories_restored_ad AFTER DELETE ON memories BEGIN DELETE FROM restored WHERE id = old.id; END"
    )


# When a memory happened: its about_time, or else when it was told (the filters and the index above use this).
MOMENT = "COALESCE(about_time, created_at)"

# The content of the memory stored just before {table}'s row in the same source, cut to CONTEXT_CHARS.
CONTEXT_CHARS = 500
_PREVIOUS = (
    f"SELECT substr(p.content, 1, {CONTEXT_CHARS}) FROM memories p WHERE p.user = {{table}}.user "
    "AND p.namespace = {table}.namespace AND p.source_ref = {table}.source_ref AND p.rowid < {table}.rowid "
    "ORDER BY p.rowid DESC LIMIT 1"
)


# What a memory's row holds for ranking and answers (all but the copies of text made for searching).
ROW_COLUMNS = (
    "rowid, id, user, namespace, content, category, confidence, source, source_ref, tags, metadata, about_time, "
    "created_at, updated_at, valid_from, valid_to, superseded_by, forgotten_at"
)

MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
]
