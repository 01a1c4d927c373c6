"""Reading memories: typed queries over the store, each scoped to (user, namespace)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from aide_memory import lexical
from aide_memory.connection import Connection, Scope
from aide_memory.filters import Filters
from aide_memory.models import Memory
from aide_memory.schema import CONTEXT_CHARS, MOMENT, ROW_COLUMNS

VECTOR_CHUNK = 4096  # rows of vectors read at a time (6 MB of MiniLM's)


def last_in_thread(db: Any, scope: Scope, source_ref: str) -> str | None:
    """The start (CONTEXT_CHARS) of the memory stored last from `source_ref`: the context a new memory from the same
    conversation is embedded and stored with, the same whether it is embedded at once or backfilled later."""
    row = db.execute(
        f"SELECT substr(content, 1, {CONTEXT_CHARS}) FROM memories WHERE user = ? AND namespace = ? "
        "AND source_ref = ? ORDER BY rowid DESC LIMIT 1",
        (scope.user, scope.namespace, source_ref),
    ).fetchone()
    return None if row is None else str(row[0])


def as_datetime(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def row_fields(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the fields of a `Memory` (or of an `Exported` backup record, which has the same ones), the
    text as stored: a `Memory` defangs it as it is made, an export keeps it exactly."""
    return {
        "id": row["id"],
        "content": row["content"],
        "category": row["category"],
        "confidence": row["confidence"],
        "source": row["source"],
        "source_ref": row["source_ref"],
        "tags": json.loads(row["tags"]),
        "metadata": json.loads(row["metadata"]),
        "about_time": as_datetime(row["about_time"]),
        "created_at": as_datetime(row["created_at"]),
        "updated_at": as_datetime(row["updated_at"]),
        "valid_from": as_datetime(row["valid_from"]),
        "valid_to": as_datetime(row["valid_to"]),
        "superseded_by": row["superseded_by"],
        "forgotten": row["forgotten_at"] is not None,
    }


def row_to_memory(row: dict[str, Any]) -> Memory:
    return Memory(**row_fields(row))


class Reads(Connection):
    def generation(self) -> int:
        """Bumped by every write that changes vectors or rows: caches compare it to know when to reload."""
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def vector_epoch(self) -> int:
        """Bumped when memories leave the vectors' view (forget): a cache that only appended new rows since must
        load everything again."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'vector_epoch'").fetchone()
        return 0 if row is None else int(row[0])

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
                found[memory_id] = row_to_memory(dict(row))
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
        return [dict(row) for row in self.db.execute(sql, (scope.user, scope.namespace, *params))]

    def rows_by_rowid(self, rowids: Sequence[int]) -> dict[int, dict[str, Any]]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        # Not `*`: ranking reads hundreds of rows a query, and norm and context (copies of text) are half their bytes.
        return {
            row["rowid"]: row
            for row in (
                dict(raw)
                for raw in self.db.execute(f"SELECT {ROW_COLUMNS} FROM memories WHERE rowid IN ({marks})", list(rowids))
            )
        }

    def fts(self, scope: Scope, match: str, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """(rowid, bm25) of the best full-text matches in the scope that pass `filters` (see `lexical.search`)."""
        return lexical.search(self.db, scope, match, limit, filters)

    def rowids_passing(self, scope: Scope, filters: Filters) -> list[int]:
        """The rowids of the scope's memories that pass `filters`, for narrowing the dense search."""
        where, params = filters.sql("m")
        return [
            row[0]
            for row in self.db.execute(
                f"SELECT m.rowid FROM memories m WHERE m.user = ? AND m.namespace = ? {where}",
                (scope.user, scope.namespace, *params),
            )
        ]

    def dated_in(self, scope: Scope, start: float | None, end: float | None, filters: Filters, limit: int) -> list[int]:
        """The rowids of up to `limit` of the scope's memories dated in [start, end) (about_time, or when told:
        `schema.MOMENT`) that pass `filters`, the latest first, by the index of migration 5."""
        bounds: list[str] = []
        values: list[float] = []
        if start is not None:
            bounds.append(f" AND {MOMENT} >= ?")
            values.append(start)
        if end is not None:
            bounds.append(f" AND {MOMENT} < ?")
            values.append(end)
        where, params = filters.sql("m")
        return [
            row[0]
            for row in self.db.execute(
                # Unqualified columns in the bounds and the order: the expression must read as the index's does.
                f"SELECT m.rowid FROM memories m WHERE user = ? AND namespace = ?{''.join(bounds)} {where} "
                f"ORDER BY {MOMENT} DESC LIMIT ?",
                (scope.user, scope.namespace, *values, *params, limit),
            )
        ]

    def missing_vectors(self, model: str, limit: int) -> list[tuple[int, str, str | None]]:
        """(rowid, content, previous message) of up to `limit` current memories, of any scope, that have no vector
        of `model`: stored before vectors were in use, or under another model. Newest first: they are the likeliest
        to be asked about."""
        return [
            (row[0], row[1], row[2])
            for row in self.db.execute(
                "SELECT m.rowid, m.content, m.context FROM memories m WHERE m.forgotten_at IS NULL "
                "AND m.superseded_by IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM vectors v WHERE v.rowid = m.rowid AND v.model = ?) ORDER BY m.rowid DESC LIMIT ?",
                (model, limit),
            )
        ]

    def last_in_thread(self, scope: Scope, source_ref: str) -> str | None:
        return last_in_thread(self.db, scope, source_ref)

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

    @contextmanager
    def vectors(
        self, scope: Scope, model: str, after: int = 0
    ) -> Iterator[tuple[int, Iterator[list[tuple[int, bytes]]]]]:
        """How many of the scope's vectors of `model` have a rowid above `after`, and those (rowid, vector) rows in
        rowid order, in chunks of VECTOR_CHUNK: a caller copies them into one matrix without holding every row's
        blob as well (at 100,000 the blobs alone are 150 MB, and a list of them doubled the peak memory of a load).
        One read transaction for the count and the rows, so they agree whatever another process writes meanwhile.

        With `after`, the newest vectors are read by rowid (CROSS JOIN keeps SQLite from starting at the scope's
        index and sorting every row of it: 70 ms at 100,000 for the few rows a cache appends)."""
        join = "CROSS JOIN" if after else "JOIN"
        where = (
            f"FROM vectors v {join} memories m ON m.rowid = v.rowid WHERE m.user = ? AND m.namespace = ? "
            "AND m.forgotten_at IS NULL AND v.model = ? AND v.rowid > ?"
        )
        args = (scope.user, scope.namespace, model, after)
        db = self.db
        db.execute("BEGIN")
        try:
            count = int(db.execute(f"SELECT COUNT(*) {where}", args).fetchone()[0])
            cursor = db.execute(f"SELECT v.rowid, v.vector {where} ORDER BY v.rowid", args)
            yield count, (rows for rows in iter(lambda: cursor.fetchmany(VECTOR_CHUNK), []))
        finally:
            db.execute("ROLLBACK")  # it only read

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
            "oldest": as_datetime(oldest),
            "newest": as_datetime(newest),
        }

    def without_vector(self, scope: Scope, model: str) -> int:
        """How many of the scope's current memories have no vector of `model` yet (the background fill's work)."""
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM memories m WHERE m.user = ? AND m.namespace = ? AND m.superseded_by IS NULL "
                "AND m.forgotten_at IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM vectors v WHERE v.rowid = m.rowid AND v.model = ?)",
                (scope.user, scope.namespace, model),
            ).fetchone()[0]
        )


def _chunks(items: Sequence[int], size: int) -> list[Sequence[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
