"""The store's schema migrations: a database written by an older aide-memory opens, upgraded, with nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from aide_memory.recall import recall
from aide_memory.store import MIGRATIONS, SCHEMA_VERSION, MemoryStore, Scope


def _schema_3_database(path: Path) -> None:
    """A database as aide-memory with schema 3 left it, holding a two-message conversation and a lone note."""
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    db.execute("BEGIN")
    for number, migration in enumerate(MIGRATIONS[:3], start=1):
        migration(db)
        db.execute(f"PRAGMA user_version={number}")
    rows = [
        ("m1", "Caroline: How did the kids handle the accident?", "chat/1"),
        ("m2", "Melanie: They were scared but resilient.", "chat/1"),
        ("m3", "Dentist on Tuesday", None),
    ]
    for memory_id, content, ref in rows:
        db.execute(
            "INSERT INTO memories (id, user, namespace, content, norm, category, confidence, source, source_ref, "
            "created_at, updated_at, valid_from) VALUES (?, 'u', '', ?, ?, 'event', 0.8, 'conversation', ?, 1, 1, 1)",
            (memory_id, content, content.lower(), ref),
        )
    db.execute("COMMIT")
    db.conn.close()


def test_a_schema_3_database_is_upgraded_and_its_replies_are_found_by_what_they_answer(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _schema_3_database(path)
    store = MemoryStore(path)
    results = recall(store, Scope("u"), "how did the kids handle the accident", limit=5)
    by_content = {item.row["content"]: item for item in results}
    reply = by_content["Melanie: They were scared but resilient."]
    assert reply.lexical > 0  # found through the words of the message before it, not only lent a score
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM memories").fetchone()[0] == 3
        contexts = dict(db.execute("SELECT id, context FROM memories").fetchall())
    assert contexts == {"m1": None, "m2": "Caroline: How did the kids handle the accident?", "m3": None}


def test_a_new_memory_carries_the_message_before_it_in_its_source(tmp_path: Path) -> None:
    from aide_memory.models import NewMemory

    store = MemoryStore(tmp_path / "new.db")
    scope = Scope("u")
    store.remember(scope, [NewMemory(content="Where is the spare key?", source_ref="chat/9")])
    store.remember(
        scope,
        [
            NewMemory(content="Under the blue flowerpot.", source_ref="chat/9"),
            NewMemory(content="Thanks!", source_ref="chat/9"),
            NewMemory(content="Buy milk", source_ref=None),
        ],
    )
    contexts = [row[0] for row in store.db.execute("SELECT context FROM memories ORDER BY rowid")]
    assert contexts == [None, "Where is the spare key?", "Under the blue flowerpot.", None]
    found = recall(store, scope, "spare key", limit=3)
    assert "Under the blue flowerpot." in [item.row["content"] for item in found]


def test_a_large_vector_index_searches_a_projection_first_and_still_returns_the_exact_nearest(tmp_path: Path) -> None:
    import numpy as np

    from aide_memory.models import NewMemory
    from aide_memory.vectors import VectorIndex

    rng = np.random.default_rng(7)
    # Sentence embeddings are far from isotropic: most of their variance lies in few directions. So are these.
    mixing = rng.normal(size=(24, 384)).astype(np.float32)
    vectors = rng.normal(size=(3000, 24)).astype(np.float32) @ mixing
    vectors += rng.normal(scale=0.3, size=vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = MemoryStore(tmp_path / "vectors.db")
    scope = Scope("u")
    for start in range(0, 3000, 500):
        items = [NewMemory(content=f"memory number {i}") for i in range(start, start + 500)]
        store.remember(scope, items, [v.tobytes() for v in vectors[start : start + 500]], "test-model")
    projected = VectorIndex(store, "test-model", prefilter_from=2000)
    exact = VectorIndex(store, "test-model", prefilter_from=10**9)
    for query in vectors[rng.choice(3000, 20, replace=False)] + 0.1 * rng.normal(size=(20, 384)).astype(np.float32):
        query /= np.linalg.norm(query)
        assert [r for r, _ in projected.search(scope, query, 10)] == [r for r, _ in exact.search(scope, query, 10)]
    assert projected._load(scope).reduced is not None and exact._load(scope).reduced is None


def test_keyword_search_finds_a_users_memory_even_when_other_users_fill_the_index(tmp_path: Path) -> None:
    from aide_memory.models import NewMemory

    store = MemoryStore(tmp_path / "shared.db")
    crowd, alone = Scope("crowd"), Scope("alone")
    store.remember(crowd, [NewMemory(content=f"coffee coffee with colleague {i}") for i in range(60)])
    store.remember(alone, [NewMemory(content="I drink my coffee black, after a long walk")])
    found = store.fts(alone, '"coffee"', 10)
    assert [store.rows_by_rowid([rowid])[rowid]["user"] for rowid, _ in found] == ["alone"]
    assert len(store.fts(crowd, '"coffee"', 10)) == 10


def test_the_vector_cache_appends_new_memories_and_reloads_whole_after_a_forget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from aide_memory.models import NewMemory
    from aide_memory.vectors import VectorIndex

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(30, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = MemoryStore(tmp_path / "cache.db")
    scope = Scope("u")

    def add(first: int, last: int) -> list[str]:
        items = [NewMemory(content=f"note {i}") for i in range(first, last)]
        return store.remember(scope, items, [v.tobytes() for v in vectors[first:last]], "m")[0]

    ids = add(0, 20)
    index = VectorIndex(store, "m")
    loads: list[int] = []
    real_vectors = store.vectors
    monkeypatch.setattr(store, "vectors", lambda s, m, after=0: loads.append(after) or real_vectors(s, m, after))

    def nearest(i: int) -> str:
        rowid = index.search(scope, vectors[i], 1)[0][0]
        return store.rows_by_rowid([rowid])[rowid]["id"]

    assert nearest(5) == ids[5]
    ids += add(20, 30)
    assert nearest(25) == ids[25] and nearest(5) == ids[5]
    store.forget(scope, [ids[25]], hard=False)
    assert nearest(25) != ids[25]
    assert loads[0] == 0 and loads[1] > 0 and loads[2] == 0  # whole, appended, whole again after the forget


def test_a_load_copies_the_vectors_chunk_by_chunk_into_one_buffer_that_later_memories_fill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from aide_memory import reads
    from aide_memory.models import NewMemory
    from aide_memory.vectors import VectorIndex

    monkeypatch.setattr(reads, "VECTOR_CHUNK", 7)  # 1,500 rows: 215 chunks, the last one short
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(1_600, 128)).astype(np.float32)  # wider than the projection
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = MemoryStore(tmp_path / "load.db")
    scope, other = Scope("u"), Scope("someone else")

    def add(owner: Scope, first: int, last: int) -> None:
        items = [NewMemory(content=f"note {i} of {owner.user}") for i in range(first, last)]
        store.remember(owner, items, [v.tobytes() for v in vectors[first:last]], "m")

    add(scope, 0, 1_500)
    add(other, 1_500, 1_510)
    with store.vectors(scope, "m") as (count, chunks):
        sizes = [len(chunk) for chunk in chunks]
    assert count == 1_500 and sizes == [7] * 214 + [2]
    index = VectorIndex(store, "m", prefilter_from=1_000)
    assert index.search(scope, vectors[42], 1)[0][1] == pytest.approx(1.0)
    loaded = index._load(scope)
    assert loaded.matrix.tolist() == vectors[:1_500].tolist()  # in rowid order, the other scope's rows left out
    buffer = loaded.matrix.base
    assert buffer is not None and buffer.shape == (1_875, 128)  # a quarter spare, not twice
    assert loaded.reduced is not None and loaded.reduced.base is not None and loaded.reduced.base.shape[0] == 1_875

    add(scope, 1_510, 1_600)
    grown = index._load(scope)
    assert grown.matrix.base is buffer and grown.matrix.shape == (1_590, 128)  # appended in place: nothing copied
    assert grown.reduced is not None and grown.reduced.base is loaded.reduced.base
    assert grown.matrix[1_500:].tolist() == vectors[1_510:].tolist()
    assert index.search(scope, vectors[1_555], 1)[0][1] == pytest.approx(1.0)


def test_appending_vectors_reuses_the_spare_rows_of_one_buffer_and_never_touches_a_read_only_one() -> None:
    import numpy as np

    from aide_memory.vectors import _grown

    loaded = np.frombuffer(np.arange(12, dtype=np.float32).tobytes(), dtype=np.float32).reshape(3, 4)
    first = _grown(loaded, np.full((2, 4), 7, dtype=np.float32))  # the loaded rows are read-only: copied once
    second = _grown(first, np.full((1, 4), 9, dtype=np.float32))
    assert first.base is second.base and first.base is not None  # no copy for the second append
    assert second.shape == (6, 4) and first.shape == (5, 4)
    assert second[:3].tolist() == loaded.tolist() and second[3:5].tolist() == [[7.0] * 4] * 2
    assert second[5].tolist() == [9.0] * 4
