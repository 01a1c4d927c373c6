"""The memory store: one SQLite file, shared safely by every process that opens it.

- WAL mode and a generous busy timeout, and every write in one `BEGIN IMMEDIATE` transaction: writers queue instead
  of failing, readers never block, and a writer killed mid-batch leaves either the whole batch or none of it.
- One connection per thread (tools run in worker threads; a sqlite3 connection must not cross threads), each a
  sqlite-utils `Database`. Writes are plain SQL inside our own transaction: sqlite-utils' write helpers commit on
  their own, which would split a batch.
- The schema is versioned with `PRAGMA user_version` and upgraded by the numbered migrations below.
- Full-text search is an FTS5 index kept in step by triggers; vectors, when an
  embedding model is configured, are float32 blobs beside the rows (see `vectors.py` for how they are searched).
- Every query is scoped to (user, namespace): there is no method that reads across scopes.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aide_core.errors import InvalidInput, NotFound
from aide_core.stores import check_schema, connect, is_unusable, unavailable
from aide_memory.models import Memory, NewMemory
from aide_memory.sketch import band_keys

if TYPE_CHECKING:
    import sqlite_utils  # ~280 ms to import (it brings click and more): loaded when the database is first opened

SCHEMA_VERSION = 4
BUSY_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Scope:
    user: str
    namespace: str = ""


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
        _add_sketch(db, rowid, content)


def _add_sketch(db: sqlite_utils.Database, rowid: int, content: str) -> None:
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


# What a memory's row holds for ranking and answers (all but the copies of text made for searching).
_ROW_COLUMNS = (
    "rowid, id, user, namespace, content, category, confidence, source, source_ref, tags, metadata, about_time, "
    "created_at, updated_at, valid_from, valid_to, superseded_by, forgotten_at"
)

# Column weights of bm25 over (content, tags, context).
_FTS_WEIGHTS = "1.0, 0.5, 0.25"

# The content of the memory stored just before {table}'s row in the same source, cut to CONTEXT_CHARS.
CONTEXT_CHARS = 500
_PREVIOUS = (
    f"SELECT substr(p.content, 1, {CONTEXT_CHARS}) FROM memories p WHERE p.user = {{table}}.user "
    "AND p.namespace = {table}.namespace AND p.source_ref = {table}.source_ref AND p.rowid < {table}.rowid "
    "ORDER BY p.rowid DESC LIMIT 1"
)

MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_migration_1, _migration_2, _migration_3, _migration_4]


def normalise(text: str) -> str:
    """The form used to spot exact duplicates: case, accents, spacing and trailing punctuation do not count."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip(".!?;, ")


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def near_duplicate(a: Sequence[str], b: Sequence[str]) -> bool:
    """Word sequences that say the same thing: difflib's ratio over words, so order counts ("worker 0 memory 2"
    and "worker 2 memory 0" differ) while an inserted word does not ("I really prefer..." / "I prefer...")."""
    if not a or not b or 2 * min(len(a), len(b)) < 0.9 * (len(a) + len(b)):
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # The cheap upper bounds first: most pairs are nowhere near alike.
    return matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9


def new_id() -> str:
    """Sortable by creation time, unique across processes."""
    return f"m{int(time.time() * 1000):011x}{secrets.token_hex(6)}"


