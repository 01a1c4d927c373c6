"""Keyword search: BM25 over the FTS5 index, inside a scope and its filters.

The index is searched alone first, for a few times `limit` rows, and only those are checked against the scope and
the filters: joining every match to its row (thousands for a common word) costs more than ranking them. When that
leaves too few rows (a store shared by many users, or filters that keep few memories), the full join runs instead,
with the filters in its WHERE clause, so a narrow filter still finds its memories however many others match better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aide_memory.filters import Filters
from aide_memory.text import fts_query

if TYPE_CHECKING:
    import sqlite_utils

    from aide_memory.store import Scope

# Column weights of bm25 over (content, tags, context).
FTS_WEIGHTS = "1.0, 0.5, 0.25"


def search(
    db: sqlite_utils.Database, scope: Scope, match: str, limit: int, filters: Filters | None = None
) -> list[tuple[int, float]]:
    """(rowid, bm25) of the best full-text matches in the scope that pass `filters`; bm25 is negative, lower is
    better. `match` is an FTS5 query made by `text.fts_query`."""
    filters = filters or Filters()
    where, params = filters.sql("m")
    ranked = f"bm25(memories_fts, {FTS_WEIGHTS})"
    wide = 4 * limit
    best = db.execute(
        f"SELECT rowid, {ranked} FROM memories_fts WHERE memories_fts MATCH ? ORDER BY {ranked} LIMIT ?",
        (match, wide),
    ).fetchall()
    if not best:
        return []
    marks = ",".join("?" * len(best))
    inside = {
        row[0]
        for row in db.execute(
            f"SELECT m.rowid FROM memories m WHERE m.rowid IN ({marks}) AND m.user = ? AND m.namespace = ? {where}",
            (*(row[0] for row in best), scope.user, scope.namespace, *params),
        )
    }
    if len(inside) >= limit or len(best) < wide:
        return [(rowid, score) for rowid, score in best if rowid in inside][:limit]
    return [
        (rowid, score)
        for rowid, score in db.execute(
            f"SELECT m.rowid, {ranked} FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid "
            f"WHERE memories_fts MATCH ? AND m.user = ? AND m.namespace = ? {where} ORDER BY {ranked} LIMIT ?",
            (match, scope.user, scope.namespace, *params, limit),
        )
    ]


# Documents counted per query word to estimate its rarity: a word in more memories than this is common anyway.
DF_CAP = 2000


def full_match_score(db: sqlite_utils.Database, terms: Sequence[str]) -> float:
    """The bm25 a memory would score that contains every query word once and is of average length: the sum of the
    words' inverse document frequencies, as FTS5 computes them (ln((N - df + 0.5) / (df + 0.5)), at least 1e-6).

    A hit's bm25 over this is how much of what the query says it matched, an absolute measure: matching the one
    common word of a question ("time", "booking") scores near 0, matching a name and a date near 1. Scaling by the
    best hit instead gives 1.0 to whatever matched best, however little that was. Each word's document count is one
    FTS5 lookup, capped at DF_CAP rows (a fraction of a millisecond)."""
    total = db.execute("SELECT MAX(rowid) FROM memories").fetchone()[0] or 0
    score = 0.0
    for term in terms:
        df = db.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)",
            (fts_query([term]), DF_CAP),
        ).fetchone()[0]
        score += max(1e-6, math.log((total - df + 0.5) / (df + 0.5))) if total else 0.0
    return score
