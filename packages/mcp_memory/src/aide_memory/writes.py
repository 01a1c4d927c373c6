"""Writing memories: remember (merging duplicates), correct (a new version supersedes the old), forget, and the
vectors computed for memories after they were stored."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aide_core.errors import InvalidInput, NotFound
from aide_memory import text
from aide_memory.connection import Connection, Scope
from aide_memory.filters import timestamp
from aide_memory.models import NewMemory
from aide_memory.reads import as_datetime, last_in_thread
from aide_memory.schema import add_sketch
from aide_memory.sketch import band_keys

if TYPE_CHECKING:
    import sqlite_utils

    from aide_memory.transfer import Exported


def new_id(clock: Callable[[], float]) -> str:
    """Sortable by creation time, unique across processes."""
    return f"m{int(clock() * 1000):011x}{secrets.token_hex(6)}"


class Writes(Connection):
    def remember(
        self,
        scope: Scope,
        items: Sequence[NewMemory],
        vectors: Sequence[bytes | None] | Callable[[], Sequence[bytes | None] | None] | None = None,
        model: str | None = None,
    ) -> tuple[list[str], list[bool]]:
        """Store `items` in one transaction; an exact or near duplicate in the scope is merged into the existing
        memory (its id comes back, its confidence and updated_at rise) instead of being stored twice.

        `vectors` may be a function that waits for them (an embedding running in another thread): it is called
        after the rows are written, inside the same transaction, so the duplicate checks and inserts overlap with
        the embedding and the rows and their vectors still commit together."""
        now = self.clock()
        ids: list[str] = []
        merged: list[bool] = []
        stored: list[tuple[int, int]] = []  # (index in items, rowid) of the memories stored, not merged
        with self._write() as db:
            for index, item in enumerate(items):
                existing = self._duplicate_of(db, scope, item)
                if existing is not None:
                    self._merge(db, existing, item, now)
                    ids.append(existing["id"])
                    merged.append(True)
                    continue
                memory_id = new_id(self.clock)
                rowid = self._insert(db, scope, memory_id, item, created_at=now, updated_at=now, valid_from=now)
                stored.append((index, rowid))
                ids.append(memory_id)
                merged.append(False)
            computed = vectors() if callable(vectors) else vectors
            if computed and model:
                db.conn.executemany(
                    "INSERT INTO vectors (rowid, model, vector) VALUES (?, ?, ?)",
                    [(rowid, model, computed[index]) for index, rowid in stored if computed[index] is not None],
                )
            db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        return ids, merged

    def _insert(
        self,
        db: sqlite_utils.Database,
        scope: Scope,
        memory_id: str,
        item: NewMemory | Exported,
        **times: float | str | None,
    ) -> int:
        """Store one memory row and its sketch; its rowid. `times` are the columns `remember` and `restore` set
        differently (created_at, updated_at, valid_from; a restore also valid_to, superseded_by, forgotten_at)."""
        row: dict[str, Any] = {
            "id": memory_id,
            "user": scope.user,
            "namespace": scope.namespace,
            "content": item.content,
            "norm": text.normalise(item.content),
            "category": item.category,
            "confidence": item.confidence,
            "source": item.source,
            "source_ref": item.source_ref,
            "tags": json.dumps(sorted(set(item.tags))),
            "metadata": json.dumps(item.metadata),
            "about_time": timestamp(item.about_time),
            "context": self._previous(db, scope, item.source_ref),
            **times,
        }  # column names are this code's own, never a caller's
        db.execute(f"INSERT INTO memories ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        rowid = int(db.execute("SELECT last_insert_rowid()").fetchone()[0])
        add_sketch(db, rowid, item.content)
        return rowid

    def _previous(self, db: sqlite_utils.Database, scope: Scope, source_ref: str | None) -> str | None:
        return last_in_thread(db, scope, source_ref) if source_ref else None

    def _duplicate_of(self, db: sqlite_utils.Database, scope: Scope, item: NewMemory) -> dict[str, Any] | None:
        about = timestamp(item.about_time)
        same_time = "(about_time IS ? OR about_time IS NULL OR ? IS NULL)"
        current = "superseded_by IS NULL AND forgotten_at IS NULL"
        exact = db.execute(
            f"SELECT * FROM memories WHERE user = ? AND namespace = ? AND norm = ? AND {current} AND {same_time} "
            "LIMIT 1",
            (scope.user, scope.namespace, text.normalise(item.content), about, about),
        ).fetchone()
        if exact is not None:
            return dict(exact)
        terms = set(text.words(item.content))
        if len(terms) < 4:  # short texts differ in one word and mean different things ("buy milk" / "buy eggs")
            return None
        keys = band_keys(text.words(item.content))
        rows = db.execute(
            # The newest 200 sharers of a band at most: a bucket that common phrasing has filled up must not make
            # each insert slower than the last.
            f"SELECT * FROM memories WHERE rowid IN (SELECT rowid_ FROM sketches WHERE band IN "
            f"({','.join('?' * len(keys))}) ORDER BY rowid_ DESC LIMIT 200) AND user = ? AND namespace = ? "
            f"AND category = ? AND {current} AND {same_time} ORDER BY rowid DESC LIMIT 20",
            (*keys, scope.user, scope.namespace, item.category, about, about),
        ).fetchall()
        sequence = text.words(item.content)
        for row in rows:
            candidate = dict(row)
            if text.near_duplicate(sequence, text.words(candidate["content"])):
                return candidate
        return None

    def _merge(self, db: sqlite_utils.Database, existing: dict[str, Any], item: NewMemory, now: float) -> None:
        # Two independent sightings make the memory more likely true: noisy-OR, capped below certainty.
        confidence = min(0.99, 1 - (1 - existing["confidence"]) * (1 - item.confidence))
        confidence = max(confidence, existing["confidence"])
        tags = sorted(set(json.loads(existing["tags"])) | set(item.tags))
        metadata = item.metadata | json.loads(existing["metadata"])  # what was stored first wins on a clash
        # "note" is what a memory told without a category gets: told again as a preference, it becomes one.
        category = item.category if existing["category"] == "note" else existing["category"]
        db.execute(
            "UPDATE memories SET confidence = ?, updated_at = ?, tags = ?, metadata = ?, category = ?, "
            "about_time = COALESCE(about_time, ?) WHERE rowid = ?",
            (
                confidence,
                now,
                json.dumps(tags),
                json.dumps(metadata),
                category,
                timestamp(item.about_time),
                existing["rowid"],
            ),
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
        now = self.clock()
        with self._write() as db:
            old = self._current_row(db, scope, memory_id)
            new_memory_id = new_id(self.clock)
            content = changes.get("content", old["content"])
            about = changes["about_time"] if "about_time" in changes else as_datetime(old["about_time"])
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
                    text.normalise(content),
                    changes.get("category", old["category"]),
                    changes.get("confidence", old["confidence"]),
                    changes.get("source", old["source"]),
                    source_ref,
                    json.dumps(sorted(set(changes["tags"]))) if "tags" in changes else old["tags"],
                    json.dumps(changes["metadata"]) if "metadata" in changes else old["metadata"],
                    timestamp(about),
                    old["created_at"],
                    now,
                    now,
                    context,
                ),
            )
            rowid = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            add_sketch(db, rowid, content)
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
            raise NotFound(f"No memory with id {memory_id!r}.", hint="Use an id returned by recall or list_memories.")
        found = dict(row)
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
        now = self.clock()
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

    def put_vectors(self, model: str, vectors: Sequence[tuple[int, bytes]]) -> None:
        """Vectors computed after their memories were stored (see `backfill.py`); a memory that was deleted
        meanwhile is skipped."""
        if not vectors:
            return
        with self._write() as db:
            db.conn.executemany(
                "INSERT OR REPLACE INTO vectors (rowid, model, vector) SELECT ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM memories WHERE rowid = ?)",
                [(rowid, model, blob, rowid) for rowid, blob in vectors],
            )
            db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            # Older rows than a cache's newest gain vectors: it must load them all again, not only append.
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('vector_epoch', '1') "
                "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )

    def restore(
        self,
        scope: Scope,
        records: Sequence[Exported],
        vectors: Sequence[bytes | None] | None = None,
        model: str | None = None,
        renamed: dict[str, str] | None = None,
    ) -> tuple[int, int, int]:
        """Put back memories from a backup with their ids, times and history, in one transaction: (restored,
        already there, merged). A record whose id the scope already holds is skipped (restoring twice changes
        nothing); a current one that duplicates a memory stored since is merged into it, as `remember` would.

        An id taken in another scope (the same backup restored for a second user of one database) gets a new one,
        and a record merged into a memory stored since takes that memory's id; both are noted in `renamed` (old ->
        new). The links of the history are then rewritten to the new ids, here and in later calls given the same
        dict: a backup restored in batches keeps its chains whole, within the scope, even when an old version's
        batch came before its successor's."""
        restored = present = merged = 0
        renamed = {} if renamed is None else renamed
        fresh: list[str] = []  # ids renamed by this call: rows stored before may point to them
        with self._write() as db:
            for index, record in enumerate(records):
                owner = db.execute("SELECT user, namespace FROM memories WHERE id = ?", (record.id,)).fetchone()
                if owner is not None and tuple(owner) == (scope.user, scope.namespace):
                    present += 1
                    continue
                earlier = db.execute(
                    "SELECT id FROM restored WHERE user = ? AND namespace = ? AND original = ?",
                    (scope.user, scope.namespace, record.id),
                ).fetchone()
                if earlier is not None:  # restored before under another id: there already
                    renamed[record.id] = earlier[0]
                    present += 1
                    continue
                current = record.superseded_by is None and not record.forgotten
                existing = self._duplicate_of(db, scope, record.as_new()) if current else None
                if existing is not None:
                    self._merge(db, existing, record.as_new(), self.clock())
                    merged += 1
                    # Its older versions now lead to the memory it was merged into (never to the record's id,
                    # which may be another person's memory, or no memory at all).
                    if existing["id"] != record.id:
                        renamed[record.id] = existing["id"]
                        fresh.append(record.id)
                    continue
                if owner is not None:
                    renamed[record.id] = new_id(self.clock)
                    fresh.append(record.id)
                rowid = self._insert(
                    db,
                    scope,
                    renamed.get(record.id, record.id),
                    record,
                    created_at=timestamp(record.created_at),
                    updated_at=timestamp(record.updated_at),
                    valid_from=timestamp(record.valid_from),
                    valid_to=timestamp(record.valid_to),
                    superseded_by=renamed.get(record.superseded_by or "", record.superseded_by),
                    forgotten_at=timestamp(record.forgotten_at or record.updated_at) if record.forgotten else None,
                )
                vector = vectors[index] if vectors else None
                if vector is not None and model:
                    db.execute("INSERT INTO vectors (rowid, model, vector) VALUES (?, ?, ?)", (rowid, model, vector))
                restored += 1
            db.conn.executemany(
                "UPDATE memories SET superseded_by = ? WHERE user = ? AND namespace = ? AND superseded_by = ?",
                [(renamed[old], scope.user, scope.namespace, old) for old in fresh],
            )
            db.conn.executemany(
                "INSERT OR REPLACE INTO restored (user, namespace, original, id) VALUES (?, ?, ?, ?)",
                [(scope.user, scope.namespace, old, renamed[old]) for old in fresh],
            )
            db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        return restored, present, merged