def _ts(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def row_to_memory(row: dict[str, Any]) -> Memory:
    return Memory(
        id=row["id"],
        content=row["content"],
        category=row["category"],
        confidence=row["confidence"],
        source=row["source"],
        source_ref=row["source_ref"],
        tags=json.loads(row["tags"]),
        metadata=json.loads(row["metadata"]),
        about_time=_dt(row["about_time"]),
        created_at=_dt(row["created_at"]),  # type: ignore[arg-type]
        updated_at=_dt(row["updated_at"]),  # type: ignore[arg-type]
        valid_from=_dt(row["valid_from"]),  # type: ignore[arg-type]
        valid_to=_dt(row["valid_to"]),
        superseded_by=row["superseded_by"],
        forgotten=row["forgotten_at"] is not None,
    )


class MemoryStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._init_lock = threading.Lock()
        self._migrated = False

    # -- connections and transactions ---------------------------------------------------------------------------

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection, opened (private file modes, checked readable, migrated) on first use. A damaged,
        unreadable or locked file is a `StoreUnavailable` naming it (see `aide_core.stores`)."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            import sqlite_utils

            connection = connect(self.path, what="memory", timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA foreign_keys=ON")
                connection.row_factory = sqlite3.Row
                db = sqlite_utils.Database(connection)
                self._migrate(db)
            except BaseException as exc:
                connection.close()  # not kept: the next call opens and migrates again
                if is_unusable(exc):
                    raise unavailable(self.path, "memory", exc) from None
                raise
            self._local.db = db
        return db

    def _migrate(self, db: sqlite_utils.Database) -> None:
        with self._init_lock:
            if self._migrated:
                return
            self._enable_wal(db)
            with self._write(db):
                version = db.execute("PRAGMA user_version").fetchone()[0]
                check_schema(version, SCHEMA_VERSION, self.path, "memory", "aide-memory")
                for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                    migration(db)
                    db.execute(f"PRAGMA user_version={number}")
            self._migrated = True

    @staticmethod
    def _enable_wal(db: sqlite_utils.Database) -> None:
        """Switching to WAL needs a moment of exclusive access, and SQLite reports a clash as "database is locked"
        at once instead of waiting; the mode is stored in the file, so only the very first opening switches."""
        for attempt in range(200):
            try:
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                # Another process is switching it right now: give it the moment it needs (bounded: 2 s in all).
                time.sleep(0.01 * (1 + attempt % 3))
        raise sqlite3.OperationalError("could not switch the memory database to WAL mode: it stays locked")

    @contextmanager
    def _write(self, db: sqlite_utils.Database | None = None) -> Iterator[sqlite_utils.Database]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so a busy database makes us wait
        (busy_timeout) instead of failing half-way with "database is locked"."""
        db = db or self.db
        with self._failing_clearly():
            db.execute("BEGIN IMMEDIATE")
        try:
            with self._failing_clearly():
                yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        with self._failing_clearly():
            db.execute("COMMIT")

    @contextmanager
    def _failing_clearly(self) -> Iterator[None]:
        """A statement that fails because of the file (damaged, locked past the busy timeout, read-only) becomes a
        `StoreUnavailable` naming it; one that fails because of the statement stays what it is (a bug)."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if is_unusable(exc):
                raise unavailable(self.path, "memory", exc) from None
            raise

    def close(self) -> None:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    def generation(self) -> int:
        """Bumped by every write that changes vectors or rows: caches compare it to know when to reload."""
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def vector_epoch(self) -> int:
        """Bumped when memories leave the vectors' view (forget): a cache that only appended new rows since must
        load everything again."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'vector_epoch'").fetchone()
        return 0 if row is None else int(row[0])

    # -- writing ------------------------------------------------------------------------------------------------

    def remember(
        self,
        scope: Scope,
        items: Sequence[NewMemory],
        vectors: Sequence[bytes | None] | None = None,
        model: str | None = None,
    ) -> tuple[list[str], list[bool]]:
        """Store `items` in one transaction; an exact or near duplicate in the scope is merged into the existing
        memory (its id comes back, its confidence and updated_at rise) instead of being stored twice."""
        now = time.time()
        ids: list[str] = []
        merged: list[bool] = []
        with self._write() as db:
            for index, item in enumerate(items):
                existing = self._duplicate_of(db, scope, item)
                if existing is not None:
                    self._merge(db, existing, item, now)
                    ids.append(existing["id"])
                    merged.append(True)
                    continue
                memory_id = new_id()
                db.execute(
                    "INSERT INTO memories (id, user, namespace, content, norm, category, confidence, source, "
                    "source_ref, tags, metadata, about_time, created_at, updated_at, valid_from, context) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        memory_id,
                        scope.user,
                        scope.namespace,
                        item.content,
                        normalise(item.content),
                        item.category,
                        item.confidence,
                        item.source,
                        item.source_ref,
                        json.dumps(sorted(set(item.tags))),
                        json.dumps(item.metadata),
                        _ts(item.about_time),
                        now,
                        now,
                        now,
                        self._previous(db, scope, item.source_ref),
                    ),
                )
                rowid = db.execute("SELECT last_insert_rowid()").fetchone()[0]
                _add_sketch(db, rowid, item.content)
                vector = vectors[index] if vectors else None
                if vector is not None and model:
                    db.execute("INSERT INTO vectors (rowid, model, vector) VALUES (?, ?, ?)", (rowid, model, vector))
                ids.append(memory_id)
                merged.append(False)
            db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        return ids, merged

    def _previous(self, db: sqlite_utils.Database, scope: Scope, source_ref: str | None) -> str | None:
        if not source_ref:
            return None
        row = db.execute(
            f"SELECT substr(content, 1, {CONTEXT_CHARS}) FROM memories WHERE user = ? AND namespace = ? "
            "AND source_ref = ? ORDER BY rowid DESC LIMIT 1",
            (scope.user, scope.namespace, source_ref),
        ).fetchone()
        return None if row is None else row[0]

    def _duplicate_of(self, db: sqlite_utils.Database, scope: Scope, item: NewMemory) -> dict[str, Any] | None:
        about = _ts(item.about_time)
        same_time = "(about_time IS ? OR about_time IS NULL OR ? IS NULL)"
        current = "superseded_by IS NULL AND forgotten_at IS NULL"
        exact = db.execute(
            f"SELECT * FROM memories WHERE user = ? AND namespace = ? AND norm = ? AND {current} AND {same_time} "
            "LIMIT 1",
            (scope.user, scope.namespace, normalise(item.content), about, about),
        ).fetchone()
        if exact is not None:
            return self._as_dict(db, exact)
        terms = set(words(item.content))
        if len(terms) < 4:  # short texts differ in one word and mean different things ("buy milk" / "buy eggs")
            return None
        keys = band_keys(words(item.content))
        rows = db.execute(
            # The newest 200 sharers of a band at most: a bucket that common phrasing has filled up must not make
            # each insert slower than the last.
            f"SELECT * FROM memories WHERE rowid IN (SELECT rowid_ FROM sketches WHERE band IN "
            f"({','.join('?' * len(keys))}) ORDER BY rowid_ DESC LIMIT 200) AND user = ? AND namespace = ? "
            f"AND category = ? AND {current} AND {same_time} ORDER BY rowid DESC LIMIT 20",
            (*keys, scope.user, scope.namespace, item.category, about, about),
        ).fetchall()
        sequence = words(item.content)
        for row in rows:
            candidate = self._as_dict(db, row)
            if near_duplicate(sequence, words(candidate["content"])):
                return candidate
        return None

    @staticmethod
    def _as_dict(db: sqlite_utils.Database, row: sqlite3.Row) -> dict[str, Any]:
        return dict(row)

    def _merge(self, db: sqlite_utils.Database, existing: dict[str, Any], item: NewMemory, now: float) -> None:
        # Two independent sightings make the memory more likely true: noisy-OR, capped below certainty.
        confidence = min(0.99, 1 - (1 - existing["confidence"]) * (1 - item.confidence))
        confidence = max(confidence, existing["confidence"])
        tags = sorted(set(json.loads(existing["tags"])) | set(item.tags))
        metadata = item.metadata | json.loads(existing["metadata"])  # what was stored first wins on a clash
        db.execute(
            "UPDATE memories SET confidence = ?, updated_at = ?, tags = ?, metadata = ?, "
            "about_time = COALESCE(about_time, ?) WHERE rowid = ?",
            (confidence, now, json.dumps(tags), json.dumps(metadata), _ts(item.about_time), existing["rowid"]),
        )

    def update(
        self,
        scope: Scope,
        memory_id: str,
        changes: dict[str, Any],
        vector: bytes | None = None,
        model: str | None = None,
    ) -> str:
        """A correction: a new version with `changes` supersedes the old one, which is kept as history."""
        now = time.time()
        with self._write() as db:
            old = self._current_row(db, scope, memory_id)
            new_memory_id = new_id()
            content = changes.get("content", old["content"])
            about = changes["about_time"] if "about_time" in changes else _dt(old["about_time"])
            source_ref = changes.get("source_ref", old["source_ref"])
            context = old["context"] if source_ref == old["source_ref"] else self._previous(db, scope, source_ref)
            db.execute(
                "INSERT INTO memories (id, user, namespace, content, norm, category, confidence, source, "
                "source_ref, tags, metadata, about_time, created_at, updated_at, valid_from, context) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_memory_id,
                    scope.user,
                    scope.namespace,
                    content,
                    normalise(content),
                    changes.get("category", old["category"]),
                    changes.get("confidence", old["confidence"]),
                    changes.get("source", old["source"]),
                    source_ref,
                    json.dumps(sorted(set(changes["tags"]))) if "tags" in changes else old["tags"],
                    json.dumps(changes["metadata"]) if "metadata" in changes else old["metadata"],
                    _ts(about),
                    old["created_at"],
                    now,
                    now,
                    context,
                ),
            )
            rowid = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            _add_sketch(db, rowid, content)
            if vector is not None and model:
                db.execute("INSERT INTO vectors (rowid, model, vector) VALUES (?, ?, ?)", (rowid, model, vector))
            elif "content" not in changes:
                db.execute(
                    "INSERT INTO vectors (rowid, model, vector) SELECT ?, model, vector FROM vectors WHERE rowid = ?",
                    (rowid, old["rowid"]),
                )
            db.execute(
                "UPDATE memories SET valid_to = ?, superseded_by = ? WHERE rowid = ?",
                (now, new_memory_id, old["rowid"]),
            )
            db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        return new_memory_id

    def _current_row(self, db: sqlite_utils.Database, scope: Scope, memory_id: str) -> dict[str, Any]:
        row = db.execute(
            "SELECT * FROM memories WHERE id = ? AND user = ? AND namespace = ?",
            (memory_id, scope.user, scope.namespace),
        ).fetchone()
        if row is None:
            raise NotFound(f"No memory with id {memory_id!r}.", hint="Use an id returned by recall or list.")
        found = self._as_dict(db, row)
        if found["forgotten_at"] is not None:
            raise NotFound(f"Memory {memory_id!r} was forgotten.")
        if found["superseded_by"] is not None:
            raise InvalidInput(
                f"Memory {memory_id!r} was already corrected; its current version is {found['superseded_by']!r}.",
                hint="Update the current version instead.",
            )
        return found

    def forget(self, scope: Scope, memory_ids: Sequence[str], *, hard: bool) -> list[str]:
        """Soft: hidden from recall and listing, kept on disk. Hard: deleted with its history and vectors."""
        now = time.time()
        done: list[str] = []
        with self._write() as db:
            for memory_id in memory_ids:
                row = db.execute(
                    "SELECT rowid FROM memories WHERE id = ? AND user = ? AND namespace = ?",
                    (memory_id, scope.user, scope.namespace),
                ).fetchone()
                if row is None:
                    continue
                if hard:
                    # The whole chain of versions goes: a hard forget must not leave the old wording behind.
                    chain = self._history_rowids(db, scope, memory_id)
                    db.execute(
                        f"DELETE FROM memories WHERE rowid IN ({','.join('?' * len(chain))})",
                        chain,
                    )
                else:
                    db.execute("UPDATE memories SET forgotten_at = ? WHERE rowid = ?", (now, row[0]))
                done.append(memory_id)
            db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('vector_epoch', '1') "
                "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
        return done

    def _history_rowids(self, db: sqlite_utils.Database, scope: Scope, memory_id: str) -> list[int]:
        rowids: list[int] = []
        pending = [memory_id]
        seen: set[str] = set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            for rowid, found_id, superseded_by in db.execute(
                "SELECT rowid, id, superseded_by FROM memories WHERE user = ? AND namespace = ? "
                "AND (id = ? OR superseded_by = ?)",
                (scope.user, scope.namespace, current, current),
            ).fetchall():
                rowids.append(rowid)
                pending.append(found_id)
                if superseded_by:
                    pending.append(superseded_by)
        return sorted(set(rowids))

    # -- reading ------------------------------------------------------------------------------------------------

    def current_id(self, scope: Scope, memory_id: str) -> str | None:
        """The latest version of `memory_id` (itself when never corrected); None when unknown in this scope."""
        seen: set[str] = set()
        current: str | None = memory_id
        while current is not None and current not in seen:
            seen.add(current)
            row = self.db.execute(
                "SELECT superseded_by FROM memories WHERE id = ? AND user = ? AND namespace = ?",
                (current, scope.user, scope.namespace),
            ).fetchone()
            if row is None:
                return None
            if row[0] is None:
                return current
            current = row[0]
        return current

    def get(self, scope: Scope, memory_ids: Sequence[str]) -> tuple[list[Memory], list[str]]:
        found: dict[str, Memory] = {}
        for memory_id in memory_ids:
            row = self.db.execute(
                "SELECT * FROM memories WHERE id = ? AND user = ? AND namespace = ?",
                (memory_id, scope.user, scope.namespace),
            ).fetchone()
            if row is not None:
                found[memory_id] = row_to_memory(self._as_dict(self.db, row))
        return [found[i] for i in memory_ids if i in found], [i for i in memory_ids if i not in found]

    def rows(
        self,
        scope: Scope,
        *,
        where: str = "",
        params: Sequence[Any] = (),
        order: str = "updated_at DESC, rowid DESC",
        limit: int | None = None,
        include_superseded: bool = False,
        include_forgotten: bool = False,
    ) -> list[dict[str, Any]]:
        clauses = ["user = ?", "namespace = ?"]
        if not include_superseded:
            clauses.append("superseded_by IS NULL")
        if not include_forgotten:
            clauses.append("forgotten_at IS NULL")
        if where:
            clauses.append(where)
        sql = f"SELECT * FROM memories WHERE {' AND '.join(clauses)} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._as_dict(self.db, row) for row in self.db.execute(sql, (scope.user, scope.namespace, *params))]

    def rows_by_rowid(self, rowids: Sequence[int]) -> dict[int, dict[str, Any]]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        # Not `*`: ranking reads hundreds of rows a query, and norm and context (copies of text) are half their bytes.
        return {
            row["rowid"]: row
            for row in (
                self._as_dict(self.db, raw)
                for raw in self.db.execute(
                    f"SELECT {_ROW_COLUMNS} FROM memories WHERE rowid IN ({marks})", list(rowids)
                )
            )
        }

    def fts(self, scope: Scope, match: str, limit: int, include_superseded: bool) -> list[tuple[int, float]]:
        """(rowid, bm25) of the best full-text matches in the scope; bm25 is negative, lower is better.

        The index is searched alone first, for a few times `limit` rows, and only those are checked against the
        scope: joining every match to its row (thousands for a common word) costs more than ranking them. When that
        leaves too few rows (a store shared by many users), the full join runs instead."""
        current = "" if include_superseded else "AND superseded_by IS NULL"
        ranked = f"bm25(memories_fts, {_FTS_WEIGHTS})"
        wide = 4 * limit
        best = self.db.execute(
            f"SELECT rowid, {ranked} FROM memories_fts WHERE memories_fts MATCH ? ORDER BY {ranked} LIMIT ?",
            (match, wide),
        ).fetchall()
        if not best:
            return []
        marks = ",".join("?" * len(best))
        inside = {
            row[0]
            for row in self.db.execute(
                f"SELECT rowid FROM memories WHERE rowid IN ({marks}) AND user = ? AND namespace = ? "
                f"AND forgotten_at IS NULL {current}",
                (*(row[0] for row in best), scope.user, scope.namespace),
            )
        }
        if len(inside) >= limit or len(best) < wide:
            return [(rowid, score) for rowid, score in best if rowid in inside][:limit]
        return [
            (rowid, score)
            for rowid, score in self.db.execute(
                f"SELECT m.rowid, {ranked} FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid "
                f"WHERE memories_fts MATCH ? AND m.user = ? AND m.namespace = ? AND m.forgotten_at IS NULL "
                f"{current.replace('superseded_by', 'm.superseded_by')} ORDER BY {ranked} LIMIT ?",
                (match, scope.user, scope.namespace, limit),
            )
        ]

    def last_in_thread(self, scope: Scope, source_ref: str) -> str | None:
        row = self.db.execute(
            "SELECT content FROM memories WHERE user = ? AND namespace = ? AND source_ref = ? "
            "ORDER BY rowid DESC LIMIT 1",
            (scope.user, scope.namespace, source_ref),
        ).fetchone()
        return None if row is None else row[0]

    def neighbours(
        self, scope: Scope, rows: Sequence[dict[str, Any]], reach: int = 1
    ) -> dict[int, tuple[list[int], list[int]]]:
        """For each row with a source_ref: the rowids of up to `reach` (1 or 2) memories stored just before and just
        after it from the same source (a conversation, a thread), nearest first.

        One statement for all rows: each neighbour is a step along the (user, namespace, source_ref) index, whose
        entries are in rowid order."""
        wanted = [row["rowid"] for row in rows if row["source_ref"]]
        if not wanted:
            return {}
        step = (
            "(SELECT n.rowid FROM memories n WHERE n.user = m.user AND n.namespace = m.namespace "
            "AND n.source_ref = m.source_ref AND n.rowid {op} m.rowid ORDER BY n.rowid {order} LIMIT 1 OFFSET {skip})"
        )
        columns = [
            step.format(op=op, order=order, skip=skip)
            for skip in range(max(1, min(reach, 2)))
            for op, order in (("<", "DESC"), (">", "ASC"))
        ]
        found: dict[int, tuple[list[int], list[int]]] = {}
        for chunk in _chunks(wanted, 500):
            query = (
                f"SELECT m.rowid, {', '.join(columns)} FROM memories m "
                f"WHERE m.user = ? AND m.namespace = ? AND m.rowid IN ({', '.join('?' * len(chunk))})"
            )
            for rowid, *steps in self.db.execute(query, (scope.user, scope.namespace, *chunk)):
                before = [r for r in steps[0::2] if r is not None]
                after = [r for r in steps[1::2] if r is not None]
                found[rowid] = (before, after)
        return found

    def vectors(self, scope: Scope, model: str, after: int = 0) -> tuple[list[int], list[bytes]]:
        """The scope's vectors of `model` with a rowid above `after`, in rowid order.

        With `after`, the newest vectors are read by rowid (CROSS JOIN keeps SQLite from starting at the scope's
        index and sorting every row of it: 70 ms at 100,000 for the few rows a cache appends)."""
        join = "CROSS JOIN" if after else "JOIN"
        rows = self.db.execute(
            f"SELECT v.rowid, v.vector FROM vectors v {join} memories m ON m.rowid = v.rowid "
            "WHERE m.user = ? AND m.namespace = ? AND m.forgotten_at IS NULL AND v.model = ? AND v.rowid > ? "
            "ORDER BY v.rowid",
            (scope.user, scope.namespace, model, after),
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def stats(self, scope: Scope) -> dict[str, Any]:
        db = self.db
        base = "FROM memories WHERE user = ? AND namespace = ?"
        args = (scope.user, scope.namespace)
        total, superseded, forgotten, oldest, newest = db.execute(
            "SELECT COUNT(*), COUNT(superseded_by), COUNT(forgotten_at), MIN(created_at), MAX(updated_at) " + base,
            args,
        ).fetchone()
        by_category = dict(
            db.execute(
                f"SELECT category, COUNT(*) {base} AND superseded_by IS NULL AND forgotten_at IS NULL "
                "GROUP BY category ORDER BY 2 DESC",
                args,
            ).fetchall()
        )
        return {
            "total": total,
            "current": sum(by_category.values()),
            "superseded": superseded,
            "forgotten": forgotten,
            "by_category": by_category,
            "oldest": _dt(oldest),
            "newest": _dt(newest),
        }


def _chunks(items: Sequence[int], size: int) -> list[Sequence[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
